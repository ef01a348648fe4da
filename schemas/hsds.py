"""Open Referral HSDS 3.0 API shapes: the envelopes and the documents inside, as the HSDS 3.0 schemas
name their fields.

The documents are built in SQL (schemas/sql/hsds.sql) and sent as they are; these Structs describe them
for the published contract. A field is left out, not null, when it has no value, so every field but the
ones HSDS requires may be absent; the empty arrays HSDS lists (contacts, funding, metadata, ...) are
sent but not described here."""

import datetime as dt
from uuid import UUID

from msgspec import UNSET, UnsetType

from schemas.base import Output


class HsdsInfo(Output):
    """What GET /hsds/ answers: the HSDS version and profile this API implements."""

    version: str
    profile: str
    openapi_url: str


class HsdsPhone(Output):
    """An HSDS phone of an organization, service, location or service at a location."""

    id: UUID
    number: str
    organization_id: UUID | UnsetType = UNSET
    service_id: UUID | UnsetType = UNSET
    location_id: UUID | UnsetType = UNSET
    service_at_location_id: UUID | UnsetType = UNSET
    extension: str | UnsetType = UNSET
    type: str | UnsetType = UNSET
    description: str | UnsetType = UNSET


class HsdsSchedule(Output):
    """An HSDS schedule: one weekly opening (freq WEEKLY, byday, opens_at and closes_at in local time)."""

    id: UUID
    service_id: UUID | UnsetType = UNSET
    location_id: UUID | UnsetType = UNSET
    service_at_location_id: UUID | UnsetType = UNSET
    valid_from: dt.date | UnsetType = UNSET
    valid_to: dt.date | UnsetType = UNSET
    freq: str | UnsetType = UNSET
    wkst: str | UnsetType = UNSET
    byday: str | UnsetType = UNSET
    opens_at: str | UnsetType = UNSET
    closes_at: str | UnsetType = UNSET
    description: str | UnsetType = UNSET


class HsdsAddress(Output):
    """An HSDS address of a location (never of a confidential one)."""

    id: UUID
    location_id: UUID | UnsetType = UNSET
    address_1: str | UnsetType = UNSET
    address_2: str | UnsetType = UNSET
    city: str | UnsetType = UNSET
    region: str | UnsetType = UNSET
    state_province: str | UnsetType = UNSET
    postal_code: str | UnsetType = UNSET
    country: str | UnsetType = UNSET
    address_type: str | UnsetType = UNSET


class HsdsLocation(Output):
    """An HSDS location; latitude and longitude are absent when the place is only approximate."""

    id: UUID
    location_type: str | UnsetType = UNSET
    url: str | UnsetType = UNSET
    organization_id: UUID | UnsetType = UNSET
    name: str | UnsetType = UNSET
    alternate_name: str | UnsetType = UNSET
    description: str | UnsetType = UNSET
    transportation: str | UnsetType = UNSET
    latitude: float | UnsetType = UNSET
    longitude: float | UnsetType = UNSET
    addresses: list[HsdsAddress] | UnsetType = UNSET
    phones: list[HsdsPhone] | UnsetType = UNSET
    schedules: list[HsdsSchedule] | UnsetType = UNSET


class HsdsTaxonomy(Output):
    """An HSDS taxonomy: our categories, our eligibility vocabulary, or an imported one."""

    id: UUID
    name: str
    description: str | UnsetType = UNSET
    uri: str | UnsetType = UNSET
    version: str | UnsetType = UNSET


class HsdsTaxonomyTerm(Output):
    """An HSDS taxonomy term; ancestors (an extension) are its parents, the root first."""

    id: UUID
    name: str
    code: str | UnsetType = UNSET
    description: str | UnsetType = UNSET
    parent_id: UUID | UnsetType = UNSET
    taxonomy: str | UnsetType = UNSET
    taxonomy_id: UUID | UnsetType = UNSET
    language: str | UnsetType = UNSET
    term_uri: str | UnsetType = UNSET
    taxonomy_detail: HsdsTaxonomy | UnsetType = UNSET
    ancestors: "list[HsdsTaxonomyTerm] | UnsetType" = UNSET


