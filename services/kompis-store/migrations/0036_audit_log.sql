-- The audit log: every read or change of a person's record, and every attempt the
-- service refused, as who (the account's subject and role), what (the object's
-- resource name and the action), when (the application clock), by which method and
-- for what purpose (derived from the method). It holds ids only, never personal data:
-- a resource name is made of ids, the subject is an account id. The participant's id
-- has no foreign key, so that the log outlives the person's record.
--
-- Append-only for the service: its role (`kompis_app`) may insert and read rows but not
-- update, delete or truncate them.
CREATE TABLE audit_log (
    id             uuid PRIMARY KEY,
    occur_time     timestamptz NOT NULL,
    actor_subject  text NOT NULL CHECK (length(actor_subject) <= 256),
    actor_role     text NOT NULL CHECK (actor_role IN
                       ('administrator', 'coordinator', 'referrer', 'participant', 'partner_viewer')),
    participant_id uuid NOT NULL,
    object         text NOT NULL CHECK (length(object) <= 300),
    action         text NOT NULL CHECK (action IN ('read', 'change', 'export', 'erase')),
    method         text NOT NULL CHECK (length(method) <= 100),
    purpose        text NOT NULL CHECK (length(purpose) <= 60),
    allowed        boolean NOT NULL
);

COMMENT ON TABLE audit_log IS
    'Who read or changed a person''s record, when, how and why, refusals included; ids only, append-only for the service.';

-- "Who accessed this person's data", newest first.
CREATE INDEX audit_log_participant_idx ON audit_log (participant_id, occur_time DESC, id DESC);

DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'kompis_app') THEN
        REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM kompis_app;
    END IF;
END;
$$;
