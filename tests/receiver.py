"""A local HTTP receiver for webhook tests: records every POST and answers with scripted statuses."""

import asyncio
import contextlib
import datetime as dt
import ssl
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import msgspec


class Received(msgspec.Struct):
    """One request the receiver got."""

    path: str
    headers: dict[str, str]
    body: bytes
    at: float = 0.0


class Receiver:
    """Answers each request with the next scripted status (200 once the script runs out), after its delay."""

    def __init__(
        self, statuses: list[int] | None = None, delays: list[float] | None = None, endless: bool = False
    ) -> None:
        self.statuses, self.delays, self.endless = list(statuses or []), list(delays or []), endless
        self.requests: list[Received] = []
        self.connections = 0
        self.server_names: list[str | None] = []
        self.arrived = asyncio.Condition()
        self.url = ""
        self.port = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            request_line, *lines = head.decode("latin-1").split("\r\n")
            headers = {
                name.strip().lower(): value.strip()
                for name, _, value in (line.partition(":") for line in lines if line)
            }
            body = await reader.readexactly(int(headers.get("content-length", "0")))
            status = self.statuses.pop(0) if self.statuses else 200
            delay = self.delays.pop(0) if self.delays else 0.0
            async with self.arrived:
                self.requests.append(
                    Received(
                        path=request_line.split(" ")[1],
                        headers=headers,
                        body=body,
                        at=asyncio.get_running_loop().time(),
                    )
                )
                self.arrived.notify_all()
            if delay:
                # A slow receiver; it stops waiting when the sender hangs up.
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(reader.read(1), delay)
            if self.endless:  # a body that never ends, until the sender hangs up
                writer.write(f"HTTP/1.1 {status} X\r\nconnection: close\r\n\r\n".encode())
                while True:
                    writer.write(b"x" * 16_384)
                    await writer.drain()
            writer.write(f"HTTP/1.1 {status} X\r\ncontent-length: 0\r\nconnection: close\r\n\r\n".encode())
            await writer.drain()
        except (OSError, asyncio.IncompleteReadError):
            pass  # the sender gave up
        finally:
            writer.close()

    async def wait_for(self, count: int, within_s: float = 20) -> list[Received]:
        """Wait until `count` requests arrived."""
        async with self.arrived:
            await asyncio.wait_for(self.arrived.wait_for(lambda: len(self.requests) >= count), within_s)
        return self.requests


@asynccontextmanager
async def receiver(
    statuses: list[int] | None = None,
    delays: list[float] | None = None,
    endless: bool = False,
    tls: ssl.SSLContext | None = None,
) -> AsyncIterator[Receiver]:
    """Run a receiver on a free local port (over TLS with a server context from `tls_contexts`)."""
    target = Receiver(statuses, delays, endless)
    if tls is not None:
        tls.sni_callback = lambda _socket, name, _context: target.server_names.append(name)  # type: ignore[assignment]
    server = await asyncio.start_server(target.handle, "127.0.0.1", 0, ssl=tls)
    target.port = server.sockets[0].getsockname()[1]
    target.url = f"{'https' if tls else 'http'}://127.0.0.1:{target.port}/hook"
    async with server:
        yield target


def tls_contexts(hostname: str) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """A server context with a fresh self-signed certificate for hostname, and a client context trusting only it."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hostname)])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(hostname)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    pem = certificate.public_bytes(serialization.Encoding.PEM)
    with tempfile.TemporaryDirectory() as folder:
        cert_file, key_file = Path(folder) / "cert.pem", Path(folder) / "key.pem"
        cert_file.write_bytes(pem)
        key_file.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        server.load_cert_chain(cert_file, key_file)
    client = ssl.create_default_context(cadata=pem.decode())
    return server, client
