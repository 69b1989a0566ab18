-- The coordinators' notes about a participant, as a history instead of one overwritable
-- column: appended, each with its author and time, and erasable. Erasing blanks the
-- text for good and records who erased it and when, so the history shows that a note
-- was there without what it said (free text may carry health or religion). Never shown
-- to referrers or to the participant.
CREATE TABLE participant_notes (
    id             uuid PRIMARY KEY,
    participant_id uuid NOT NULL REFERENCES participants (id) ON DELETE CASCADE,
    -- Account id (token subject) of the writer; 'system' for notes carried over below.
    author         text NOT NULL CHECK (length(author) BETWEEN 1 AND 200),
    create_time    timestamptz NOT NULL,
    text           text NOT NULL CHECK (length(text) <= 2000),
    erased_by      text CHECK (length(erased_by) BETWEEN 1 AND 200),
    erase_time     timestamptz,
    CONSTRAINT participant_notes_erasure CHECK (
        (erase_time IS NULL) = (erased_by IS NULL)
        AND (erase_time IS NULL) = (text <> ''))
);
CREATE INDEX participant_notes_participant ON participant_notes (participant_id, create_time, id);

-- The one note each participant had becomes the first of their history. Who wrote it
-- was not recorded; when is its participant's last change.
INSERT INTO participant_notes (id, participant_id, author, create_time, text)
SELECT gen_random_uuid(), id, 'system', update_time, note FROM participants WHERE note <> '';
ALTER TABLE participants DROP COLUMN note;
