-- Reference data: the places the programme works in, the chapters that run it,
-- the organisations that refer learners, and each chapter's matching weights.
-- Places are data, not code: rows come from seeds/places.sql and from administrators.

-- A Swedish municipality (kommun). `id` is a lowercase slug used in resource names
-- (municipalities/{id}); `code` is the official four-digit kommunkod.
CREATE TABLE municipalities (
    id           text PRIMARY KEY CHECK (id ~ '^[a-z][a-z0-9-]{1,62}$'),
    display_name text NOT NULL CHECK (length(display_name) BETWEEN 1 AND 100),
    code         char(4) NOT NULL UNIQUE CHECK (code ~ '^[0-9]{4}$'),
    region       text NOT NULL DEFAULT '' CHECK (length(region) <= 100),
    create_time  timestamptz NOT NULL DEFAULT now(),
    update_time  timestamptz NOT NULL DEFAULT now()
);

-- A district (kommundel) of a municipality, with the coordinates of its centre so that
-- distances between districts are real geography.
CREATE TABLE districts (
    municipality_id text NOT NULL REFERENCES municipalities (id),
    id              text NOT NULL CHECK (id ~ '^[a-z][a-z0-9-]{1,62}$'),
    display_name    text NOT NULL CHECK (length(display_name) BETWEEN 1 AND 100),
    latitude        double precision NOT NULL CHECK (latitude BETWEEN -90 AND 90),
    longitude       double precision NOT NULL CHECK (longitude BETWEEN -180 AND 180),
    create_time     timestamptz NOT NULL DEFAULT now(),
    update_time     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (municipality_id, id)
);

-- A chapter (lokalavdelning) runs the programme in one or more municipalities.
CREATE TABLE chapters (
    id            text PRIMARY KEY CHECK (id ~ '^[a-z][a-z0-9-]{1,62}$'),
    display_name  text NOT NULL CHECK (length(display_name) BETWEEN 1 AND 100),
    contact_email text NOT NULL DEFAULT '' CHECK (length(contact_email) <= 254),
    create_time   timestamptz NOT NULL DEFAULT now(),
    update_time   timestamptz NOT NULL DEFAULT now()
);

-- Which municipalities a chapter covers. A municipality is served by at most one
-- chapter, so that every district has exactly one responsible coordinator team.
CREATE TABLE chapter_municipalities (
    chapter_id      text NOT NULL REFERENCES chapters (id) ON DELETE CASCADE,
    municipality_id text NOT NULL UNIQUE REFERENCES municipalities (id),
    PRIMARY KEY (chapter_id, municipality_id)
);

