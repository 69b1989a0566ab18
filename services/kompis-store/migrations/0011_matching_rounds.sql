-- Matching rounds: a run of the engine over a scope's waiting list, computed in the
-- background as a dry run (a job row a worker picks), then committed in full or in
-- part as proposed matches.
--
-- One round at a time per chapter, across replicas: starting, computing and committing
-- a round each hold a PostgreSQL advisory lock keyed on the chapter
-- (kompis_store::rounds::lock_chapter), and the partial unique index below is the last
-- word: at most one PENDING or RUNNING round per chapter.

-- A round. Its state is the operation's state; `phase` and `progress_permille` say
-- how far a running dry run is. The figures are set when the dry run succeeds.
CREATE TABLE matching_rounds (
    id                  uuid PRIMARY KEY,
    chapter_id          text NOT NULL REFERENCES chapters (id),
    -- The scope of the round's newcomers: the whole chapter (both NULL), one
    -- municipality of it, or one district (both set).
    municipality_id     text REFERENCES municipalities (id),
    district_id         text,
    creator             text NOT NULL CHECK (length(creator) BETWEEN 1 AND 200),
    state               text NOT NULL CHECK (state IN ('pending', 'running', 'succeeded',
                            'failed', 'committed')),
    phase               text NOT NULL CHECK (phase IN ('queued', 'loading', 'scoring',
                            'assigning', 'explaining', 'saving', 'done')),
    progress_permille   integer NOT NULL DEFAULT 0 CHECK (progress_permille BETWEEN 0 AND 1000),
    newcomers_ready     integer,
    residents_ready     integer,
    resident_capacity   integer,
    admissible_pairs    bigint,
    matched             integer,
    waiting             integer,
    total_score         bigint,
    -- Why the dry run failed (no personal data: an error class, for coordinators).
    failure             text NOT NULL DEFAULT '' CHECK (length(failure) <= 500),
    committed_proposals integer NOT NULL DEFAULT 0,
    create_time         timestamptz NOT NULL,
    start_time          timestamptz,
    finish_time         timestamptz,
    commit_time         timestamptz,
    update_time         timestamptz NOT NULL,
    CONSTRAINT matching_rounds_district_in_municipality
        FOREIGN KEY (municipality_id, district_id) REFERENCES districts (municipality_id, id),
    CONSTRAINT matching_rounds_district_needs_municipality
        CHECK (district_id IS NULL OR municipality_id IS NOT NULL)
);
-- At most one round in progress per chapter, whatever its scope.
CREATE UNIQUE INDEX matching_rounds_one_in_progress ON matching_rounds (chapter_id)
    WHERE state IN ('pending', 'running');
CREATE INDEX matching_rounds_chapter ON matching_rounds (chapter_id, create_time, id);
-- The worker's work list.
CREATE INDEX matching_rounds_to_run ON matching_rounds (create_time)
    WHERE state IN ('pending', 'running');

-- The proposals of a round's dry run, one per newcomer, in the order they are listed
-- (highest score first). `match_id` is set when the proposal was committed.
CREATE TABLE matching_round_proposals (
    round_id     uuid NOT NULL REFERENCES matching_rounds (id) ON DELETE CASCADE,
    position     integer NOT NULL,
    newcomer_id  uuid NOT NULL REFERENCES participants (id),
    resident_id  uuid NOT NULL REFERENCES participants (id),
    -- The engine's explanation (JSON of kompis_store::matches::StoredScore).
    score        jsonb NOT NULL,
    match_id     uuid REFERENCES matches (id),
    PRIMARY KEY (round_id, position),
    UNIQUE (round_id, newcomer_id)
);

-- The newcomers a round left waiting, with the engine's reason, longest waiting first.
CREATE TABLE matching_round_waiting (
    round_id      uuid NOT NULL REFERENCES matching_rounds (id) ON DELETE CASCADE,
    position      integer NOT NULL,
    newcomer_id   uuid NOT NULL REFERENCES participants (id),
    -- The strings of kompis_store::rounds::WaitReason.
    reason        text NOT NULL CHECK (reason IN ('no_resident_within_reach',
                      'no_shared_language', 'no_common_time', 'hard_wish',
                      'only_excluded_pairs', 'candidates_taken')),
    waiting_since timestamptz,
    PRIMARY KEY (round_id, position)
);

ALTER TABLE matches ADD CONSTRAINT matches_matching_round
    FOREIGN KEY (matching_round_id) REFERENCES matching_rounds (id);

