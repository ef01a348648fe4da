"""The field app's page and files: not part of the API contract, so left out of the OpenAPI document."""

from litestar import Response, get
from litestar.params import FromPath

from service.errors import NotFound
from service.state import AppState

PAGE_HEADERS = {
    "Cache-Control": "no-cache",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Permissions-Policy": "geolocation=(self), camera=(), microphone=()",
}
IMMUTABLE = {"Cache-Control": "public, max-age=31536000, immutable", "X-Content-Type-Options": "nosniff"}


@get("/", include_in_schema=False, media_type="text/html")
async def field_page(state: AppState) -> Response[bytes]:
    """The field app."""
    return Response(state.field.page, headers={**PAGE_HEADERS, "Content-Security-Policy": state.field.policy})


@get("/sw.js", include_in_schema=False, media_type="text/javascript")
async def field_worker(state: AppState) -> Response[bytes]:
    """The service worker that keeps the app working with no signal; revalidated, so updates reach phones."""
    return Response(
        state.field.worker,
        headers={**PAGE_HEADERS, "Content-Security-Policy": state.field.policy, "Service-Worker-Allowed": "/"},
    )


@get("/manifest.webmanifest", include_in_schema=False, media_type="application/manifest+json")
async def field_manifest(state: AppState) -> Response[bytes]:
    """What a phone needs to add the app to its home screen."""
    return Response(state.field.manifest, headers={"Cache-Control": "no-cache"})


@get("/app/{build:str}/{name:path}", include_in_schema=False)
async def field_file(state: AppState, build: FromPath[str], name: FromPath[str]) -> Response[bytes]:
    """A file of the current build, cached for a year; another build's files are gone."""
    asset = state.field.files.get(name.lstrip("/"))
    if build != state.field.build or asset is None:
        raise NotFound(f"no file {name} in this version of the field app (reload the page)")
    return Response(asset.body, media_type=asset.media_type, headers=IMMUTABLE)
