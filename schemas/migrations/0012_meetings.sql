-- Mutual-aid meetings (AA, NA, SMART, ...): weekly, at a CommonGround location or a place of their
-- own, and/or online. A meeting imported from a feed is keyed by (source, slug); one written through
-- the API has no source and a slug of its own.
CREATE TABLE meetings (
    id                     uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    source                 text,
    slug                   text NOT NULL CHECK (length(slug) BETWEEN 1 AND 200),
    name                   text NOT NULL,
    days                   smallint[] NOT NULL CHECK (cardinality(days) > 0 AND days <@ ARRAY[1,2,3,4,5,6,7]::smallint[]),
    start_time             time NOT NULL,
    duration_minutes       int NOT NULL CHECK (duration_minutes BETWEEN 1 AND 1440),
    timezone               text NOT NULL,
    location_id            uuid REFERENCES locations ON DELETE RESTRICT,
    location_name          text,
    location_notes         text,
    address_1              text,
    city                   text,
    state_province         text,
    postal_code            text,
    country                text,
    formatted_address      text,
    latitude               float8 CHECK (latitude BETWEEN -90 AND 90),
    longitude              float8 CHECK (longitude BETWEEN -180 AND 180),
    approximate            boolean NOT NULL DEFAULT false,
    conference_url         text,
    conference_url_notes   text,
    conference_phone       text,
    conference_phone_notes text,
    types                  text[] NOT NULL DEFAULT '{}',
    -- Type codes of a feed that have no CommonGround meaning: kept as given, flagged on import.
    other_types            text[] NOT NULL DEFAULT '{}',
    languages              text[] NOT NULL DEFAULT '{}',
    fellowship             text,
    group_name             text,
    notes                  text,
    regions                text[] NOT NULL DEFAULT '{}',
    -- [{name, email, phone}]: names are cut to a first name and an initial before they are stored.
    contacts               jsonb NOT NULL DEFAULT '[]',
    url                    text,
    updated                timestamptz,
    -- The public point (a confidential location's rounded one), written by a trigger from the
    -- meeting's own coordinates or its location's; NULL for a meeting only online.
    geo                    earth,
    created_at             timestamptz NOT NULL DEFAULT now(),
    updated_at             timestamptz NOT NULL DEFAULT now(),
    deleted_at             timestamptz,
    CHECK ((latitude IS NULL) = (longitude IS NULL)),
    CHECK (NOT approximate OR latitude IS NOT NULL OR formatted_address IS NOT NULL OR city IS NOT NULL)
);
CREATE UNIQUE INDEX meetings_source_slug ON meetings (coalesce(source, ''), slug) WHERE deleted_at IS NULL;
CREATE INDEX meetings_geo ON meetings USING gist (geo) WHERE deleted_at IS NULL;
CREATE INDEX meetings_location ON meetings (location_id);
CREATE INDEX meetings_types ON meetings USING gin (types);

-- Where each weekly occurrence of a meeting falls, as seconds of a UTC week (from Monday 00:00 UTC),
-- once for every UTC offset its time zone uses: a superset of its true spans that GiST answers
-- "starting soon" from (with the meeting's public point, nearest first), before the exact local-time
-- check. One row a span, so the planner's estimates are those of single ranges. Written with the meeting.
CREATE TABLE meeting_spans (
    meeting_id uuid NOT NULL REFERENCES meetings ON DELETE CASCADE,
    span       int4range NOT NULL,
    geo        earth
);
CREATE INDEX meeting_spans_span ON meeting_spans USING gist (span);
CREATE INDEX meeting_spans_near ON meeting_spans USING gist (geo, span) WHERE geo IS NOT NULL;
CREATE INDEX meeting_spans_meeting ON meeting_spans (meeting_id);

-- A source of meetings registered by an admin: a Meeting Guide feed URL fetched only when fetching
-- is enabled (COMMONGROUND_MEETING_FEEDS); otherwise an import of the file stands in for it.
CREATE TABLE meeting_sources (
    name       text PRIMARY KEY CHECK (name ~ '^[a-z0-9][a-z0-9_.-]{0,63}$'),
    feed_url   text,
    created_at timestamptz NOT NULL DEFAULT now(),
    imported_at timestamptz
);
