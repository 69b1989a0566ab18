-- Following accepted matches: the durable timers of scheduled check-ins and of the end
-- of the programme period, the check-ins themselves, who ended a match in the app, and
-- the engine rules administrators set per chapter.

-- The engine rules of a chapter beside its programme settings; NULL keeps the engine's
-- default (the ranges are kompis_matching::Rules').
ALTER TABLE matching_programmes
    ADD COLUMN min_common_slots            integer CHECK (min_common_slots BETWEEN 0 AND 21),
    ADD COLUMN interests_for_full_score    integer CHECK (interests_for_full_score BETWEEN 1 AND 20),
    ADD COLUMN age_gap_years               integer CHECK (age_gap_years BETWEEN 1 AND 100),
    ADD COLUMN waiting_days_for_full_score integer CHECK (waiting_days_for_full_score BETWEEN 1 AND 3650);

-- Which side ended a match themselves in the app; NULL when a coordinator or the
-- worker ended it.
ALTER TABLE matches
    ADD COLUMN ended_by text CHECK (ended_by IN ('newcomer', 'established_resident'));

-- What the worker must do for an accepted match, and when: ask both people to check in
-- (`check_in`, `seq` = the place in the schedule, from 1) and conclude the match when the
-- programme period is over (`period_end`, `seq` = 0). Written once per match, from the
-- chapter's schedule in force when the worker first sees the match accepted; each row is
-- claimed FOR UPDATE SKIP LOCKED and marked `fire_time`, so it fires once however many
-- workers run. Rows of a match that ended before they fell due are marked without acting.
CREATE TABLE follow_up_timers (
    match_id   uuid NOT NULL REFERENCES matches (id),
    kind       text NOT NULL CHECK (kind IN ('check_in', 'period_end')),
    seq        integer NOT NULL CHECK (seq >= 0),
    due_time   timestamptz NOT NULL,
    fire_time  timestamptz,
    PRIMARY KEY (match_id, kind, seq)
);
CREATE INDEX follow_up_timers_due ON follow_up_timers (due_time) WHERE fire_time IS NULL;

-- Check-ins: "have you met?" answered by one of the two in the app or recorded by a
-- coordinator, and the closing question after the period. Notes and concerns are free
-- text for coordinators only, never shown to the other person.
CREATE TABLE check_ins (
    id                  uuid PRIMARY KEY,
    chapter_id          text NOT NULL REFERENCES chapters (id),
    match_id            uuid NOT NULL REFERENCES matches (id),
    kind                text NOT NULL CHECK (kind IN ('follow_up', 'closing')),
    author              text NOT NULL CHECK (author IN ('coordinator', 'newcomer',
                            'established_resident')),
    author_account      text NOT NULL CHECK (length(author_account) BETWEEN 1 AND 200),
    answer              text NOT NULL CHECK (answer IN ('met', 'not_yet', 'wont_meet')),
    -- How the pair is doing (not anyone's health, which is never stored).
    how_it_goes         text CHECK (how_it_goes IN ('good', 'ok', 'not_working')),
    meetings_since_last integer NOT NULL DEFAULT 0 CHECK (meetings_since_last BETWEEN 0 AND 100),
    last_meeting_time   timestamptz,
    needs_follow_up     boolean NOT NULL DEFAULT false,
    note                text NOT NULL DEFAULT '' CHECK (length(note) <= 2000),
    concern             text NOT NULL DEFAULT '' CHECK (length(concern) <= 500),
    create_time         timestamptz NOT NULL
);
CREATE INDEX check_ins_match ON check_ins (match_id, create_time, id);
CREATE INDEX check_ins_chapter ON check_ins (chapter_id, create_time, id);
-- One closing answer per person.
CREATE UNIQUE INDEX check_ins_one_closing ON check_ins (match_id, author)
    WHERE kind = 'closing' AND author <> 'coordinator';
