-- A participant's own change, made in the app, to what matching uses (district,
-- languages, Swedish level, availability, interests, free tags, meeting preference,
-- wishes) is in force at once and waits for a coordinator's look: `profile_review_time`
-- is when the first such change not yet reviewed was made (the application clock),
-- NULL when nothing waits. A coordinator clears it.
ALTER TABLE participants ADD COLUMN profile_review_time timestamptz;

COMMENT ON COLUMN participants.profile_review_time IS
    'Since when the participant''s own change to their matching profile waits for a coordinator''s review; NULL when none waits.';

-- The coordinators' "to review" list of a chapter.
CREATE INDEX participants_profile_review_idx ON participants (chapter_id, profile_review_time)
    WHERE profile_review_time IS NOT NULL;
