-- Dated events: an expungement clinic on the 14th, a naloxone training, a mobile clinic's monthly stop.
-- Once (starts_at, ends_at), or at a local time on a list of dates or by an RFC 5545 RRULE subset in the
-- event's own time zone; at a service, a location, a place of its own, and/or online.
CREATE TABLE events (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    title            text NOT NULL,
    description      text,
    service_id       uuid REFERENCES services ON DELETE RESTRICT,
    location_id      uuid REFERENCES locations ON DELETE RESTRICT,
    location_name    text,
    address_1        text,
    city             text,
    state_province   text,
    postal_code      text,
    country          text,
    latitude         float8 CHECK (latitude BETWEEN -90 AND 90),
    longitude        float8 CHECK (longitude BETWEEN -180 AND 180),
    online_url       text,
    online_notes     text,
    starts_at        timestamptz,
    ends_at          timestamptz,
    start_date       date,
    start_time       time,
    duration_minutes int NOT NULL CHECK (duration_minutes BETWEEN 1 AND 20160),
    timezone         text NOT NULL,
    recurrence       text,
    exdates          date[] NOT NULL DEFAULT '{}',
    dates            date[] NOT NULL DEFAULT '{}',
    capacity         int CHECK (capacity >= 0),
    registration_url text,
    free             boolean,
    fee              text,
    languages        text[] NOT NULL DEFAULT '{}',
    attributes       text[] NOT NULL DEFAULT '{}',
    genders          text[] NOT NULL DEFAULT '{}' CHECK (genders <@ ARRAY['women', 'men', 'transgender', 'nonbinary']),
    minimum_age      smallint CHECK (minimum_age BETWEEN 0 AND 130),
    maximum_age      smallint CHECK (maximum_age BETWEEN 0 AND 130),
    -- The public point (a confidential location's rounded one), written by a trigger; NULL when placeless.
    geo              earth,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    deleted_at       timestamptz,
    CHECK ((latitude IS NULL) = (longitude IS NULL)),
    CHECK ((starts_at IS NULL) = (ends_at IS NULL) AND (starts_at IS NULL) = (start_time IS NOT NULL))
);
CREATE INDEX events_service ON events (service_id);
CREATE INDEX events_location ON events (location_id);

-- Each occurrence of a live event from a little before now to a horizon, written with the event, so a
-- search window is an index range and not an expansion of every event.
CREATE TABLE event_occurrences (
    event_id  uuid NOT NULL REFERENCES events ON DELETE CASCADE,
    starts_at timestamptz NOT NULL,
    ends_at   timestamptz NOT NULL,
    geo       earth,
    PRIMARY KEY (event_id, starts_at)
);
CREATE INDEX event_occurrences_start ON event_occurrences (starts_at);
CREATE INDEX event_occurrences_near ON event_occurrences USING gist (geo) WHERE geo IS NOT NULL;

-- How far each event's occurrences are stored (infinity: all of them); a search past it extends them first.
-- A table of its own, so extending it is no change to the event: no audit record, feed entry or webhook.
CREATE TABLE event_expansions (
    event_id       uuid PRIMARY KEY REFERENCES events ON DELETE CASCADE,
    expanded_until timestamptz NOT NULL
);
CREATE INDEX event_expansions_until ON event_expansions (expanded_until);
