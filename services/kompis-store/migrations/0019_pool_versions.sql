-- A version per chapter of its matching pool, so that a server may keep the pool (and
-- the engine's index over it) in memory and still answer exactly as from the database:
-- a reader reads the version first, then the pool, and keeps what it built only while
-- the version stays the same. Several replicas stay correct because each validates
-- against this row on every use.
--
-- The version moves in the same transaction as any change to a participant who is, or
-- was, in a pool (state ready or matched): insert, update (a new match counted, a
-- withdrawal, a new profile) or delete. Matches change the pool through the
-- participants' counts of live matches, so they need no trigger of their own.
--
-- The trigger is deferred to the end of the transaction and moves each chapter's
-- version once per transaction: the row is locked only while committing, after every
-- other lock the transaction takes, so it adds no lock-order cycle with the
-- participants' row locks, and a national round's commit bumps it once.
CREATE TABLE pool_versions (
    chapter_id text PRIMARY KEY REFERENCES chapters (id),
    version    bigint NOT NULL
);

CREATE FUNCTION bump_pool_version() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    chapter text := CASE WHEN TG_OP = 'DELETE' THEN OLD.chapter_id ELSE NEW.chapter_id END;
    done text := coalesce(current_setting('kompis.pool_bumped', true), '');
BEGIN
    IF position(',' || chapter || ',' IN done) = 0 THEN
        INSERT INTO pool_versions (chapter_id, version) VALUES (chapter, 1)
        ON CONFLICT (chapter_id) DO UPDATE SET version = pool_versions.version + 1;
        PERFORM set_config('kompis.pool_bumped',
            CASE WHEN done = '' THEN ',' ELSE done END || chapter || ',', true);
    END IF;
    RETURN NULL;
END;
$$;

CREATE CONSTRAINT TRIGGER participants_pool_insert AFTER INSERT ON participants
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    WHEN (NEW.state IN ('ready', 'matched'))
    EXECUTE FUNCTION bump_pool_version();
CREATE CONSTRAINT TRIGGER participants_pool_update AFTER UPDATE ON participants
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    WHEN ((OLD.state IN ('ready', 'matched') OR NEW.state IN ('ready', 'matched'))
          AND OLD IS DISTINCT FROM NEW)
    EXECUTE FUNCTION bump_pool_version();
CREATE CONSTRAINT TRIGGER participants_pool_delete AFTER DELETE ON participants
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    WHEN (OLD.state IN ('ready', 'matched'))
    EXECUTE FUNCTION bump_pool_version();
