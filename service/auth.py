"""Who may write: for now, whoever holds COMMONGROUND_ADMIN_KEY."""

import hmac

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from service.errors import Forbidden, Unauthorized


def is_admin(connection: ASGIConnection) -> bool:
    """Whether the request carries the admin key (for reads that show admins more)."""
    admin_key: str | None = connection.app.state.settings.admin_key
    scheme, _, token = connection.headers.get("authorization", "").partition(" ")
    return bool(admin_key) and scheme.lower() == "bearer" and hmac.compare_digest(
        token.strip().encode(), (admin_key or "").encode())


def require_admin(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    """Guard for write routes: Authorization: Bearer <COMMONGROUND_ADMIN_KEY>, compared in constant time."""
    admin_key: str | None = connection.app.state.settings.admin_key
    if not admin_key:
        raise Forbidden(
            "writes are disabled because no admin key is configured: set COMMONGROUND_ADMIN_KEY to a long "
            "random secret, restart, and send it as 'Authorization: Bearer <key>'"
        )
    scheme, _, token = connection.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("this route needs 'Authorization: Bearer <admin key>'")
    if not hmac.compare_digest(token.strip().encode(), admin_key.encode()):
        raise Unauthorized("the bearer key is not valid")
