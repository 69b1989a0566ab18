-- A coordinator cancels a matching round that was not committed: PENDING, RUNNING (its
-- worker sees the state at its next progress step, stores nothing and releases the
-- chapter's lock) or a SUCCEEDED dry run. CANCELLED is final and, like every state
-- but PENDING and RUNNING, no longer holds the partial unique index
-- matching_rounds_one_in_progress, so the chapter may start its next round.
ALTER TABLE matching_rounds
    DROP CONSTRAINT matching_rounds_state_check,
    ADD CONSTRAINT matching_rounds_state_check CHECK (state IN ('pending', 'running',
        'succeeded', 'failed', 'committed', 'cancelled')),
    -- When and by whom it was cancelled; set exactly when CANCELLED.
    ADD COLUMN cancel_time timestamptz,
    ADD COLUMN canceller text CHECK (length(canceller) BETWEEN 1 AND 200),
    ADD CONSTRAINT matching_rounds_cancelled CHECK ((state = 'cancelled') = (cancel_time IS NOT NULL)
        AND (cancel_time IS NULL) = (canceller IS NULL));
