"""A feed fetcher for tests (COMMONGROUND_MEETING_FEEDS=tests.fake_feeds:fetch): no network."""

from pathlib import Path

from service.imports.meetings import FetchFailed

FEED = Path(__file__).parent / "fixtures" / "meeting-guide" / "feed.json"


async def fetch(url: str) -> bytes:
    """The fixture feed for its URL, a failure for 'down', not a feed for anything else."""
    if url == "https://intergroup.example.org/meetings.json":
        return FEED.read_bytes()
    if url.startswith("https://down.example.org/"):
        raise FetchFailed(f"{url} could not be fetched: ConnectError: connection refused")
    return b"<html>not a feed</html>"
