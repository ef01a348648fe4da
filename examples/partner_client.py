"""A partner's first program with the generated client: open naloxone near a point, the next page, a 422
problem, and a write with a key.

Generate the client first (README, "Use it from your code"), then:
    python examples/partner_client.py http://127.0.0.1:8000 YOUR_KEY
"""

import asyncio
import sys

from commonground_client import AuthenticatedClient, Client
from commonground_client.api.resources import search_resources
from commonground_client.api.suggestions import create_suggestion
from commonground_client.models import Problem, ResourcePage, SuggestionCreate, SuggestionCreateKind, SuggestionReceipt

PORTLAND = "45.5231,-122.6765"


async def main(base_url: str, key: str) -> None:
    """Search, page, fail politely, and write: the calls every partner makes first."""
    async with Client(base_url=base_url) as client:
        # Each call answers its named model, or the Problem of a 4xx.
        page = await search_resources.asyncio(
            client=client, near=PORTLAND, category=["naloxone"], open_now=True, limit=3
        )
        assert isinstance(page, ResourcePage), page
        for item in page.items:
            tonight = ", ".join(f"{span.opens_at}-{span.closes_at}" for span in item.hours_today) or "closed today"
            print(f"{item.service.name}: {item.distance_m:.0f} m away, today {tonight}")
        if page.next_cursor:
            more = await search_resources.asyncio(
                client=client, near=PORTLAND, category=["naloxone"], open_now=True, limit=3, cursor=page.next_cursor
            )
            assert isinstance(more, ResourcePage), more
            print(f"next page: {len(more.items)} more")
        # Nothing open right now? Any naloxone listing will do for the report below.
        anyway = await search_resources.asyncio(client=client, near=PORTLAND, category=["naloxone"], limit=1)
        assert isinstance(anyway, ResourcePage), anyway
        listing = (page.items or anyway.items)[0].service.id

        wrong = await search_resources.asyncio(client=client, near="100,0")
        assert isinstance(wrong, Problem), wrong
        print(f"{wrong.status} {wrong.title}: {wrong.detail}")
        for param in wrong.invalid_params or []:
            print(f"  {param.location} {param.name}: {param.reason}")

    async with AuthenticatedClient(base_url=base_url, token=key) as authenticated:
        body = SuggestionCreate(
            kind=SuggestionCreateKind.PROBLEM, service_id=listing, note="Out of naloxone kits tonight"
        )
        receipt = await create_suggestion.asyncio(client=authenticated, body=body)
        assert isinstance(receipt, SuggestionReceipt), receipt
        print(f"suggestion {receipt.id} is {receipt.status}")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
