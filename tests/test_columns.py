"""Statements generated from the column table: every field lands in its own column, on POST and PATCH."""

import datetime as dt
from typing import Any
from uuid import UUID

import asyncpg

from schemas.addresses import AddressInput
from schemas.locations import LocationFields, LocationPatch
from schemas.organizations import OrganizationCreate, OrganizationPatch
from schemas.services import ServiceFields, ServicePatch
from service.queries.columns import LISTINGS, LOCATION, ORGANIZATION, SERVICE, Entity
from service.queries.history import RESTORABLE
from service.queries.imports import STAGE_COLUMNS
from service.queries.locations import insert_location, update_location
from service.queries.organizations import insert_organization, update_organization
from service.queries.services import insert_service, update_service


async def stored(conn: asyncpg.Connection, entity: Entity, id: UUID) -> dict[str, Any]:
    row = await conn.fetchrow(f"SELECT {', '.join(entity.names('content'))} FROM {entity.table} WHERE id = $1", id)
    assert row is not None
    return dict(row)


def test_the_tables_name_each_column_once_and_history_restores_the_content():
    for entity in LISTINGS.values():
        names = [column.name for column in entity.columns]
        assert len(names) == len(set(names))
    assert RESTORABLE["location"][1][-1] == "confidential" and "genders" in RESTORABLE["service"][1]
    assert "confidential" not in STAGE_COLUMNS["location"] and "cost" not in STAGE_COLUMNS["service"]


async def test_organization_fields_land_in_their_columns(conn):
    created = OrganizationCreate(name="Org", alternate_name="O", description="d", email="a@example.org")
    organization_id = await insert_organization(conn, created)
    assert await stored(conn, ORGANIZATION, organization_id) == {
        "name": "Org",
        "alternate_name": "O",
        "description": "d",
        "email": "a@example.org",
        "website": None,
    }
    patch = OrganizationPatch(alternate_name=None, email="b@example.org", website="https://example.org")
    assert await update_organization(conn, organization_id, patch)
    assert await stored(conn, ORGANIZATION, organization_id) == {
        "name": "Org",
        "alternate_name": None,
        "description": "d",
        "email": "b@example.org",
        "website": "https://example.org",
    }


async def test_service_fields_land_in_their_columns(conn):
    organization_id = await insert_organization(conn, OrganizationCreate(name="Org"))
    fields = ServiceFields(
        name="Meals",
        categories=[],
        alternate_name="M",
        description="hot meals",
        status="inactive",
        url="https://example.org/meals",
        email="m@example.org",
        eligibility_description="anyone",
        fees_description="none",
        application_process="walk in",
        languages=["en", "es"],
        assured_date=dt.date(2026, 1, 2),
        genders=["women"],
        minimum_age=10,
        maximum_age=20,
        cost=["free"],
    )
    async with conn.transaction():
        service_id = await insert_service(conn, organization_id, fields)
    expected = {
        "organization_id": organization_id,
        "name": "Meals",
        "alternate_name": "M",
        "description": "hot meals",
        "status": "inactive",
        "url": "https://example.org/meals",
        "email": "m@example.org",
        "eligibility_description": "anyone",
        "fees_description": "none",
        "application_process": "walk in",
        "languages": ["en", "es"],
        "assured_date": dt.date(2026, 1, 2),
        "genders": ["women"],
        "minimum_age": 10,
        "maximum_age": 20,
        "cost": ["free"],
    }
    assert await stored(conn, SERVICE, service_id) == expected
    patch = ServicePatch(
        alternate_name=None,
        description="cold meals",
        status="active",
        url="https://example.org/food",
        email="f@example.org",
        eligibility_description="adults",
        fees_description="some",
        application_process="call",
        languages=["fr"],
        assured_date=dt.date(2026, 3, 4),
        genders=["men", "nonbinary"],
        minimum_age=18,
        maximum_age=65,
        cost=["fee"],
    )
    assert await update_service(conn, service_id, patch)
    assert await stored(conn, SERVICE, service_id) == {
        **expected,
        "alternate_name": None,
        "description": "cold meals",
        "status": "active",
        "url": "https://example.org/food",
        "email": "f@example.org",
        "eligibility_description": "adults",
        "fees_description": "some",
        "application_process": "call",
        "languages": ["fr"],
        "assured_date": dt.date(2026, 3, 4),
        "genders": ["men", "nonbinary"],
        "minimum_age": 18,
        "maximum_age": 65,
        "cost": ["fee"],
    }


async def test_location_fields_land_in_their_columns(conn):
    first = await insert_organization(conn, OrganizationCreate(name="First"))
    second = await insert_organization(conn, OrganizationCreate(name="Second"))
    fields = LocationFields(
        name="Depot",
        alternate_name="D",
        description="by the river",
        location_type="physical",
        latitude=45.52,
        longitude=-122.68,
        address=AddressInput(
            address_1=" 1 Main St ", city="Portland", address_2="Unit 2", region="Pearl", state_province="OR"
        ),
        timezone="America/Chicago",
        transportation="bus 4",
        url="https://example.org/depot",
    )
    location_id = await insert_location(conn, first, fields)
    expected = {
        "organization_id": first,
        "name": "Depot",
        "alternate_name": "D",
        "description": "by the river",
        "location_type": "physical",
        "latitude": 45.52,
        "longitude": -122.68,
        "timezone": "America/Chicago",
        "address_1": "1 Main St",
        "address_2": "Unit 2",
        "city": "Portland",
        "region": "Pearl",
        "state_province": "OR",
        "postal_code": None,
        "country": None,
        "transportation": "bus 4",
        "url": "https://example.org/depot",
        "approximate": False,
        "confidential": False,
    }
    assert await stored(conn, LOCATION, location_id) == expected
    patch = LocationPatch(
        organization_id=second,
        alternate_name=None,
        description="uptown",
        latitude=40.71,
        longitude=-74.0,
        address=AddressInput(address_1="2 Broadway", city="New York", postal_code="10004", country="US"),
        transportation="subway",
        url="https://example.org/uptown",
        confidential=True,
    )
    assert await update_location(conn, location_id, patch)
    assert await stored(conn, LOCATION, location_id) == {
        **expected,
        "organization_id": second,
        "alternate_name": None,
        "description": "uptown",
        "latitude": 40.71,
        "longitude": -74.0,
        "timezone": "America/New_York",
        "address_1": "2 Broadway",
        "address_2": None,
        "city": "New York",
        "region": None,
        "state_province": None,
        "postal_code": "10004",
        "country": "US",
        "transportation": "subway",
        "url": "https://example.org/uptown",
        "confidential": True,
    }
    assert await update_location(conn, location_id, LocationPatch(name="Kept address"))
    assert (await stored(conn, LOCATION, location_id))["city"] == "New York"
