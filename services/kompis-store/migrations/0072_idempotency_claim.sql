-- An idempotency key is claimed by inserting it when the mutation begins, and its
-- response is written when the mutation has acted, both in the mutation's transaction:
-- the unique key makes a concurrent retry of the same key wait for the first to commit
-- or roll back (it then replays the answer or acts itself), which took an advisory
-- lock and a read before. The response is therefore empty while the transaction runs;
-- a committed key always has one, since the key and its response commit together.
ALTER TABLE idempotency_keys ALTER COLUMN response DROP NOT NULL;
