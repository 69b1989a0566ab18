-- Attendance in the event log (kompis_domain::EventKind::Attendance and PairAttendance),
-- so that the follow-up report counts who attended activities and the pairs who came
-- together from the event log alone, also after the people are erased:
-- - `attendance`: one invitee's attendance recorded or corrected, from and to
--   `invitations.attendance` (`unknown`, `attended`, `absent`), with the invitee's
--   structured attributes and the activity's, like an invitation's events;
-- - `pair_attendance`: a pair signed up together (`invitations.pair_id`) starting
--   (`attended`) or ceasing (`not_attended`) to have both attended; the subject is
--   `{activity}/pairs/{pair_id}`, the attributes the activity's.
ALTER TABLE events
    DROP CONSTRAINT events_kind,
    ADD CONSTRAINT events_kind CHECK (kind IN ('referral', 'participant', 'interview', 'match',
        'check_in', 'activity', 'invitation', 'matching_round', 'attendance', 'pair_attendance'));
