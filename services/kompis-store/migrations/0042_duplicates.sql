-- Resolving possible duplicates. Flags are still computed when read (0002): two records
-- of a chapter with the same phone number or e-mail address. A coordinator resolves a
-- flag by dismissing it (not the same person) or by merging the two participants.

-- A participant closed by a merge names the participant that took it over. It stays,
-- ended, so that nothing it held is lost; a merged record is flagged with nobody.
ALTER TABLE participants
    ADD COLUMN merged_into uuid REFERENCES participants (id),
    ADD CONSTRAINT participants_merged CHECK (
        merged_into IS NULL OR (state = 'ended' AND merged_into <> id));
CREATE INDEX participants_merged_into ON participants (merged_into) WHERE merged_into IS NOT NULL;

-- A merged participant may have come from two referrals, both of which then follow the
-- survivor: a referral is still converted at most once (its state says so), but a
-- participant may be the one of several referrals.
ALTER TABLE referrals DROP CONSTRAINT referrals_participant_id_key;
CREATE INDEX referrals_participant ON referrals (participant_id) WHERE participant_id IS NOT NULL;

-- Pairs a coordinator found not to be the same person, never flagged again. A pair is a
-- participant and another participant or a referral, stored lower id first (UUIDs are
-- unique across both tables). Who dismissed it and when, for the audit.
CREATE TABLE duplicate_dismissals (
    first_id     uuid NOT NULL,
    second_id    uuid NOT NULL,
    chapter_id   text NOT NULL REFERENCES chapters (id),
    dismissed_by text NOT NULL CHECK (length(dismissed_by) BETWEEN 1 AND 200),
    dismiss_time timestamptz NOT NULL,
    PRIMARY KEY (first_id, second_id),
    CONSTRAINT duplicate_dismissals_order CHECK (first_id < second_id)
);
