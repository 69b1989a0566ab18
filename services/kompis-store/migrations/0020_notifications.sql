-- Notifications to participants and how they are delivered.
--
-- PostgreSQL is the record of what must be delivered; Redis only moves it. A
-- notification (what to say to whom) is written with one delivery per channel (the
-- app's inbox, and e-mail for those who chose it) and one outbox row per delivery, in
-- the transaction of the change it announces. The relay publishes outbox rows to Redis
-- Streams; a worker delivers each and records that in PostgreSQL, in its own
-- transaction, before acknowledging the stream entry. What PostgreSQL says is not
-- delivered is published again when Redis has lost it.
--
-- Only non-personal values are stored with a notification (a template key and values
-- such as an activity's title and time); names and contact details are read when a
-- message is sent, and every row goes with the participant when they are erased.

-- The outbox, leased and settled.
--
-- `lease_until`: the relay leases rows, commits, publishes them to Redis without a
-- transaction open, then marks them published; a relay that dies in between leaves a
-- lease that runs out, and another publishes the rows again. `published_to` names the
-- Redis incarnation (a random id the relay keeps in Redis) the row went to: when Redis
-- comes back empty it has a new incarnation, and every row published to an older one and
-- not settled is published again. `awaits_consumer`: the row is settled by its consumer
-- when delivered (notifications); other rows (announcements such as the event log's) are
-- settled when published. Times are the application clock's, like every time the service
-- writes.
ALTER TABLE outbox
    ADD COLUMN lease_until     timestamptz,
    ADD COLUMN published_to    text,
    ADD COLUMN awaits_consumer boolean NOT NULL DEFAULT false,
    ADD COLUMN settle_time     timestamptz,
    ALTER COLUMN create_time DROP DEFAULT,
    ADD CONSTRAINT outbox_settled_after_publishing CHECK (settle_time IS NULL OR awaits_consumer
        OR publish_time IS NOT NULL);
UPDATE outbox SET settle_time = publish_time WHERE publish_time IS NOT NULL;
-- Published rows waiting for their consumer: the rows a lost Redis must see again.
CREATE INDEX outbox_unsettled ON outbox (publish_time)
    WHERE publish_time IS NOT NULL AND settle_time IS NULL;

-- What a participant wants besides the app's inbox: e-mail or not, and the language
-- of their messages (an ISO 639 code; messages fall back to Swedish when the catalogue
-- has none in it). No row: the app only, in Swedish.
CREATE TABLE notification_settings (
    participant_id uuid PRIMARY KEY REFERENCES participants (id) ON DELETE CASCADE,
    email          boolean NOT NULL,
    language       text NOT NULL CHECK (language ~ '^[a-z]{2,3}$'),
    update_time    timestamptz NOT NULL
);

-- A notification: what to tell a participant, about which resource (`subject`, which the
-- app opens), as a template of kompis-messages and its non-personal values. The source
-- of every delivery of it.
CREATE TABLE notifications (
    id             uuid PRIMARY KEY,
    chapter_id     text NOT NULL REFERENCES chapters (id),
    participant_id uuid NOT NULL REFERENCES participants (id) ON DELETE CASCADE,
    -- The strings of kompis_domain::NotificationKind.
    kind           text NOT NULL,
    subject        text NOT NULL CHECK (length(subject) BETWEEN 1 AND 300),
    template       text NOT NULL CHECK (template ~ '^[a-z][a-z0-9-]{0,62}$'),
    params         jsonb NOT NULL CHECK (jsonb_typeof(params) = 'object'),
    create_time    timestamptz NOT NULL,
    CONSTRAINT notifications_kind CHECK (kind IN ('application_updated', 'interview_updated',
        'buddy_proposed', 'match_accepted', 'match_ended', 'invitation_received',
        'activity_updated', 'check_in_requested', 'activity_cancelled', 'activity_reminder',
        'seat_given'))
);
CREATE INDEX notifications_participant ON notifications (participant_id, create_time);
CREATE INDEX notifications_subject ON notifications (subject);

-- One delivery of a notification through one channel: the record of whether it has
-- been delivered. `attempts` counts failed attempts; a delivery that keeps failing is
-- `dead` and has a dead letter. `skipped`: an e-mail for someone who has since turned
-- e-mail off or has no address.
CREATE TABLE notification_deliveries (
    id              uuid PRIMARY KEY,
    notification_id uuid NOT NULL REFERENCES notifications (id) ON DELETE CASCADE,
    channel         text NOT NULL CHECK (channel IN ('app', 'email')),
    state           text NOT NULL CHECK (state IN ('pending', 'delivered', 'skipped', 'dead')),
    attempts        integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    -- Why the last attempt failed, without personal data (an SMTP reply code, not the
    -- server's text, which may quote the address).
    last_error      text NOT NULL DEFAULT '' CHECK (length(last_error) <= 500),
    create_time     timestamptz NOT NULL,
    finish_time     timestamptz,
    UNIQUE (notification_id, channel),
    CONSTRAINT notification_deliveries_finished CHECK ((state = 'pending') = (finish_time IS NULL))
);
CREATE INDEX notification_deliveries_pending ON notification_deliveries (create_time)
    WHERE state = 'pending';

-- The app's inbox: the notifications delivered to each participant, in the order they
-- were delivered (`seq`, per participant). One row per notification, so a redelivery
-- changes nothing. `seq` comes from `inbox_counters` under its row lock, so a
-- participant's entries commit in `seq` order and a reader resuming after the entry it
-- saw last misses none.
CREATE TABLE inbox (
    notification_id uuid PRIMARY KEY REFERENCES notifications (id) ON DELETE CASCADE,
    participant_id  uuid NOT NULL REFERENCES participants (id) ON DELETE CASCADE,
    seq             bigint NOT NULL CHECK (seq > 0),
    deliver_time    timestamptz NOT NULL,
    read_time       timestamptz,
    UNIQUE (participant_id, seq)
);
CREATE INDEX inbox_unread ON inbox (participant_id, seq) WHERE read_time IS NULL;

-- The last `seq` given out per participant.
CREATE TABLE inbox_counters (
    participant_id uuid PRIMARY KEY REFERENCES participants (id) ON DELETE CASCADE,
    last_seq       bigint NOT NULL CHECK (last_seq >= 0)
);

-- Stream entries that could not be delivered: an entry that kept failing, or one that
-- could not be read at all. Kept here, not only in Redis, so that they survive a Redis
-- that loses its data. Administrators list them and send them again.
CREATE TABLE dead_letters (
    id          uuid PRIMARY KEY,
    topic       text NOT NULL CHECK (length(topic) BETWEEN 1 AND 100),
    -- The outbox row and the delivery, when the entry named them.
    outbox_id   bigint,
    delivery_id uuid REFERENCES notification_deliveries (id) ON DELETE CASCADE,
    reason      text NOT NULL CHECK (length(reason) BETWEEN 1 AND 500),
    attempts    integer NOT NULL CHECK (attempts >= 0),
    -- The entry as it was in the stream (ids only), for an entry that named no delivery.
    entry       text NOT NULL DEFAULT '' CHECK (length(entry) <= 2000),
    create_time timestamptz NOT NULL,
    replay_time timestamptz,
    replayed_by text CHECK (length(replayed_by) BETWEEN 1 AND 200),
    CONSTRAINT dead_letters_replayed CHECK ((replay_time IS NULL) = (replayed_by IS NULL))
);
CREATE INDEX dead_letters_open ON dead_letters (create_time, id) WHERE replay_time IS NULL;
-- At most one open dead letter per delivery.
CREATE UNIQUE INDEX dead_letters_one_open_per_delivery ON dead_letters (delivery_id)
    WHERE replay_time IS NULL AND delivery_id IS NOT NULL;
