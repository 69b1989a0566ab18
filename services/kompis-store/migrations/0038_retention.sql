-- Retention: an applicant inactive (no change to their record, `update_time`) for the
-- configured period is warned once (`retention_warn_time`, the application clock), and
-- erased (migration 0037) when a further period passes without a change. A change after
-- the warning makes them active again: the warning no longer counts and is cleared by
-- the next sweep.
ALTER TABLE participants ADD COLUMN retention_warn_time timestamptz;

COMMENT ON COLUMN participants.retention_warn_time IS
    'When the inactive applicant was warned that their data will be erased; NULL when not warned.';

-- The sweep's work list: applicants not erased, by last change.
CREATE INDEX participants_retention_idx ON participants (update_time)
    WHERE state = 'applicant' AND erase_time IS NULL;
