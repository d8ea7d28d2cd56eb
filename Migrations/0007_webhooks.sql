-- 0007: webhooks and the event outbox (the contract's "Webhooks").
--
-- `events` is the transactional outbox: a row is written inside the same SQLite transaction as
-- the change it reports, so an acknowledged write always has its event and a rolled-back write
-- never has one. `seq` is the commit order (AUTOINCREMENT: never reused, even after deletes).
-- `public_id` (`evt_…`) is random, so a database restored from a backup never repeats an id a
-- receiver has already seen. `object` is the record as `GET` rendered it when the event was
-- written; NULL for deletions, pings and events whose patient was erased since (the body then
-- carries only `id` and `patientId`).
CREATE TABLE events (
    seq            INTEGER PRIMARY KEY AUTOINCREMENT,
    public_id      TEXT    NOT NULL UNIQUE CHECK (public_id LIKE 'evt\_%' ESCAPE '\'),
    type           TEXT    NOT NULL CHECK (length(type) BETWEEN 1 AND 40),
    resource_id    INTEGER,
    patient_id     INTEGER,
    object         TEXT,
    -- Set for events meant for one webhook only (`ping`); NULL for the feed's events.
    webhook_id     INTEGER,
    created_at_ms  INTEGER NOT NULL
) STRICT;

CREATE INDEX events_patient ON events (patient_id) WHERE patient_id IS NOT NULL;
CREATE INDEX events_created ON events (created_at_ms);

-- Endpoints an admin configured. Secrets are stored sealed (AES-GCM under a key kept outside
-- the database, see the README): a dump of this table alone does not reveal them.
CREATE TABLE webhooks (
    id                         INTEGER PRIMARY KEY AUTOINCREMENT,
    url                        TEXT    NOT NULL CHECK (length(url) BETWEEN 8 AND 2048),
    -- JSON array of event type patterns: "episode.created", "session.*", "*".
    events                     TEXT    NOT NULL CHECK (json_valid(events) AND json_type(events) = 'array'),
    description                TEXT    CHECK (length(description) <= 500),
    active                     INTEGER NOT NULL CHECK (active IN (0, 1)),
    -- Why the server turned the webhook off (a 410 from the receiver); NULL otherwise.
    disabled_reason            TEXT,
    secret_sealed              BLOB    NOT NULL,
    -- After a rotation the old secret keeps signing (a second signature) until this instant.
    previous_secret_sealed     BLOB,
    previous_secret_until_ms   INTEGER,
    created_at_ms              INTEGER NOT NULL,
    updated_at_ms              INTEGER NOT NULL
) STRICT;

-- One event owed to one webhook. Rows are created in the event's transaction for every active
-- webhook whose patterns match, so delivery order per webhook is `event_seq` order.
CREATE TABLE webhook_deliveries (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    webhook_id          INTEGER NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event_seq           INTEGER NOT NULL REFERENCES events (seq) ON DELETE CASCADE,
    state               TEXT    NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts            INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    last_status         INTEGER,
    -- A short, fixed description of a failure without a status (timeout, refused, ...).
    last_error          TEXT,
    last_attempt_at_ms  INTEGER,
    next_attempt_at_ms  INTEGER,
    delivered_at_ms     INTEGER,
    created_at_ms       INTEGER NOT NULL,
    UNIQUE (webhook_id, event_seq)
) STRICT;

-- The worker's question: each webhook's oldest pending delivery.
CREATE INDEX webhook_deliveries_pending ON webhook_deliveries (webhook_id, event_seq) WHERE state = 'pending';
CREATE INDEX webhook_deliveries_event ON webhook_deliveries (event_seq);
