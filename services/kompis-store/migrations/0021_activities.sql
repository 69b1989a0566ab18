-- Group activities and buddy-meeting evenings, their invitations, seats and waitlist.

-- How long before an activity its participants with a seat are reminded: chapter data,
-- 0 for no reminders.
ALTER TABLE chapters
    ADD COLUMN activity_reminder_hours integer NOT NULL DEFAULT 24
        CHECK (activity_reminder_hours BETWEEN 0 AND 336);

-- An activity a chapter plans (a walk, a museum visit, a fika, a buddy-meeting evening).
--
-- Capacity is enforced here: `seats_taken` counts the seats of the invitations answered
-- YES (invitees and their guests) and is changed only together with them, under this
-- row's lock; the CHECK refuses any over-booking whatever the application does.
-- `waitlist_next` numbers arrivals on the waitlist, so that it is served in order.
-- `reminder_time` is when the reminder falls due (start less the chapter's hours), and
-- `reminded_time` when it was sent: the durable timer claims rows due and not reminded.
CREATE TABLE activities (
    id                        uuid PRIMARY KEY,
    chapter_id                text NOT NULL REFERENCES chapters (id),
    kind                      text NOT NULL CHECK (kind IN ('group_activity', 'buddy_meeting_evening')),
    state                     text NOT NULL CHECK (state IN ('planned', 'completed', 'cancelled')),
    title                     text NOT NULL CHECK (length(title) BETWEEN 1 AND 100),
    description               text NOT NULL DEFAULT '' CHECK (length(description) <= 2000),
    start_time                timestamptz NOT NULL,
    end_time                  timestamptz NOT NULL,
    location                  text NOT NULL CHECK (length(location) BETWEEN 1 AND 200),
    municipality_id           text,
    district_id               text,
    free                      boolean NOT NULL,
    capacity                  integer NOT NULL CHECK (capacity BETWEEN 0 AND 100000),
    max_guests                integer NOT NULL DEFAULT 0 CHECK (max_guests BETWEEN 0 AND 10),
    -- ISO 639 codes spoken there.
    language_codes            text[] NOT NULL DEFAULT '{}' CHECK (cardinality(language_codes) <= 10),
    -- Ids of interests in the chapter's taxonomy.
    interests                 text[] NOT NULL DEFAULT '{}' CHECK (cardinality(interests) <= 20),
    pair_sign_up              boolean NOT NULL DEFAULT false,
    seats_taken               integer NOT NULL DEFAULT 0 CHECK (seats_taken >= 0),
    waitlist_next             bigint NOT NULL DEFAULT 0,
    guest_count               integer NOT NULL DEFAULT 0 CHECK (guest_count BETWEEN 0 AND 1000),
    cancel_reason             text NOT NULL DEFAULT '' CHECK (length(cancel_reason) <= 500),
    organizer                 text NOT NULL CHECK (length(organizer) BETWEEN 1 AND 200),
    reminder_time             timestamptz,
    reminded_time             timestamptz,
    create_time               timestamptz NOT NULL,
    update_time               timestamptz NOT NULL,
    FOREIGN KEY (municipality_id, district_id) REFERENCES districts (municipality_id, id),
    CONSTRAINT activities_place CHECK ((municipality_id IS NULL) = (district_id IS NULL)),
    CONSTRAINT activities_times CHECK (end_time > start_time),
    CONSTRAINT activities_capacity CHECK (capacity = 0 OR seats_taken <= capacity)
);
CREATE INDEX activities_chapter ON activities (chapter_id, start_time, id);
CREATE INDEX activities_reminders ON activities (reminder_time)
    WHERE state = 'planned' AND reminded_time IS NULL;

-- An invitation of one participant to an activity, with their answer and attendance.
--
-- `seats` is what a YES holds (the invitee and their guests), 0 otherwise; the activity's
-- `seats_taken` is their sum. `waitlist_seq` is set exactly while WAITLISTED: the
-- activity's arrival number, so that the waitlist is served in order of arrival.
CREATE TABLE invitations (
    id              uuid PRIMARY KEY,
    activity_id     uuid NOT NULL REFERENCES activities (id),
    chapter_id      text NOT NULL REFERENCES chapters (id),
    participant_id  uuid NOT NULL REFERENCES participants (id) ON DELETE CASCADE,
    rsvp            text NOT NULL CHECK (rsvp IN ('pending', 'yes', 'no', 'waitlisted')),
    guests          integer NOT NULL DEFAULT 0 CHECK (guests BETWEEN 0 AND 10),
    seats           integer NOT NULL DEFAULT 0 CHECK (seats BETWEEN 0 AND 11),
    waitlist_seq    bigint,
    rsvp_time       timestamptz,
    attendance      text NOT NULL DEFAULT 'unknown' CHECK (attendance IN ('unknown', 'attended', 'absent')),
    create_time     timestamptz NOT NULL,
    update_time     timestamptz NOT NULL,
    UNIQUE (activity_id, participant_id),
    CONSTRAINT invitations_seats CHECK ((rsvp = 'yes') = (seats > 0)),
    CONSTRAINT invitations_waitlist CHECK ((rsvp = 'waitlisted') = (waitlist_seq IS NOT NULL))
);
CREATE INDEX invitations_activity ON invitations (activity_id, create_time, id);
CREATE INDEX invitations_waitlist ON invitations (activity_id, waitlist_seq)
    WHERE waitlist_seq IS NOT NULL;
CREATE INDEX invitations_participant ON invitations (participant_id, create_time);
