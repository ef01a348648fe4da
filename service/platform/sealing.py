"""Secrets at rest: sealed with AES-256-GCM under the server key, so the database never holds them in plain text.

The key is COMMONGROUND_SECRET_KEY (any string of at least 32 characters; the key is its SHA-256), or else
a random key kept in `<data_dir>/secret.key`, made once with mode 0600. Servers that share a database must
share the key: set COMMONGROUND_SECRET_KEY on each, or copy the file.
"""

import base64
import hashlib
import logging
import os
import tempfile
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from service.config import Settings

log = logging.getLogger("commonground.sealing")
KEY_FILE = "secret.key"
MIN_KEY_CHARS = 32
NONCE_BYTES = 12


class Unsealable(Exception):
    """A sealed value this server's key cannot open (another key, or altered bytes)."""


class ServerKey:
    """Seals and opens short secrets; `id` names the key without revealing it, for rotation and diagnosis."""

    def __init__(self, key: bytes) -> None:
        self._aead = AESGCM(key)
        self.id = hashlib.sha256(b"commonground server key id\0" + key).hexdigest()[:16]

    def seal(self, plain: str, context: bytes) -> bytes:
        """Nonce then ciphertext; `context` (e.g. the owning row's id) must be given again to open it."""
        nonce = os.urandom(NONCE_BYTES)
        return nonce + self._aead.encrypt(nonce, plain.encode(), context)

    def open(self, sealed: bytes, context: bytes, key_id: str | None = None) -> str:
        """The plain secret back."""
        if key_id is not None and key_id != self.id:
            raise Unsealable(
                f"sealed under server key {key_id}, but this server's key is {self.id}: every "
                "server sharing the database needs the same COMMONGROUND_SECRET_KEY"
            )
        try:
            return self._aead.decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], context).decode()
        except InvalidTag:
            raise Unsealable(f"sealed value does not open with server key {self.id}") from None


def load_server_key(settings: Settings) -> ServerKey:
    """The configured key, else the key file in the data folder (made on first use)."""
    if settings.secret_key is not None:
        if len(settings.secret_key) < MIN_KEY_CHARS:
            raise SystemExit(
                f"invalid setting COMMONGROUND_SECRET_KEY: needs at least {MIN_KEY_CHARS} characters "
                "(e.g. `openssl rand -base64 32`)"
            )
        return ServerKey(hashlib.sha256(settings.secret_key.encode()).digest())
    return ServerKey(_key_file(Path(settings.data_dir).expanduser() / KEY_FILE))


def _key_file(path: Path) -> bytes:
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written whole under a temporary name (mkstemp makes it 0600), then linked into place: link fails
        # when another process got there first, and then both use that one.
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{KEY_FILE}.")
        try:
            with os.fdopen(fd, "wb") as file:
                file.write(base64.b64encode(os.urandom(32)) + b"\n")
                file.flush()
                os.fsync(file.fileno())
            try:
                os.link(temporary, path)
                log.info("made a new server key in %s; keep it with the database (back it up)", path)
            except FileExistsError:
                pass
        finally:
            os.unlink(temporary)
    if path.stat().st_mode & 0o077:
        log.warning("%s is readable by other users; chmod 600 it", path)
    try:
        key = base64.b64decode(path.read_bytes().strip(), validate=True)
    except ValueError:
        key = b""
    if len(key) != 32:
        raise SystemExit(f"{path} does not hold a base64 32-byte key; restore it, or set COMMONGROUND_SECRET_KEY")
    return key
