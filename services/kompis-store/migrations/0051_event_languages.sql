-- The languages a participant speaks, on the events about them, for the supply and
-- demand of a past period per language: which languages the newcomers waiting at the
-- end of a period speak, and which the established residents ready then speak.
--
-- `languages` holds the ISO 639 codes of the participant's languages (no levels, no
-- Swedish level), sorted and distinct, copied when the event is written, like the
-- other structured attributes of 0005 and 0050; it is set on participant and
-- interview events and left NULL on the others. Like them it survives the erasure of
-- the person, and reports only ever show it counted, suppressed for partner viewers.
ALTER TABLE events
    ADD COLUMN languages text[];

-- Backfill of the events written before this column existed: the languages of
-- participants who are still on record (not erased: erasure empties their languages),
-- as they are now, the best record there is. Events of erased participants, and of
-- participants who had no languages recorded, keep NULL and count under no language.
-- The backfill rewrites rows, which the append-only trigger forbids: it is dropped and
-- created again around the update, in this same transaction.
DROP TRIGGER events_append_only ON events;
UPDATE events e SET languages = (
    SELECT array_agg(DISTINCT l ->> 'code' ORDER BY l ->> 'code')
    FROM jsonb_array_elements(p.languages) l)
FROM participants p
WHERE e.kind IN ('participant', 'interview')
  AND split_part(e.subject, '/', 4) = p.id::text
  AND jsonb_array_length(p.languages) > 0;
CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION events_are_append_only();
