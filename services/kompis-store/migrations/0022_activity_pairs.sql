-- Pair sign-up: a participant and their buddy answer an activity together.
--
-- The two invitations of a pair share `pair_id` (a fresh UUID per sign-up) and have
-- the same answer: both YES with their seats, or both WAITLISTED in two places in a
-- row. A pair exists only while signed up: a NO from either clears it on both, which
-- the CHECK holds to. Seats stay counted in `activities.seats_taken` under the
-- activity's lock, so the capacity CHECK of 0021 refuses any over-booking by pairs too.
ALTER TABLE invitations
    ADD COLUMN pair_id uuid,
    ADD CONSTRAINT invitations_pair CHECK (pair_id IS NULL OR rsvp IN ('yes', 'waitlisted'));
CREATE INDEX invitations_pair ON invitations (activity_id, pair_id) WHERE pair_id IS NOT NULL;

-- The notifications of a pair sign-up: the buddy signed the two up, or cancelled.
ALTER TABLE notifications DROP CONSTRAINT notifications_kind;
ALTER TABLE notifications ADD CONSTRAINT notifications_kind CHECK (kind IN (
    'application_updated', 'interview_updated', 'buddy_proposed', 'match_accepted',
    'match_ended', 'invitation_received', 'activity_updated', 'check_in_requested',
    'activity_cancelled', 'activity_reminder', 'seat_given', 'pair_signed_up',
    'pair_cancelled'));
