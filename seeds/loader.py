"""Load seeds/commonground.json idempotently: fixed ids and upserts, so a second load changes nothing."""

import datetime as dt
import hashlib
import json
import uuid
from importlib import resources
from typing import Any

import asyncpg

from service.search.geo import timezone_at

NAMESPACE = uuid.UUID("6f1d8a62-3c1e-4f0b-9a57-2f3d9c0b7e11")
DATASET_FILE = "commonground.json"
DATASET = "commonground-seed"  # the "dataset" field of DATASET_FILE, recorded in seed_loads


def seed_id(*parts: object) -> uuid.UUID:
    """A stable id for a seeded row."""
    return uuid.uuid5(NAMESPACE, "/".join(str(part) for part in parts))


def read_dataset() -> tuple[dict[str, Any], str]:
    """The dataset and its checksum."""
    raw = (resources.files("seeds") / DATASET_FILE).read_bytes()
    return json.loads(raw), hashlib.sha256(raw).hexdigest()


UPSERT_ORGANIZATION = """
    INSERT INTO organizations (id, name) VALUES ($1, $2)
    ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name
     WHERE organizations.name IS DISTINCT FROM EXCLUDED.name
"""

UPSERT_SERVICE = """
    INSERT INTO services (id, organization_id, name, description, status, eligibility_description,
                          fees_description, languages, assured_date, genders, minimum_age, maximum_age, cost)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
    ON CONFLICT (id) DO UPDATE
       SET organization_id = EXCLUDED.organization_id, name = EXCLUDED.name, description = EXCLUDED.description,
           status = EXCLUDED.status, eligibility_description = EXCLUDED.eligibility_description,
           fees_description = EXCLUDED.fees_description, languages = EXCLUDED.languages,
           assured_date = EXCLUDED.assured_date, genders = EXCLUDED.genders, minimum_age = EXCLUDED.minimum_age,
           maximum_age = EXCLUDED.maximum_age, cost = EXCLUDED.cost
     WHERE (services.organization_id, services.name, services.description, services.status,
            services.eligibility_description, services.fees_description, services.languages, services.assured_date,
            services.genders, services.minimum_age, services.maximum_age, services.cost)
           IS DISTINCT FROM
           (EXCLUDED.organization_id, EXCLUDED.name, EXCLUDED.description, EXCLUDED.status,
            EXCLUDED.eligibility_description, EXCLUDED.fees_description, EXCLUDED.languages, EXCLUDED.assured_date,
            EXCLUDED.genders, EXCLUDED.minimum_age, EXCLUDED.maximum_age, EXCLUDED.cost)
"""

SYNC_ATTRIBUTES = """
    WITH wanted AS (SELECT $1::uuid AS service_id, unnest($2::text[]) AS attribute_slug),
         dropped AS (DELETE FROM service_attributes sa
                      WHERE sa.service_id = $1 AND sa.attribute_slug <> all($2::text[]))
    INSERT INTO service_attributes (service_id, attribute_slug)
    SELECT service_id, attribute_slug FROM wanted
    ON CONFLICT DO NOTHING
"""

SYNC_CATEGORIES = """
    WITH wanted AS (SELECT $1::uuid AS service_id, unnest($2::text[]) AS category_slug),
         dropped AS (DELETE FROM service_categories sc
                      WHERE sc.service_id = $1 AND sc.category_slug <> all($2::text[]))
    INSERT INTO service_categories (service_id, category_slug)
    SELECT service_id, category_slug FROM wanted
    ON CONFLICT DO NOTHING
"""

UPSERT_LOCATION = """
    INSERT INTO locations (id, organization_id, name, latitude, longitude, timezone, address_1, city,
                           state_province, postal_code, country)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
    ON CONFLICT (id) DO UPDATE
       SET organization_id = EXCLUDED.organization_id, name = EXCLUDED.name, latitude = EXCLUDED.latitude,
           longitude = EXCLUDED.longitude, timezone = EXCLUDED.timezone, address_1 = EXCLUDED.address_1,
           city = EXCLUDED.city, state_province = EXCLUDED.state_province, postal_code = EXCLUDED.postal_code,
           country = EXCLUDED.country
     WHERE (locations.organization_id, locations.name, locations.latitude, locations.longitude, locations.timezone,
            locations.address_1, locations.city, locations.state_province, locations.postal_code, locations.country)
           IS DISTINCT FROM
           (EXCLUDED.organization_id, EXCLUDED.name, EXCLUDED.latitude, EXCLUDED.longitude, EXCLUDED.timezone,
            EXCLUDED.address_1, EXCLUDED.city, EXCLUDED.state_province, EXCLUDED.postal_code, EXCLUDED.country)
"""

UPSERT_LINK = """
    INSERT INTO service_at_location (id, service_id, location_id) VALUES ($1, $2, $3)
    ON CONFLICT (id) DO NOTHING
"""

