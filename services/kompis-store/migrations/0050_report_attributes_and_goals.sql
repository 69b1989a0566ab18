-- What the partnership's follow-up figures need beyond 0005, and its targets.
--
-- Two more structured, non-personal attributes on the event log, copied when the event
-- is written so that they survive the erasure of the person:
-- - `waited_seconds`: on a participant's event into `matched`, how long they had waited
--   on the waiting list (from `waiting_since`), for the median and 90th percentile
--   wait from ready to matched;
-- - `activity_free`: on an activity's events, whether it is free.
-- Adding columns rewrites no row, so the append-only trigger of 0005 is not involved.
ALTER TABLE events
    ADD COLUMN waited_seconds bigint CHECK (waited_seconds >= 0),
    ADD COLUMN activity_free  boolean;

-- The figures read a chapter's events of one kind in a period (0005's index), and a
-- match's check-ins by the match.
CREATE INDEX events_match ON events (match_id, kind) WHERE match_id IS NOT NULL;

-- A target the partnership agreed for a period, for example 105 newcomers matched and
-- 85 activities in 2018 in Botkyrka. Not personal data. One target per chapter,
-- municipality (empty for the whole chapter), period and metric; setting it again
-- replaces the number.
CREATE TABLE report_goals (
    chapter_id      text NOT NULL REFERENCES chapters (id) ON DELETE CASCADE,
    municipality_id text NOT NULL DEFAULT '',
    start_time      timestamptz NOT NULL,
    end_time        timestamptz NOT NULL,
    -- A metric of the follow-up report, for example `newcomers_matched`.
    metric          text NOT NULL CHECK (metric ~ '^[a-z][a-z0-9_]{1,62}$'),
    target          integer NOT NULL CHECK (target BETWEEN 0 AND 1000000),
    update_time     timestamptz NOT NULL,
    updated_by      text NOT NULL,
    CHECK (end_time > start_time),
    PRIMARY KEY (chapter_id, municipality_id, start_time, end_time, metric)
);
