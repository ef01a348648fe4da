"""A local HTTP receiver for webhook tests: records every POST and answers with scripted statuses."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import msgspec


class Received(msgspec.Struct):
    """One request the receiver got."""

    path: str
    headers: dict[str, str]
    body: bytes


class Receiver:
    """Answers each request with the next scripted status (200 once the script runs out)."""

    def __init__(self, statuses: list[int] | None = None) -> None:
        self.statuses = list(statuses or [])
        self.requests: list[Received] = []
        self.arrived = asyncio.Condition()
        self.url = ""

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            request_line, *lines = head.decode("latin-1").split("\r\n")
            headers = {name.strip().lower(): value.strip() for name, _, value in
                       (line.partition(":") for line in lines if line)}
            body = await reader.readexactly(int(headers.get("content-length", "0")))
            status = self.statuses.pop(0) if self.statuses else 200
            writer.write(f"HTTP/1.1 {status} X\r\ncontent-length: 0\r\nconnection: close\r\n\r\n".encode())
            await writer.drain()
            async with self.arrived:
                self.requests.append(Received(path=request_line.split(" ")[1], headers=headers, body=body))
                self.arrived.notify_all()
        finally:
            writer.close()

    async def wait_for(self, count: int, timeout: float = 20) -> list[Received]:
        """Wait until `count` requests arrived."""
        async with self.arrived:
            await asyncio.wait_for(self.arrived.wait_for(lambda: len(self.requests) >= count), timeout)
        return self.requests


@asynccontextmanager
async def receiver(statuses: list[int] | None = None) -> AsyncIterator[Receiver]:
    """Run a receiver on a free local port."""
    target = Receiver(statuses)
    server = await asyncio.start_server(target.handle, "127.0.0.1", 0)
    target.url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/hook"
    async with server:
        yield target
