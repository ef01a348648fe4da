"""Struct rules, without a database."""

import msgspec
import pytest

from schemas.locations import LocationFields, LocationPatch
from schemas.resources import ResourceCreate
from schemas.schedules import ScheduleCreate
from schemas.services import ServiceCreate
from tests.factories import ISSUE_BODY


def decode(payload: object, shape: type) -> object:
    return msgspec.json.decode(msgspec.json.encode(payload), type=shape)


def test_issue_body_is_accepted_as_is():
    body = decode(ISSUE_BODY, ResourceCreate)
    assert body.service.categories == ["naloxone"]
    assert body.location.latitude == 45.5231


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"organization_id": "6f1d8a62-3c1e-4f0b-9a57-2f3d9c0b7e11"}, "exactly one of organization"),
        ({"location": None}, "exactly one of location"),
        ({"extra": 1}, "unknown field `extra`"),
    ],
)
def test_resource_body_rules(change, message):
    body = {**ISSUE_BODY, **change}
    if body.get("location") is None:
        body.pop("location")
    with pytest.raises(msgspec.ValidationError, match=message):
        decode(body, ResourceCreate)


@pytest.mark.parametrize(
    ("latitude", "longitude", "message"),
    [
        (100, 0, r"<= 90"),
        (-90.5, 0, r">= -90"),
        (0, -200, r">= -180"),
        (0, 180.01, r"<= 180"),
        (10, None, "go together"),
    ],
)
def test_coordinates_are_checked(latitude, longitude, message):
    with pytest.raises(msgspec.ValidationError, match=message):
        decode({"latitude": latitude, "longitude": longitude}, LocationFields)


def test_coordinates_at_the_edges_are_fine():
    for latitude, longitude in [(90, 180), (-90, -180), (0, 0)]:
        assert decode({"latitude": latitude, "longitude": longitude}, LocationFields).latitude == latitude


def test_patch_moves_both_coordinates_or_neither():
    with pytest.raises(msgspec.ValidationError, match="together"):
        decode({"latitude": 1.0}, LocationPatch)
    assert decode({"latitude": None, "longitude": None}, LocationPatch).latitude is None
    assert decode({}, LocationPatch).latitude is msgspec.UNSET


@pytest.mark.parametrize(
    ("schedule", "message"),
    [
        ({"weekday": 0, "opens_at": "09:00", "closes_at": "17:00"}, ">= 1"),
        ({"weekday": 8, "opens_at": "09:00", "closes_at": "17:00"}, "<= 7"),
        ({"weekday": 1, "opens_at": "9am", "closes_at": "17:00"}, "matching regex"),
        ({"weekday": 1, "opens_at": "25:00", "closes_at": "17:00"}, "matching regex"),
        ({"weekday": 1, "opens_at": "09:00", "closes_at": "09:00"}, "equal"),
        ({"weekday": 1, "opens_at": "24:00", "closes_at": "09:00"}, "cannot be 24:00"),
        (
            {
                "weekday": 1,
                "opens_at": "09:00",
                "closes_at": "17:00",
                "valid_from": "2026-02-01",
                "valid_to": "2026-01-01",
            },
            "after valid_to",
        ),
    ],
)
def test_bad_schedules_are_rejected(schedule, message):
    with pytest.raises(msgspec.ValidationError, match=message):
        decode(schedule, ScheduleCreate)


def test_overnight_and_all_day_schedules_are_legal():
    assert decode({"weekday": 5, "opens_at": "22:00", "closes_at": "06:00"}, ScheduleCreate).closes_at == "06:00"
    assert decode({"weekday": 5, "opens_at": "00:00", "closes_at": "24:00"}, ScheduleCreate).closes_at == "24:00"


def test_service_needs_a_category_and_a_real_name():
    base = {"organization_id": "6f1d8a62-3c1e-4f0b-9a57-2f3d9c0b7e11", "name": "Van"}
    with pytest.raises(msgspec.ValidationError, match="categories"):
        decode(base, ServiceCreate)
    with pytest.raises(msgspec.ValidationError, match="length >= 1"):
        decode({**base, "categories": []}, ServiceCreate)
    with pytest.raises(msgspec.ValidationError, match="matching regex"):
        decode({**base, "name": "   ", "categories": ["rides"]}, ServiceCreate)
    with pytest.raises(msgspec.ValidationError, match="Invalid enum"):
        decode({**base, "categories": ["rides"], "status": "closed"}, ServiceCreate)
