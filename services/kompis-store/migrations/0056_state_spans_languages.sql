-- The languages of the participant on their spans of `ready` (0051), copied from the
-- event that began the span (0055), so that the supply and demand at the end of a
-- period per language reads the spans that cover the end, as the other figures at the
-- end do, instead of every participant event before it.

ALTER TABLE report_state_spans ADD COLUMN languages text[];

UPDATE report_state_spans s SET languages = e.languages
FROM events e
WHERE e.id = s.event_id AND e.languages IS NOT NULL;

CREATE OR REPLACE FUNCTION events_keep_state_spans() RETURNS trigger LANGUAGE plpgsql AS $$
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
