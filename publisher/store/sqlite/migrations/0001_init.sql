-- Times are Unix nanoseconds; 0 stands for "none" (the zero time.Time).

-- subscriptions holds each subscription as its JSON document.
CREATE TABLE subscriptions (
    id     TEXT NOT NULL PRIMARY KEY,
    tenant TEXT NOT NULL,
    doc    BLOB NOT NULL
) WITHOUT ROWID;

CREATE INDEX subscriptions_tenant ON subscriptions (tenant, id);

-- events holds the accepted events; data is the event's JSON, verbatim.
CREATE TABLE events (
    id          TEXT    NOT NULL PRIMARY KEY,
    tenant      TEXT    NOT NULL,
    entity_type TEXT    NOT NULL,
    entity_id   TEXT    NOT NULL,
    type        TEXT    NOT NULL,
    status      TEXT    NOT NULL,
    occurred_at INTEGER NOT NULL,
    sequence    INTEGER NOT NULL,
    data        BLOB,
    idem_key    TEXT,
    created_at  INTEGER NOT NULL
) WITHOUT ROWID;

-- One entity's events (ListEvents by entity).
CREATE INDEX events_entity ON events (tenant, entity_type, entity_id, sequence);

-- Idempotency keys are unique per tenant.
CREATE UNIQUE INDEX events_idem ON events (tenant, idem_key) WHERE idem_key IS NOT NULL;

-- entity_seq holds the last sequence number stamped for each entity.
CREATE TABLE entity_seq (
    tenant      TEXT    NOT NULL,
    entity_type TEXT    NOT NULL,
    entity_id   TEXT    NOT NULL,
    seq         INTEGER NOT NULL,
    PRIMARY KEY (tenant, entity_type, entity_id)
) WITHOUT ROWID;

-- deliveries is the queue. next_at is when a pending delivery is due (as
-- reported); due_at is when Claim may take it: next_at, or the end of its
-- lease while it is leased, so that one index finds what is claimable.
CREATE TABLE deliveries (
    id              TEXT    NOT NULL PRIMARY KEY,
    event_id        TEXT    NOT NULL,
    subscription_id TEXT    NOT NULL,
    tenant          TEXT    NOT NULL,
    entity_type     TEXT    NOT NULL,
    entity_id       TEXT    NOT NULL,
    sequence        INTEGER NOT NULL,
    state           TEXT    NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_at         INTEGER NOT NULL,
    due_at          INTEGER NOT NULL,
    lease_owner     TEXT,
    lease_until     INTEGER,
    last_error      TEXT    NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    delivered_at    INTEGER
) WITHOUT ROWID;

-- Claim scans the pending deliveries in due order ...
CREATE INDEX deliveries_due ON deliveries (due_at, id) WHERE state = 'pending';
-- ... and checks that none of the same subscription and entity comes first.
CREATE INDEX deliveries_chain ON deliveries (subscription_id, tenant, entity_type, entity_id, sequence, id)
    WHERE state = 'pending';
-- ListDeliveries by event. (Every index costs Append about a tenth of its
-- throughput: ListDeliveries by subscription or state walks the table in
-- id order, and Stats finds the oldest pending delivery through
-- deliveries_due.)
CREATE INDEX deliveries_event ON deliveries (event_id, id);

-- attempts holds every attempt of a delivery, numbered from 1.
CREATE TABLE attempts (
    delivery_id TEXT    NOT NULL,
    n           INTEGER NOT NULL,
    outcome     TEXT    NOT NULL,
    error       TEXT    NOT NULL,
    detail      TEXT    NOT NULL,
    started_at  INTEGER NOT NULL,
    duration_ns INTEGER NOT NULL,
    PRIMARY KEY (delivery_id, n)
) WITHOUT ROWID;

-- counts keeps Stats' figures up to date, so that Stats reads four rows.
CREATE TABLE counts (
    name TEXT    NOT NULL PRIMARY KEY,
    n    INTEGER NOT NULL
) WITHOUT ROWID;

INSERT INTO counts (name, n) VALUES ('events', 0), ('pending', 0), ('delivered', 0), ('dead', 0);
