"""Strict JSON bodies: a field typed as a number or a boolean must be sent as one.

Litestar converts request data leniently (the string "45.5" becomes a float, "false" a boolean); a
partner's bug should get a 422 naming the field instead of being guessed at. This check decodes the
body with msgspec in strict mode against the handler's own body type before the handler runs.
"""

from typing import Any

import msgspec
from litestar import Request

from service.errors import body_error
from service.routes.params import check_date_times


async def check_body_types(request: Request[Any, Any, Any]) -> None:
    """422 naming the field when the JSON body has a value of the wrong JSON type."""
    if request.method not in ("POST", "PUT", "PATCH"):
        return
    data = request.route_handler.parsed_fn_signature.parameters.get("data")
    if data is None or "json" not in request.headers.get("content-type", "application/json"):
        return
    body = await request.body()
    if not body:
        return
    try:
        msgspec.json.decode(body, type=data.annotation, strict=True)
    except msgspec.ValidationError as error:
        raise body_error(error) from None
    except msgspec.DecodeError:
        return  # malformed JSON: Litestar answers 400 for it


async def check_request(request: Request[Any, Any, Any]) -> None:
    """Before every handler: date-time parameters written as date-times, body values of the declared types."""
    check_date_times(request)
    await check_body_types(request)
