-- Matching rounds are recorded in the event log (kompis_domain::EventKind::MatchingRound):
-- started, computed or failed, committed.
ALTER TABLE events
    DROP CONSTRAINT events_kind,
    ADD CONSTRAINT events_kind CHECK (kind IN ('referral', 'participant', 'interview', 'match',
        'check_in', 'activity', 'invitation', 'matching_round'));
