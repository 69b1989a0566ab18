-- Referrals of learners by referring organisations (SFI schools and other partners).
--
-- Personal data is kept to what a coordinator needs to contact the learner and to
-- register them without retyping: no column records ethnicity, religion, health or a
-- national identity number, and none may be added. Every change of `referrals.state`
-- is written to `events` in the same transaction by the service layer.

-- A learner referred to a chapter by a referring organisation, with the learner's
-- recorded consent. A referral without consent cannot exist: the consent columns are
-- NOT NULL. Once a coordinator converts it, `participant_id` links the participant it
-- became, and the referrer's view of its progress follows that participant.
CREATE TABLE referrals (
    id                   uuid PRIMARY KEY,
    chapter_id           text NOT NULL REFERENCES chapters (id),
    organization_id      text NOT NULL REFERENCES organizations (id),
    -- Account id (token subject) of the referrer who created it.
    referrer             text NOT NULL CHECK (length(referrer) BETWEEN 1 AND 200),
    -- The strings of kompis_domain::ReferralState::as_str.
    state                text NOT NULL CHECK (state IN ('received', 'contacted',
                             'interview_booked', 'interviewed', 'matched', 'closed')),
    -- The strings of kompis_domain::CloseReason::as_str; set exactly while closed.
    close_reason         text CHECK (close_reason IN ('not_reachable', 'declined',
                             'not_eligible', 'duplicate', 'completed', 'moved_away',
                             'withdrawn', 'other')),
    close_note           text NOT NULL DEFAULT '' CHECK (length(close_note) <= 500),
    given_name           text NOT NULL CHECK (length(given_name) BETWEEN 1 AND 100),
    family_name          text NOT NULL CHECK (length(family_name) BETWEEN 1 AND 100),
    display_name         text NOT NULL DEFAULT '' CHECK (length(display_name) <= 100),
    -- E.164, as kompis_domain::PhoneNumber stores it.
    phone                text CHECK (phone ~ '^\+[1-9][0-9]{7,14}$'),
    -- Stored lowercased, like participants.email, so that duplicates are found by
    -- equality.
    email                text CHECK (email = lower(email) AND length(email) BETWEEN 3 AND 254),
    birth_year           integer NOT NULL CHECK (birth_year BETWEEN 1900 AND 2200),
    gender               text NOT NULL CHECK (gender IN ('female', 'male', 'non_binary',
                             'undisclosed')),
    municipality_id      text NOT NULL,
    district_id          text NOT NULL,
    -- [{"code": "prs", "level": "native"}, ...]: ISO 639 codes with
    -- kompis_domain::LanguageLevel strings, Swedish excluded (it is in swedish_level).
    languages            jsonb NOT NULL CHECK (jsonb_typeof(languages) = 'array'
                             AND jsonb_array_length(languages) BETWEEN 1 AND 20),
    swedish_level        text NOT NULL CHECK (swedish_level IN ('sfi_a', 'sfi_b', 'sfi_c',
                             'sfi_d', 'a1', 'a2', 'b1', 'b2', 'c1', 'c2', 'native')),
    -- Who recorded the learner's consent (the referrer's account id), when the learner
    -- gave it, and which version of the consent text they agreed to.
    consent_given_by     text NOT NULL CHECK (length(consent_given_by) BETWEEN 1 AND 200),
    consent_give_time    timestamptz NOT NULL,
    consent_text_version text NOT NULL CHECK (length(consent_text_version) BETWEEN 1 AND 32),
    -- The referrer's short note for the coordinator.
    note                 text NOT NULL DEFAULT '' CHECK (length(note) <= 500),
    -- The participant created from the referral; a referral is converted at most once.
    participant_id       uuid UNIQUE REFERENCES participants (id),
    create_time          timestamptz NOT NULL DEFAULT now(),
    state_time           timestamptz NOT NULL DEFAULT now(),
    update_time          timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (municipality_id, district_id) REFERENCES districts (municipality_id, id),
    CONSTRAINT referrals_contact CHECK (phone IS NOT NULL OR email IS NOT NULL),
    CONSTRAINT referrals_closure CHECK ((state = 'closed') = (close_reason IS NOT NULL))
);
-- Coordinators list their chapter's referrals, referrers their organisation's, newest
-- first.
CREATE INDEX referrals_chapter ON referrals (chapter_id, create_time DESC, id DESC);
CREATE INDEX referrals_organization ON referrals (organization_id, create_time DESC, id DESC);
-- Duplicate lookups by phone and e-mail within a chapter.
CREATE INDEX referrals_phone ON referrals (chapter_id, phone) WHERE phone IS NOT NULL;
CREATE INDEX referrals_email ON referrals (chapter_id, email) WHERE email IS NOT NULL;
