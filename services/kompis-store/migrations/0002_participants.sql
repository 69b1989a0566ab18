-- Participants (newcomers and established residents) and their intake interviews.
--
-- Personal data is kept to what the programme needs to match people: no column records
-- ethnicity, religion, health or a national identity number, and none may be added.
-- Every change of `participants.state` is written to `events` in the same transaction
-- by the service layer.

-- A newcomer or established resident taking part in a chapter. The matching profile
-- (languages, interests, availability, wishes, capacity) is the one copied from the
-- latest approved intake interview, or given at registration and corrected later.
CREATE TABLE participants (
    id                     uuid PRIMARY KEY,
    chapter_id             text NOT NULL REFERENCES chapters (id),
    role                   text NOT NULL CHECK (role IN ('newcomer', 'established_resident')),
    -- The strings of kompis_domain::ParticipantState::as_str.
    state                  text NOT NULL CHECK (state IN ('applicant', 'interview_booked',
                               'ready', 'matched', 'not_suitable', 'needs_follow_up',
                               'withdrawn', 'ended')),
    -- The state to return to after a withdrawal; set exactly while withdrawn.
    state_before_withdrawal text CHECK (state_before_withdrawal IN ('applicant', 'ready',
                               'needs_follow_up')),
    state_reason           text NOT NULL DEFAULT '' CHECK (length(state_reason) <= 500),
    state_time             timestamptz NOT NULL DEFAULT now(),
    source                 text NOT NULL CHECK (source IN ('referral', 'coordinator',
                               'self_sign_up')),
    -- The referral the participant came from (source = referral). The referrals table
    -- (migration 0003) references participants, not the other way round, so there is no
    -- foreign key here. Possible duplicates (same phone or e-mail as another participant
    -- or referral of the chapter) are computed when read, so both sides always see them.
    referral_id            uuid,
    given_name             text NOT NULL CHECK (length(given_name) BETWEEN 1 AND 100),
    family_name            text NOT NULL CHECK (length(family_name) BETWEEN 1 AND 100),
    display_name           text NOT NULL DEFAULT '' CHECK (length(display_name) <= 100),
    -- E.164, as kompis_domain::PhoneNumber stores it.
    phone                  text CHECK (phone ~ '^\+[1-9][0-9]{7,14}$'),
    -- Stored lowercased so that duplicates are found case-insensitively.
    email                  text CHECK (email = lower(email) AND length(email) BETWEEN 3 AND 254),
    birth_year             integer NOT NULL CHECK (birth_year BETWEEN 1900 AND 2200),
    gender                 text NOT NULL CHECK (gender IN ('female', 'male', 'non_binary',
                               'undisclosed')),
    municipality_id        text NOT NULL,
    district_id            text NOT NULL,
    consent_given_by       text NOT NULL CHECK (length(consent_given_by) BETWEEN 1 AND 200),
    consent_time           timestamptz NOT NULL,
    consent_text_version   text NOT NULL CHECK (length(consent_text_version) BETWEEN 1 AND 32),
    -- [{"code": "ar", "level": "native"}, ...]: ISO 639 codes (two letters where one
    -- exists) with kompis_domain::LanguageLevel strings; Swedish is in swedish_level.
    languages              jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(languages) = 'array'),
    swedish_level          text CHECK (swedish_level IN ('sfi_a', 'sfi_b', 'sfi_c', 'sfi_d',
                               'a1', 'a2', 'b1', 'b2', 'c1', 'c2', 'native')),
    -- Ids of interests in the chapter's taxonomy, and free tags outside it.
    interests              text[] NOT NULL DEFAULT '{}' CHECK (cardinality(interests) <= 30),
    free_tags              text[] NOT NULL DEFAULT '{}' CHECK (cardinality(free_tags) <= 20),
    -- kompis_domain::Availability bits: 7 weekdays x 3 parts of the day.
    availability           integer NOT NULL DEFAULT 0 CHECK (availability BETWEEN 0 AND 2097151),
    meeting_preference     text CHECK (meeting_preference IN ('in_person', 'online', 'both')),
    -- [{"kind": "age_range", "strength": "soft", "min_age": 25, "max_age": 40}, ...]
    wishes                 jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(wishes) = 'array'),
    buddy_capacity         integer NOT NULL DEFAULT 1,
    has_children           boolean NOT NULL DEFAULT false,
    -- Live matches counted against buddy_capacity; maintained by matching.
    active_match_count     integer NOT NULL DEFAULT 0,
    note                   text NOT NULL DEFAULT '' CHECK (length(note) <= 2000),
    -- When the participant last became ready: the waiting list is ordered by it. Kept
    -- through a withdrawal so that a returning participant keeps their place.
    waiting_since          timestamptz,
    -- The app account (token subject) that signed up, for self sign-ups.
    account_subject        text UNIQUE,
    create_time            timestamptz NOT NULL DEFAULT now(),
    update_time            timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (municipality_id, district_id) REFERENCES districts (municipality_id, id),
    CONSTRAINT participants_contact CHECK (phone IS NOT NULL OR email IS NOT NULL),
    -- A newcomer has one buddy; an established resident takes one to five.
    CONSTRAINT participants_capacity CHECK (
        (role = 'newcomer' AND buddy_capacity = 1)
        OR (role = 'established_resident' AND buddy_capacity BETWEEN 1 AND 5)),
    CONSTRAINT participants_match_count CHECK (active_match_count BETWEEN 0 AND buddy_capacity),
    CONSTRAINT participants_withdrawal CHECK (
        (state = 'withdrawn') = (state_before_withdrawal IS NOT NULL)),
    CONSTRAINT participants_waiting CHECK (
        state NOT IN ('ready', 'matched') OR waiting_since IS NOT NULL),
    CONSTRAINT participants_source CHECK ((source = 'referral') = (referral_id IS NOT NULL))
);
CREATE INDEX participants_chapter ON participants (chapter_id, create_time, id);
CREATE INDEX participants_waiting ON participants (chapter_id, role, waiting_since, id)
    WHERE state = 'ready';
