"""Bulk export of the whole directory as an HSDS 3.0 tabular datapackage."""

import tempfile
from collections.abc import AsyncIterator

import asyncpg
from litestar import get
from litestar.datastructures import State
from litestar.response import Stream

from service.exports import write_export


@get("/v1/exports/hsds.zip", operation_id="exportHsdsZip", tags=["exports"], media_type="application/zip",
     response_description="A zip: datapackage.json and one CSV per HSDS table")
async def export_hsds_zip(state: State) -> Stream:
    """The whole directory as an HSDS 3.0 tabular datapackage (zip), from one consistent snapshot."""
    spool = tempfile.SpooledTemporaryFile(max_size=32 * 1_048_576)
    try:
        async with state.pool.acquire() as conn:
            await write_export(conn, "hsds-csv", spool)
    except (asyncpg.PostgresError, OSError):
        spool.close()
        raise
    spool.seek(0)

    async def chunks() -> AsyncIterator[bytes]:
        try:
            while chunk := spool.read(1 << 16):
                yield chunk
        finally:
            spool.close()

    return Stream(chunks(), media_type="application/zip",
                  headers={"Content-Disposition": 'attachment; filename="commonground-hsds.zip"'})
