-- Matches: a newcomer paired with an established resident, from proposal to end, the
-- pairs never to propose again, and each chapter's programme settings.
--
-- Race-freedom is the database's: a newcomer has at most one live match (a partial
-- unique index), and a resident at most `buddy_capacity` (the store takes the
-- participant rows FOR UPDATE, newcomer first, then resident, and counts the place in
-- `participants.active_match_count`, whose CHECK bounds it by `buddy_capacity`).

-- A proposal and, once both accepted, the match it became. Free text (decline and end
-- notes, the override's reason) is shown to coordinators only.
CREATE TABLE matches (
    id                  uuid PRIMARY KEY,
    chapter_id          text NOT NULL REFERENCES chapters (id),
    newcomer_id         uuid NOT NULL REFERENCES participants (id),
    resident_id         uuid NOT NULL REFERENCES participants (id),
    -- The strings of kompis_domain::MatchState::as_str.
    state               text NOT NULL CHECK (state IN ('proposed', 'accepted', 'active',
                            'ended', 'declined')),
    newcomer_response   text NOT NULL DEFAULT 'pending'
                            CHECK (newcomer_response IN ('pending', 'accepted', 'declined')),
    resident_response   text NOT NULL DEFAULT 'pending'
                            CHECK (resident_response IN ('pending', 'accepted', 'declined')),
    -- How each side agreed (kompis_domain::AgreementChannel) and who recorded it: the
    -- participant's own account in the app, or the coordinator on their behalf.
    newcomer_agreed_via text CHECK (newcomer_agreed_via IN ('app', 'phone', 'in_person', 'message')),
    newcomer_agreed_by  text CHECK (length(newcomer_agreed_by) BETWEEN 1 AND 200),
    newcomer_agree_time timestamptz,
    resident_agreed_via text CHECK (resident_agreed_via IN ('app', 'phone', 'in_person', 'message')),
    resident_agreed_by  text CHECK (length(resident_agreed_by) BETWEEN 1 AND 200),
    resident_agree_time timestamptz,
    -- The engine's score when proposed (JSON of kompis_store::matches::StoredScore);
    -- NULL when proposed through an override.
    score               jsonb,
    -- The engine's refusal a coordinator overrode, and why.
    override_rule       text CHECK (length(override_rule) BETWEEN 1 AND 200),
    override_reason     text CHECK (length(override_reason) BETWEEN 1 AND 500),
    proposer            text NOT NULL CHECK (length(proposer) BETWEEN 1 AND 200),
    matching_round_id   uuid,
    deadline_time       timestamptz NOT NULL,
    decline_cause       text CHECK (decline_cause IN ('newcomer', 'established_resident',
                            'coordinator', 'deadline_passed')),
    decline_reason      text NOT NULL DEFAULT '' CHECK (length(decline_reason) <= 500),
    accept_time         timestamptz,
    start_time          timestamptz,
    end_time            timestamptz,
    end_reason          text CHECK (length(end_reason) BETWEEN 1 AND 40),
    end_note            text NOT NULL DEFAULT '' CHECK (length(end_note) <= 500),
    previous_match_id   uuid REFERENCES matches (id),
    create_time         timestamptz NOT NULL,
    update_time         timestamptz NOT NULL,
    CONSTRAINT matches_distinct CHECK (newcomer_id <> resident_id),
    CONSTRAINT matches_override CHECK ((override_rule IS NULL) = (override_reason IS NULL)),
    CONSTRAINT matches_declined CHECK ((state = 'declined') = (decline_cause IS NOT NULL)),
    CONSTRAINT matches_newcomer_agreed CHECK (
        (newcomer_response = 'accepted') = (newcomer_agreed_via IS NOT NULL)),
    CONSTRAINT matches_resident_agreed CHECK (
        (resident_response = 'accepted') = (resident_agreed_via IS NOT NULL))
);
-- A newcomer has at most one live match, whoever proposes it and however many at once.
CREATE UNIQUE INDEX matches_one_live_per_newcomer ON matches (newcomer_id)
    WHERE state IN ('proposed', 'accepted', 'active');
CREATE INDEX matches_resident ON matches (resident_id, create_time);
CREATE INDEX matches_chapter ON matches (chapter_id, create_time, id);
-- The deadline timer's work list.
CREATE INDEX matches_deadline ON matches (deadline_time) WHERE state = 'proposed';

-- Pairs that declined or ended a match: never proposed again unless a coordinator
-- overrides it (recorded on the new match).
CREATE TABLE never_propose_again (
    newcomer_id  uuid NOT NULL REFERENCES participants (id),
    resident_id  uuid NOT NULL REFERENCES participants (id),
    -- The match that put the pair here.
    match_id     uuid NOT NULL REFERENCES matches (id),
    cause        text NOT NULL CHECK (cause IN ('declined', 'ended')),
    create_time  timestamptz NOT NULL,
    PRIMARY KEY (newcomer_id, resident_id)
);
CREATE INDEX never_propose_again_resident ON never_propose_again (resident_id);

-- A chapter's programme settings; a chapter without a row has the defaults.
CREATE TABLE matching_programmes (
    chapter_id             text PRIMARY KEY REFERENCES chapters (id) ON DELETE CASCADE,
    proposal_deadline_days integer NOT NULL DEFAULT 7 CHECK (proposal_deadline_days BETWEEN 1 AND 60),
    auto_offer_next        boolean NOT NULL DEFAULT true,
    check_in_days          integer[] NOT NULL DEFAULT '{21,35,91,182}'
                               CHECK (cardinality(check_in_days) <= 12),
    period_months          integer NOT NULL DEFAULT 6 CHECK (period_months BETWEEN 1 AND 24),
    update_time            timestamptz NOT NULL
);