-- An organisation that refers learners (an SFI school, a folk high school, a study
-- association, the Public Employment Service, the municipality). Referrers belong to one.
CREATE TABLE organizations (
    id              text PRIMARY KEY CHECK (id ~ '^[a-z][a-z0-9-]{1,62}$'),
    chapter_id      text NOT NULL REFERENCES chapters (id),
    municipality_id text NOT NULL REFERENCES municipalities (id),
    kind            text NOT NULL CHECK (kind IN ('sfi_school', 'folk_high_school',
                        'study_association', 'public_employment_service', 'municipality', 'other')),
    display_name    text NOT NULL CHECK (length(display_name) BETWEEN 1 AND 100),
    contact_email   text NOT NULL DEFAULT '' CHECK (length(contact_email) <= 254),
    create_time     timestamptz NOT NULL DEFAULT now(),
    update_time     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX organizations_chapter ON organizations (chapter_id, id);

-- The chapter's weights for the matching engine's soft criteria and its limits.
-- One row per chapter. The defaults are the matching engine's default weights
-- (services/kompis-matching/README.md) scaled by 2/3 into the API's 0-100 range, so their
-- proportions, which are all that matters to the ranking, are the engine's. Weights are 0-100,
-- 0 switching a criterion off.
CREATE TABLE matching_weights (
    chapter_id          text PRIMARY KEY REFERENCES chapters (id) ON DELETE CASCADE,
    shared_interests    integer NOT NULL DEFAULT 67 CHECK (shared_interests BETWEEN 0 AND 100),
    distance            integer NOT NULL DEFAULT 67 CHECK (distance BETWEEN 0 AND 100),
    age_closeness       integer NOT NULL DEFAULT 33 CHECK (age_closeness BETWEEN 0 AND 100),
    soft_wishes         integer NOT NULL DEFAULT 53 CHECK (soft_wishes BETWEEN 0 AND 100),
    swedish_level_fit   integer NOT NULL DEFAULT 40 CHECK (swedish_level_fit BETWEEN 0 AND 100),
    family_situation    integer NOT NULL DEFAULT 27 CHECK (family_situation BETWEEN 0 AND 100),
    meeting_preference  integer NOT NULL DEFAULT 20 CHECK (meeting_preference BETWEEN 0 AND 100),
    waiting_time        integer NOT NULL DEFAULT 100 CHECK (waiting_time BETWEEN 0 AND 100),
    max_distance_km     double precision NOT NULL DEFAULT 15 CHECK (max_distance_km > 0 AND max_distance_km <= 500),
    min_age             integer NOT NULL DEFAULT 18 CHECK (min_age BETWEEN 16 AND 99),
    top_k               integer NOT NULL DEFAULT 5 CHECK (top_k BETWEEN 1 AND 50),
    update_time         timestamptz NOT NULL DEFAULT now()
);

-- The chapter's interest taxonomy (football, cooking, hiking, ...), chosen at interviews.
CREATE TABLE interests (
    chapter_id   text NOT NULL REFERENCES chapters (id) ON DELETE CASCADE,
    id           text NOT NULL CHECK (id ~ '^[a-z][a-z0-9-]{1,62}$'),
    display_name text NOT NULL CHECK (length(display_name) BETWEEN 1 AND 100),
    category     text NOT NULL CHECK (length(category) BETWEEN 1 AND 100),
    create_time  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (chapter_id, id),
    UNIQUE (chapter_id, category, display_name)
);

-- Idempotent creates: a create retried with the same request_id returns the resource it
-- made the first time. `request_hash` detects a request_id reused for a different request.
CREATE TABLE idempotency_keys (
    method        text NOT NULL,
    request_id    uuid NOT NULL,
    request_hash  bytea NOT NULL,
    resource_name text NOT NULL,
    create_time   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (method, request_id)
);

-- The append-only event log: every state change of a referral, participant, match or
-- activity. Reports are built on it. Rows are never updated or deleted (see trigger).
CREATE TABLE events (
    id          uuid PRIMARY KEY,
    chapter_id  text NOT NULL REFERENCES chapters (id),
    subject     text NOT NULL,
    actor       text NOT NULL,
    occur_time  timestamptz NOT NULL DEFAULT now(),
    from_state  text NOT NULL DEFAULT '',
    to_state    text NOT NULL,
    reason      text NOT NULL DEFAULT '' CHECK (length(reason) <= 2000)
);
CREATE INDEX events_subject ON events (subject, occur_time, id);
CREATE INDEX events_chapter ON events (chapter_id, occur_time, id);

-- One exception: `reason` may be blanked. A reason is free text a person wrote and may
-- hold personal data; erasing it (GDPR) must stay possible while who, when, from and to
-- stay as they were.
CREATE FUNCTION events_are_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.reason = ''
       AND (NEW.id, NEW.chapter_id, NEW.subject, NEW.actor, NEW.occur_time, NEW.from_state, NEW.to_state)
           IS NOT DISTINCT FROM
           (OLD.id, OLD.chapter_id, OLD.subject, OLD.actor, OLD.occur_time, OLD.from_state, OLD.to_state)
    THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'the event log is append-only';
END;
$$;
CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION events_are_append_only();

-- The transactional outbox: what must be delivered through Redis. Written in the same
-- transaction as the change it announces; the relay publishes and marks it.
CREATE TABLE outbox (
    id           bigserial PRIMARY KEY,
    topic        text NOT NULL,
    version      integer NOT NULL,
    payload      jsonb NOT NULL,
    create_time  timestamptz NOT NULL DEFAULT now(),
    publish_time timestamptz
);
CREATE INDEX outbox_unpublished ON outbox (id) WHERE publish_time IS NULL;
