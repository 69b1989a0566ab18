-- The role the service acts as: `kompis_app`, a NOLOGIN role that the pool switches to
-- (SET ROLE) after connecting. Migrations run as the connecting user, who owns the
-- tables; the service itself may read and write the tables it works with, but may do
-- nothing to the event log except append and blank a reason: no UPDATE of any other
-- column, no DELETE, no TRUNCATE, and, not being the owner, no disabling its triggers.
--
-- Roles belong to the whole PostgreSQL cluster, grants to one database. When the
-- migrating user may not create roles, and the role does not exist, this does nothing
-- and the service runs as the connecting user (the pool checks for the role).
--
-- Several databases of one cluster may be migrated at once (a test suite does so on a
-- fresh cluster): both may find the role missing, and the second CREATE ROLE or GRANT
-- then fails on the catalogue's unique index or on a concurrent update. Either means
-- another migration got there first, so it is looked at again rather than failed on.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'kompis_app') THEN
        BEGIN
            CREATE ROLE kompis_app NOLOGIN;
        EXCEPTION
            WHEN insufficient_privilege THEN
                RAISE NOTICE 'kompis_app not created: the migrating user may not create roles';
                RETURN;
            WHEN duplicate_object OR unique_violation THEN
                NULL; -- created meanwhile by a migration of another database
        END;
    END IF;
    IF NOT pg_has_role(current_user, 'kompis_app', 'MEMBER') THEN
        BEGIN
            EXECUTE format('GRANT kompis_app TO %I', current_user);
        EXCEPTION WHEN unique_violation OR internal_error THEN
            -- "tuple concurrently updated": granted meanwhile by another migration.
            IF NOT pg_has_role(current_user, 'kompis_app', 'MEMBER') THEN
                RAISE;
            END IF;
        END;
    END IF;
    GRANT USAGE ON SCHEMA public TO kompis_app;
    GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO kompis_app;
    GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO kompis_app;
    -- Tables and sequences later migrations create get the same rights; a later table
    -- that must be append-only revokes them as the event log does here.
    ALTER DEFAULT PRIVILEGES IN SCHEMA public
        GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO kompis_app;
    ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO kompis_app;
    -- The migrations' own bookkeeping is not the service's.
    REVOKE ALL ON _sqlx_migrations FROM kompis_app;
    REVOKE UPDATE, DELETE, TRUNCATE ON events FROM kompis_app;
    GRANT UPDATE (reason) ON events TO kompis_app;
END;
$$;
