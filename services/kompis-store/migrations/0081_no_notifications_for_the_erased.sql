-- Nothing is written to an erased person. An erased participant's row stays as a
-- tombstone (0037), so the foreign key from `notifications` alone would let a change
-- that notifies them (an activity's cancellation reaching an invitation they never
-- answered, a timer, the other side of a match) write a notification, its deliveries
-- and outbox rows after the erasure, and the workers would carry them to Redis and the
-- inbox. This trigger skips such a row instead: the insert writes nothing for them and
-- the change that caused it goes on for everyone else, without an error, since the
-- person is simply no longer someone to tell. Deliveries and outbox rows are written
-- only for the notifications actually inserted (`kompis_store::notifications::
-- enqueue_batch`), so nothing else is written for them either.
--
-- The race with the erasure's transaction is closed by the row lock: the trigger reads
-- the participant `FOR KEY SHARE`, which waits while an erasure holds the row (it locks
-- it `FOR UPDATE` before anything else) and then reads the row as the erasure left it
-- (READ COMMITTED re-reads a row locked by a transaction that committed), so it finds
-- `erase_time` set and skips. A notifying transaction that took the lock first holds
-- it until it commits, and the erasure, waiting for it, then deletes what it wrote.
-- A participant that does not exist is left to the foreign key, which refuses it.
CREATE FUNCTION notifications_skip_the_erased() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    erased timestamptz;
BEGIN
    SELECT erase_time INTO erased FROM participants WHERE id = NEW.participant_id FOR KEY SHARE;
    IF FOUND AND erased IS NOT NULL THEN
        RETURN NULL;
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER notifications_not_for_the_erased BEFORE INSERT ON notifications
    FOR EACH ROW EXECUTE FUNCTION notifications_skip_the_erased();