UPSERT_PHONE = """
    INSERT INTO phones (id, service_at_location_id, number, type, position) VALUES ($1, $2, $3, $4, $5)
    ON CONFLICT (id) DO UPDATE SET number = EXCLUDED.number, type = EXCLUDED.type, position = EXCLUDED.position
     WHERE (phones.number, phones.type, phones.position) IS DISTINCT FROM
           (EXCLUDED.number, EXCLUDED.type, EXCLUDED.position)
"""

UPSERT_SCHEDULE = """
    INSERT INTO schedules (id, service_at_location_id, weekday, opens_at, closes_at, position)
    VALUES ($1, $2, $3, $4::text::time, $5::text::time, $6)
    ON CONFLICT (id) DO UPDATE
       SET weekday = EXCLUDED.weekday, opens_at = EXCLUDED.opens_at, closes_at = EXCLUDED.closes_at,
           position = EXCLUDED.position
     WHERE (schedules.weekday, schedules.opens_at, schedules.closes_at, schedules.position) IS DISTINCT FROM
           (EXCLUDED.weekday, EXCLUDED.opens_at, EXCLUDED.closes_at, EXCLUDED.position)
"""

# Rows a previous version of the dataset had and this one does not.
DELETE_STALE_PHONES = """
    DELETE FROM phones WHERE service_at_location_id = any($1::uuid[]) AND id <> all($2::uuid[])
"""
DELETE_STALE_SCHEDULES = """
    DELETE FROM schedules WHERE service_at_location_id = any($1::uuid[]) AND id <> all($2::uuid[])
"""

UPSERT_SEED_LOAD = """
    INSERT INTO seed_loads (dataset, checksum) VALUES ($1, $2)
    ON CONFLICT (dataset) DO UPDATE SET checksum = EXCLUDED.checksum, loaded_at = now()
"""

SELECT_SEED_LOADED = "SELECT EXISTS (SELECT 1 FROM seed_loads WHERE dataset = $1)"


async def seed_loaded(conn: asyncpg.Connection) -> bool:
    """Whether the seed dataset was ever loaded into this database."""
    loaded: bool = await conn.fetchval(SELECT_SEED_LOADED, DATASET)
    return loaded


async def load_seed(conn: asyncpg.Connection) -> int:
    """Upsert every listing in one transaction; return how many listings the dataset holds."""
    dataset, checksum = read_dataset()
    if dataset["dataset"] != DATASET:
        raise ValueError(f"{DATASET_FILE} holds dataset {dataset['dataset']!r}, expected {DATASET!r}")
    organizations, services, categories, locations, links, phones, schedules = [], [], [], [], [], [], []
    attributes: list[tuple[uuid.UUID, list[str]]] = []
    for listing in dataset["listings"]:
        key = listing["key"]
        organization_id = seed_id("organization", listing["organization"])
        service_id, location_id, link_id = seed_id("service", key), seed_id("location", key), seed_id("link", key)
        organizations.append((organization_id, listing["organization"]))
        s, loc = listing["service"], listing["location"]
        services.append(
            (
                service_id,
                organization_id,
                s["name"],
                s["description"],
                s["status"],
                s["eligibility_description"],
                s["fees_description"],
                s["languages"],
                _date(s["assured_date"]),
                s["genders"],
                s["minimum_age"],
                s["maximum_age"],
                s["cost"],
            )
        )
        categories.append((service_id, s["categories"]))
        attributes.append((service_id, s["attributes"]))
        address = loc["address"]
        locations.append(
            (
                location_id,
                organization_id,
                loc["name"],
                loc["latitude"],
                loc["longitude"],
                loc.get("timezone") or timezone_at(loc["latitude"], loc["longitude"]),
                address["address_1"],
                address["city"],
                address["state_province"],
                address["postal_code"],
                address["country"],
            )
        )
        links.append((link_id, service_id, location_id))
        phones += [
            (seed_id("phone", key, i), link_id, p["number"], p.get("type"), i) for i, p in enumerate(listing["phones"])
        ]
        schedules += [
            (seed_id("schedule", key, i), link_id, h["weekday"], h["opens_at"], h["closes_at"], i)
            for i, h in enumerate(listing["schedules"])
        ]
    async with conn.transaction():
        await conn.executemany(UPSERT_ORGANIZATION, list(dict.fromkeys(organizations)))
        await conn.executemany(UPSERT_SERVICE, services)
        await conn.executemany(SYNC_CATEGORIES, categories)
        await conn.executemany(SYNC_ATTRIBUTES, attributes)
        await conn.executemany(UPSERT_LOCATION, locations)
        await conn.executemany(UPSERT_LINK, links)
        await conn.executemany(UPSERT_PHONE, phones)
        await conn.executemany(UPSERT_SCHEDULE, schedules)
        link_ids = [link[0] for link in links]
        await conn.execute(DELETE_STALE_PHONES, link_ids, [phone[0] for phone in phones])
        await conn.execute(DELETE_STALE_SCHEDULES, link_ids, [schedule[0] for schedule in schedules])
        await conn.execute(UPSERT_SEED_LOAD, DATASET, checksum)
    return len(dataset["listings"])


def _date(raw: str | None) -> dt.date | None:
    return None if raw is None else dt.date.fromisoformat(raw)
