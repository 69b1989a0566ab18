-- What lets the follow-up report count a year of a large programme in one pass.
--
-- 1. `events.prior_time`: when the same subject last had an event of the same kind into
--    the same state, before this one (in the log's order: occurrence time, then id);
--    NULL when never. Set once, by the trigger below, as the event is written, from
--    the event log alone, so it is as immutable and as non-personal as the rest of the
--    row. A figure that counts people (or matches, activities, invitations) once per
--    period counts the events in the period whose `prior_time` lies before the period
--    starts: each subject's first such event in the period, exactly one per subject,
--    with no DISTINCT over the subjects.
--
-- 2. `report_state_spans`: for each event that put a participant into `ready` or a match
--    into `accepted` or `active`, how long that state lasted: from the event until the
--    subject's next event (`end_time`, infinity while it lasts). "Newcomers waiting and
--    matches live at the end of a period" are the spans that cover the period's end:
--    an index range over the spans that end after it, instead of every event before
--    it. A span carries the structured attributes of the event that began it, copied
--    from the event log, and survives erasure as the event log does. Kept by the
--    trigger below in the transaction that appends the event.
--
-- Both are exact however the events arrive: a subject's event written with an earlier
-- occurrence time than one already in the log (two transactions whose clocks were read
-- in the other order) moves the span boundaries it falls between. `prior_time` is
-- exact when a subject's events into one state are written in their time order, which
-- the store does by changing a subject under its row lock; the backfill below computes
-- it from the whole log.

ALTER TABLE events ADD COLUMN prior_time timestamptz;

COMMENT ON COLUMN events.prior_time IS
    'When the same subject last had an event of the same kind into the same state before this one (log order); NULL when never.';

CREATE FUNCTION events_set_prior_time() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    SELECT e.occur_time INTO NEW.prior_time
    FROM events e
    WHERE e.subject = NEW.subject AND e.kind = NEW.kind AND e.to_state = NEW.to_state
      AND (e.occur_time, e.id) < (NEW.occur_time, NEW.id)
    ORDER BY e.occur_time DESC, e.id DESC
    LIMIT 1;
    RETURN NEW;
END;
$$;

CREATE TABLE report_state_spans (
    -- The event that began the span.
    event_id         uuid PRIMARY KEY,
    chapter_id       text NOT NULL,
    subject          text NOT NULL,
    kind             text NOT NULL CHECK (kind IN ('participant', 'match')),
    state            text NOT NULL,
    participant_role text,
    referral_source  text,
    municipality_id  text,
    district_id      text,
    gender           text,
    birth_year       integer,
    -- The participant's languages (0051), for the supply and demand per language.
    languages        text[],
    start_time       timestamptz NOT NULL,
    -- The subject's next event; infinity while the state lasts.
    end_time         timestamptz NOT NULL DEFAULT 'infinity',
    CHECK (end_time >= start_time)
);
COMMENT ON TABLE report_state_spans IS
    'How long each participant was ready and each match accepted or active, from the event log, for the follow-up report''s figures at the end of a period.';
CREATE INDEX report_state_spans_end ON report_state_spans (chapter_id, end_time);
CREATE INDEX report_state_spans_subject ON report_state_spans (subject, start_time);

-- The states whose spans are kept.
CREATE FUNCTION report_span_state(kind text, state text) RETURNS boolean
    LANGUAGE sql IMMUTABLE AS $$
    SELECT (kind = 'participant' AND state = 'ready')
        OR (kind = 'match' AND state IN ('accepted', 'active'))
$$;

CREATE FUNCTION events_keep_state_spans() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    prev events%ROWTYPE;
    next_time timestamptz;
BEGIN
    -- The subject's events just before and just after this one.
    SELECT * INTO prev FROM events e
    WHERE e.subject = NEW.subject AND (e.occur_time, e.id) < (NEW.occur_time, NEW.id)
    ORDER BY e.occur_time DESC, e.id DESC LIMIT 1;
    SELECT e.occur_time INTO next_time FROM events e
    WHERE e.subject = NEW.subject AND (e.occur_time, e.id) > (NEW.occur_time, NEW.id)
    ORDER BY e.occur_time, e.id LIMIT 1;
    IF prev.id IS NOT NULL AND report_span_state(prev.kind, prev.to_state) THEN
        UPDATE report_state_spans SET end_time = NEW.occur_time WHERE event_id = prev.id;
    END IF;
    IF report_span_state(NEW.kind, NEW.to_state) THEN
        INSERT INTO report_state_spans (event_id, chapter_id, subject, kind, state,
            participant_role, referral_source, municipality_id, district_id, gender,
            birth_year, start_time, end_time, languages)
        VALUES (NEW.id, NEW.chapter_id, NEW.subject, NEW.kind, NEW.to_state,
            NEW.participant_role, NEW.referral_source, NEW.municipality_id, NEW.district_id,
            NEW.gender, NEW.birth_year, NEW.occur_time, coalesce(next_time, 'infinity'),
            NEW.languages);
    END IF;
    RETURN NULL;
END;
$$;

-- The backfill writes `prior_time` into rows already there, which the append-only
-- trigger forbids: it is dropped and made again around the backfill, in this same
-- transaction (as 0005 did).
DROP TRIGGER events_append_only ON events;
UPDATE events e SET prior_time = p.prior_time
FROM (SELECT id, lag(occur_time) OVER (PARTITION BY subject, kind, to_state
                                       ORDER BY occur_time, id) AS prior_time
      FROM events) p
WHERE p.id = e.id AND p.prior_time IS NOT NULL;
CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION events_are_append_only();

INSERT INTO report_state_spans (event_id, chapter_id, subject, kind, state, participant_role,
    referral_source, municipality_id, district_id, gender, birth_year, start_time, end_time,
    languages)
SELECT id, chapter_id, subject, kind, to_state, participant_role, referral_source,
       municipality_id, district_id, gender, birth_year, occur_time, coalesce(next_time, 'infinity'),
       languages
FROM (SELECT e.*, lead(occur_time) OVER (PARTITION BY subject ORDER BY occur_time, id) AS next_time
      FROM events e WHERE kind IN ('participant', 'match')) s
WHERE report_span_state(kind, to_state);

CREATE TRIGGER events_prior_time BEFORE INSERT ON events
    FOR EACH ROW EXECUTE FUNCTION events_set_prior_time();
CREATE TRIGGER events_state_spans AFTER INSERT ON events
    FOR EACH ROW WHEN (NEW.kind IN ('participant', 'match'))
    EXECUTE FUNCTION events_keep_state_spans();

-- The follow-up's events of one kind into one state in a period, read from the index
-- alone (the table is append-only, so its pages are soon all-visible): the matches made
-- with their newcomer's attributes, the check-ins answered `met`, and the waits of the
-- newcomers matched.
CREATE INDEX events_report_made ON events (chapter_id, occur_time)
    INCLUDE (match_id, prior_time, participant_role, gender, birth_year, referral_source,
             municipality_id, district_id)
    WHERE kind = 'match' AND to_state = 'accepted';
CREATE INDEX events_report_met ON events (chapter_id, occur_time) INCLUDE (match_id)
    WHERE kind = 'check_in' AND to_state = 'met';
CREATE INDEX events_report_matched ON events (chapter_id, occur_time)
    INCLUDE (waited_seconds, participant_role, gender, birth_year, referral_source,
             municipality_id, district_id)
    WHERE kind = 'participant' AND to_state = 'matched';