class HsdsAttribute(Output):
    """An HSDS attribute: a taxonomy term linked to a service."""

    id: UUID
    taxonomy_term_id: UUID
    link_id: UUID | UnsetType = UNSET
    link_type: str | UnsetType = UNSET
    link_entity: str | UnsetType = UNSET
    taxonomy_term: HsdsTaxonomyTerm | UnsetType = UNSET


class HsdsLanguage(Output):
    """An HSDS language a service is offered in (an ISO 639 code)."""

    id: UUID
    code: str
    service_id: UUID | UnsetType = UNSET


class HsdsOrganization(Output):
    """An HSDS organization: the list shape, or fully nested with locations and services."""

    id: UUID
    name: str
    description: str | UnsetType = UNSET
    alternate_name: str | UnsetType = UNSET
    email: str | UnsetType = UNSET
    website: str | UnsetType = UNSET
    phones: list[HsdsPhone] | UnsetType = UNSET
    locations: list[HsdsLocation] | UnsetType = UNSET
    services: "list[HsdsService] | UnsetType" = UNSET


class HsdsService(Output):
    """An HSDS service: the list shape (service_list), minimal, or fully nested."""

    id: UUID
    name: str
    status: str
    organization_id: UUID | UnsetType = UNSET
    alternate_name: str | UnsetType = UNSET
    description: str | UnsetType = UNSET
    url: str | UnsetType = UNSET
    email: str | UnsetType = UNSET
    application_process: str | UnsetType = UNSET
    fees_description: str | UnsetType = UNSET
    eligibility_description: str | UnsetType = UNSET
    assured_date: dt.date | UnsetType = UNSET
    minimum_age: float | UnsetType = UNSET
    maximum_age: float | UnsetType = UNSET
    last_modified: dt.datetime | UnsetType = UNSET
    organization: HsdsOrganization | UnsetType = UNSET
    phones: list[HsdsPhone] | UnsetType = UNSET
    schedules: list[HsdsSchedule] | UnsetType = UNSET
    service_at_locations: "list[HsdsServiceAtLocation] | UnsetType" = UNSET
    languages: list[HsdsLanguage] | UnsetType = UNSET
    attributes: list[HsdsAttribute] | UnsetType = UNSET


class HsdsServiceAtLocation(Output):
    """An HSDS service at a location, with its location and (in lists and full) its service nested."""

    id: UUID
    service_id: UUID
    location_id: UUID
    description: str | UnsetType = UNSET
    location: HsdsLocation | UnsetType = UNSET
    service: HsdsService | UnsetType = UNSET
    phones: list[HsdsPhone] | UnsetType = UNSET
    schedules: list[HsdsSchedule] | UnsetType = UNSET


class HsdsPage(Output):
    """The HSDS Page envelope; each list names what its contents hold."""

    total_items: int
    total_pages: int
    page_number: int
    size: int
    first_page: bool
    last_page: bool
    empty: bool


class HsdsServicePage(HsdsPage):
    """A page of HSDS services."""

    contents: list[HsdsService]


class HsdsOrganizationPage(HsdsPage):
    """A page of HSDS organizations."""

    contents: list[HsdsOrganization]


class HsdsServiceAtLocationPage(HsdsPage):
    """A page of HSDS services at locations."""

    contents: list[HsdsServiceAtLocation]


class HsdsTaxonomyPage(HsdsPage):
    """A page of HSDS taxonomies."""

    contents: list[HsdsTaxonomy]


class HsdsTaxonomyTermPage(HsdsPage):
    """A page of HSDS taxonomy terms."""

    contents: list[HsdsTaxonomyTerm]
