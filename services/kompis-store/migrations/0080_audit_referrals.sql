-- The audit log also records accesses to referrals. A referred learner is a person
-- before a coordinator converts the referral into a participant, but has no
-- participant id until then, so a record is about exactly one of two things: a
-- participant (`participant_id`) or a referral (`referral_id`). A referral's record
-- keeps the referral's id also after its conversion: rows are never rewritten (the
-- service may not update them), so the link is made when the log is read instead.
-- "Who accessed this person's data" for a participant reads their own records and
-- those of every referral converted into them (several after a merge), found through
-- `referrals.participant_id`, which erasure keeps (both rows stay as tombstones); for a
-- referral, the same person's records: its own until it is converted, and from then on
-- those of the participant it became with all of theirs.
--
-- Like the participant's id, the referral's id has no foreign key, so that the log
-- outlives the record, and it is an id, not personal data.
ALTER TABLE audit_log
    ALTER COLUMN participant_id DROP NOT NULL,
    ADD COLUMN referral_id uuid,
    ADD CONSTRAINT audit_log_one_record CHECK (num_nonnulls(participant_id, referral_id) = 1);

COMMENT ON COLUMN audit_log.referral_id IS
    'The referral accessed, for a record about a referral (then participant_id is NULL).';

-- A referral's records, newest first, as the participant's index serves theirs.
CREATE INDEX audit_log_referral_idx ON audit_log (referral_id, occur_time DESC, id DESC)
    WHERE referral_id IS NOT NULL;
