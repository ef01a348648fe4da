"""The field app's files, read once when the app is built and served under a path holding their digest.

Every file but the page, the service worker and the manifest lives under /app/<digest>/: a change to
any of them changes the digest, so they can be cached for a year while the page itself is revalidated.
Relative module imports keep working because the whole folder moves together.
"""

import hashlib
import html
import json
from pathlib import Path

import msgspec

from service.config import tile_origin

STATIC = Path(__file__).parent / "static"
# Served at fixed paths, revalidated on every visit: they name the digest of the rest.
ENTRY_FILES = frozenset({"index.html", "sw.js", "manifest.webmanifest"})
MEDIA_TYPES = {
    ".css": "text/css",
    ".html": "text/html",
    ".js": "text/javascript",
    ".mjs": "text/javascript",
    ".json": "application/json",
    ".png": "image/png",
    ".svg": "image/svg+xml",
    ".txt": "text/plain",
    ".webmanifest": "application/manifest+json",
    "": "text/plain",  # LICENSE, VERSION
}
# No inline script or style, no eval, nothing from another origin (map tiles, when set, excepted):
# listing text can never run.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:{tiles}; connect-src 'self'; "
    "worker-src 'self'; manifest-src 'self'; font-src 'self'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)


class Asset(msgspec.Struct, frozen=True):
    """One file as it is served."""

    body: bytes
    media_type: str


class FieldAssets:
    """The page, the service worker, the manifest and the digest-named files of one build."""

    def __init__(self, root: Path = STATIC, tile_url: str | None = None, tile_attribution: str = "") -> None:
        files = {
            path.relative_to(root).as_posix(): path.read_bytes() for path in sorted(root.rglob("*")) if path.is_file()
        }
        digest = hashlib.blake2b(digest_size=6)
        for name, body in files.items():
            digest.update(name.encode() + b"\0" + hashlib.blake2b(body).digest())
        self.build = digest.hexdigest()
        self.base = f"/app/{self.build}/"
        self.files = {
            name: Asset(body, MEDIA_TYPES.get(Path(name).suffix, "application/octet-stream"))
            for name, body in files.items()
            if name not in ENTRY_FILES
        }
        languages = sorted(Path(name).stem for name in self.files if name.startswith("js/i18n/"))
        values = {
            "{{base}}": self.base,
            "{{build}}": self.build,
            "{{languages}}": ",".join(languages),
            "{{shell}}": json.dumps(["/", *(self.base + name for name in self.files)]),
            # Every module at once, instead of one round trip per level of imports (400 ms each on a weak signal).
            "{{preload}}": "\n".join(
                f'<link rel="modulepreload" href="{self.base}{name}">'
                for name in sorted(self.files)
                if name.startswith("js/") and name.endswith(".js")
            ),
            "{{tiles}}": html.escape(tile_url or "", quote=True),
            "{{tiles_attribution}}": html.escape(tile_attribution if tile_url else "", quote=True),
        }
        self.policy = CONTENT_SECURITY_POLICY.format(tiles=" " + tile_origin(tile_url) if tile_url else "")
        self.page = _filled(files["index.html"], values)
        self.worker = _filled(files["sw.js"], values)
        self.manifest = _filled(files["manifest.webmanifest"], values)


def _filled(body: bytes, values: dict[str, str]) -> bytes:
    text = body.decode()
    for placeholder, value in values.items():
        text = text.replace(placeholder, value)
    return text.encode()
