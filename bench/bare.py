"""The floor for any Python API here: a bare Litestar + asyncpg endpoint running only the raw KNN query.

Served by uvicorn exactly like the real API, so `make bench` can show how much of the gap between
raw SQL and CommonGround is the web stack itself and how much is CommonGround's features.
"""

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
import msgspec
from litestar import Litestar, MediaType, Response, get
from litestar.datastructures import State
from litestar.params import FromQuery

from bench.load import RAW_NEAREST

# The same KNN walk over the search table, with each row's stored document: the floor for an answer
# as large as CommonGround's (~45 KB for 20 results), which costs the web process and the client
# in proportion to its bytes whatever the framework does.
RAW_DOCUMENTS = """
    SELECT r.id, r.geo <-> ll_to_earth($1, $2) AS chord, r.head
      FROM resource_index r
     WHERE r.geo IS NOT NULL
     ORDER BY r.geo <-> ll_to_earth($1, $2)
     LIMIT 20
"""


@asynccontextmanager
async def lifespan(app: Litestar) -> AsyncIterator[None]:
    app.state.pool = await asyncpg.create_pool(os.environ["DATABASE_URL"], min_size=2, max_size=10)
    yield
    await app.state.pool.close()


@get("/v1/resources", operation_id="bareNearest")
async def nearest(state: State, near: FromQuery[str], documents: FromQuery[bool] = False) -> Response[bytes]:
    """The 20 nearest location ids, nothing else; with documents, the 20 nearest stored results."""
    latitude, longitude = (float(part) for part in near.split(","))
    async with state.pool.acquire() as conn:
        rows = await conn.fetch(RAW_DOCUMENTS if documents else RAW_NEAREST, latitude, longitude)
    if documents:
        items = ",".join(f'{row["head"]},"distance_m":{row["chord"]:.1f}}}' for row in rows)
        return Response(b'{"items":[' + items.encode() + b"]}", media_type=MediaType.JSON)
    items = [{"id": str(row["id"]), "distance_m": row["chord"]} for row in rows]
    return Response(msgspec.json.encode({"items": items}), media_type=MediaType.JSON)


def create_bare_app() -> Litestar:
    """Factory for uvicorn."""
    return Litestar([nearest], lifespan=[lifespan])