CREATE INDEX participants_phone ON participants (chapter_id, phone) WHERE phone IS NOT NULL;
CREATE INDEX participants_email ON participants (chapter_id, email) WHERE email IS NOT NULL;
CREATE INDEX participants_district ON participants (municipality_id, district_id);

-- An intake interview with a participant. Each interview keeps its own copy of what was
-- recorded (`profile`), so a second interview leaves the first one's record intact.
CREATE TABLE interviews (
    id                   uuid PRIMARY KEY,
    participant_id       uuid NOT NULL REFERENCES participants (id),
    chapter_id           text NOT NULL REFERENCES chapters (id),
    state                text NOT NULL CHECK (state IN ('booked', 'recorded', 'cancelled')),
    schedule_time        timestamptz NOT NULL,
    duration_minutes     integer NOT NULL DEFAULT 45 CHECK (duration_minutes BETWEEN 1 AND 240),
    mode                 text NOT NULL CHECK (mode IN ('in_person', 'video', 'phone')),
    location             text NOT NULL DEFAULT '' CHECK (length(location) <= 200),
    -- Account id of the coordinator who booked and holds the interview.
    interviewer          text NOT NULL CHECK (length(interviewer) BETWEEN 1 AND 200),
    -- The participant's state when the interview was booked; a cancellation returns
    -- them to it.
    participant_state_before text NOT NULL CHECK (participant_state_before IN ('applicant',
                             'ready', 'not_suitable', 'needs_follow_up')),
    -- The matching profile as recorded at this interview (JSON of
    -- kompis_store::participants::Profile). Set when recorded.
    profile              jsonb,
    meets_minimum_age    boolean,
    meets_chapter_rules  boolean,
    eligibility_note     text NOT NULL DEFAULT '' CHECK (length(eligibility_note) <= 500),
    notes                text NOT NULL DEFAULT '' CHECK (length(notes) <= 2000),
    outcome              text CHECK (outcome IN ('approved', 'not_suitable', 'needs_follow_up')),
    outcome_reason       text NOT NULL DEFAULT '' CHECK (length(outcome_reason) <= 500),
    record_time          timestamptz,
    create_time          timestamptz NOT NULL DEFAULT now(),
    update_time          timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT interviews_recorded CHECK ((state = 'recorded') = (outcome IS NOT NULL
        AND record_time IS NOT NULL AND profile IS NOT NULL
        AND meets_minimum_age IS NOT NULL AND meets_chapter_rules IS NOT NULL))
);
-- At most one booked interview per participant at a time.
CREATE UNIQUE INDEX interviews_one_booked ON interviews (participant_id) WHERE state = 'booked';
CREATE INDEX interviews_participant ON interviews (participant_id, create_time, id);
CREATE INDEX interviews_chapter ON interviews (chapter_id, schedule_time, id);
