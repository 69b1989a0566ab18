-- The event log that reports count on, also after people are erased.
--
-- Every event gets a `kind` from a closed set (kompis_domain::EventKind) and the
-- structured, non-personal attributes the partnership's figures need, copied at the
-- time of the event so that they survive the erasure of the person: the participant's
-- role, gender and birth year; how they came (referral source) and from which
-- organisation; municipality and district; a match's end reason; the activity. None of
-- these identifies a person on its own; the free text `reason` stays apart and is the
-- only column that may change (blanked on erasure).

ALTER TABLE events
    ADD COLUMN kind             text,
    ADD COLUMN participant_role text CHECK (participant_role IN ('newcomer', 'established_resident')),
    -- How the participant came: participants.source.
    ADD COLUMN referral_source  text CHECK (referral_source IN ('referral', 'coordinator', 'self_sign_up')),
    ADD COLUMN organization_id  text,
    ADD COLUMN municipality_id  text,
    ADD COLUMN district_id      text,
    ADD COLUMN gender           text CHECK (gender IN ('female', 'male', 'non_binary', 'undisclosed')),
    ADD COLUMN birth_year       integer CHECK (birth_year BETWEEN 1900 AND 2200),
    -- Why a match ended (the strings of the match service's end reasons).
    ADD COLUMN end_reason       text CHECK (length(end_reason) BETWEEN 1 AND 40),
    ADD COLUMN match_id         uuid,
    ADD COLUMN activity_id      uuid,
    ADD COLUMN activity_kind    text CHECK (length(activity_kind) BETWEEN 1 AND 40),
    -- Anything else a report needs that is neither personal nor free text.
    ADD COLUMN attributes       jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(attributes) = 'object');

-- The backfill rewrites rows, which the append-only trigger of 0001 forbids: replace it
-- (below) after the backfill, in this same transaction.
DROP TRIGGER events_append_only ON events;

-- Kinds from the subject's resource name.
UPDATE events SET kind = CASE
    WHEN subject ~ '^chapters/[^/]+/participants/[^/]+/interviews/[^/]+$' THEN 'interview'
    WHEN subject ~ '^chapters/[^/]+/participants/[^/]+$' THEN 'participant'
    WHEN subject ~ '^chapters/[^/]+/referrals/[^/]+$' THEN 'referral'
    WHEN subject ~ '^chapters/[^/]+/matches/' THEN 'match'
    WHEN subject ~ '^chapters/[^/]+/activities/[^/]+/invitations/' THEN 'invitation'
    WHEN subject ~ '^chapters/[^/]+/activities/' THEN 'activity'
END;
-- Attributes of participants (and of their interviews) as the participant is now: the
-- best record there is of them at the time.
UPDATE events e SET
    participant_role = p.role, referral_source = p.source, gender = p.gender,
    birth_year = p.birth_year, municipality_id = p.municipality_id, district_id = p.district_id,
    organization_id = r.organization_id
FROM participants p LEFT JOIN referrals r ON r.participant_id = p.id
WHERE e.kind IN ('participant', 'interview')
  AND split_part(e.subject, '/', 4) = p.id::text;
UPDATE events e SET
    participant_role = 'newcomer', referral_source = 'referral', gender = r.gender,
    birth_year = r.birth_year, municipality_id = r.municipality_id, district_id = r.district_id,
    organization_id = r.organization_id
FROM referrals r
WHERE e.kind = 'referral' AND split_part(e.subject, '/', 4) = r.id::text;

-- Rows no rule above recognised would fail the NOT NULL below: there are none in a
-- database made by this service's migrations and code.
ALTER TABLE events
    ALTER COLUMN kind SET NOT NULL,
    ADD CONSTRAINT events_kind CHECK (kind IN ('referral', 'participant', 'interview', 'match',
        'check_in', 'activity', 'invitation')),
    -- Business times come from the application's clock, never from the database's.
    ALTER COLUMN occur_time DROP DEFAULT;
CREATE INDEX events_kind ON events (chapter_id, kind, occur_time);

-- Append-only for every column, including ones added by later migrations: the row
-- without `reason` must stay exactly as it was, and `reason` may only be blanked.
CREATE OR REPLACE FUNCTION events_are_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.reason = ''
       AND (to_jsonb(NEW) - 'reason') = (to_jsonb(OLD) - 'reason')
    THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'the event log is append-only' USING ERRCODE = 'integrity_constraint_violation';
END;
$$;
CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION events_are_append_only();
CREATE TRIGGER events_never_truncated BEFORE TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION events_are_append_only();
