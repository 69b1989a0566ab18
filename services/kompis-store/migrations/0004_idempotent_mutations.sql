-- Idempotent mutations (AIP-155): any mutation retried with the same `request_id`
-- answers what the first attempt answered, byte for byte, instead of acting again.
--
-- A key is (caller, method, request_id): the caller is the token's subject, so two
-- callers can never see each other's answers, even with the same id. The whole encoded
-- response is kept, so that a replay needs no read of state that may have changed since,
-- and `request_fingerprint` (a SHA-256 of the encoded request) tells a true retry from an
-- id reused for a different request (answered INVALID_ARGUMENT, REQUEST_ID_REUSED).
--
-- Keys of migration 0001 recorded only a resource name, not a response, and no caller:
-- they cannot be answered under this rule and are dropped. They served retries of a few
-- seconds; a create retried across this migration creates again.
DELETE FROM idempotency_keys;
ALTER TABLE idempotency_keys
    DROP CONSTRAINT idempotency_keys_pkey,
    DROP COLUMN resource_name,
    ADD COLUMN caller text NOT NULL CHECK (length(caller) BETWEEN 1 AND 200),
    ADD COLUMN response bytea NOT NULL,
    ADD PRIMARY KEY (caller, method, request_id),
    -- The all-zero UUID is what a client sends when it forgot to set one.
    ADD CONSTRAINT idempotency_keys_request_id_set
        CHECK (request_id <> '00000000-0000-0000-0000-000000000000');
ALTER TABLE idempotency_keys RENAME COLUMN request_hash TO request_fingerprint;
-- Keys are kept for retries, not for ever: old ones are pruned by create time.
CREATE INDEX idempotency_keys_create_time ON idempotency_keys (create_time);
