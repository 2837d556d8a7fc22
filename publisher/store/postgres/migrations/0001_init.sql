-- Herald publisher schema, version 1. Ids and names are compared byte-wise
-- (COLLATE "C"): cheaper than a language's collation, and ids sort as Go
-- strings do. Every table is prefixed herald_pub_
-- so that it can share a database (and schema) with other applications'
-- tables and with the consumer's herald_consumer_ tables.

-- herald_pub_subscriptions holds each subscription as the JSON encoding of
-- subscription.Subscription; tenant is copied out for filtering.
CREATE TABLE herald_pub_subscriptions (
    id     text COLLATE "C" NOT NULL PRIMARY KEY,
    tenant text COLLATE "C" NOT NULL,
    doc    jsonb NOT NULL
);
CREATE INDEX herald_pub_subscriptions_tenant ON herald_pub_subscriptions (tenant, id);

-- herald_pub_sequences holds the last sequence number handed out for each
-- entity. Append raises it with INSERT ... ON CONFLICT DO UPDATE, whose row
-- lock serializes concurrent Appends of one entity until they commit.
CREATE TABLE herald_pub_sequences (
    tenant      text COLLATE "C" NOT NULL,
    entity_type text COLLATE "C" NOT NULL,
    entity_id   text COLLATE "C" NOT NULL,
    seq         bigint NOT NULL,
    PRIMARY KEY (tenant, entity_type, entity_id)
) WITH (fillfactor = 70); -- room for HOT updates of seq

-- herald_pub_idempotency maps a tenant's idempotency key to the event
-- stored under it. Append inserts the keys before it takes sequence
-- numbers, so that a concurrent Append with the same key waits for this
-- one's outcome and then finds the key taken.
CREATE TABLE herald_pub_idempotency (
    tenant   text COLLATE "C" NOT NULL,
    idem_key text COLLATE "C" NOT NULL,
    event_id text COLLATE "C" NOT NULL,
    PRIMARY KEY (tenant, idem_key)
);

CREATE TABLE herald_pub_events (
    id          text COLLATE "C" NOT NULL PRIMARY KEY,
    tenant      text COLLATE "C" NOT NULL,
    entity_type text COLLATE "C" NOT NULL,
    entity_id   text COLLATE "C" NOT NULL,
    event_type  text        NOT NULL,
    status      text        NOT NULL,
    occurred_at timestamptz NOT NULL,
    sequence    bigint      NOT NULL,
    data        bytea
);
CREATE INDEX herald_pub_events_tenant ON herald_pub_events (tenant, id);
CREATE INDEX herald_pub_events_entity ON herald_pub_events (tenant, entity_type, entity_id, id);

-- herald_pub_deliveries is the delivery queue. A pending delivery is
-- leased while lease_until is after the claimer's clock; lease_owner
-- stays set until Finish so that only the owner's results apply. Entity
-- columns and sequence are copied from the event for the order check.
CREATE TABLE herald_pub_deliveries (
    id              text COLLATE "C" NOT NULL PRIMARY KEY,
    event_id        text COLLATE "C" NOT NULL,
    subscription_id text COLLATE "C" NOT NULL,
    tenant          text COLLATE "C" NOT NULL,
    entity_type     text COLLATE "C" NOT NULL,
    entity_id       text COLLATE "C" NOT NULL,
    sequence        bigint      NOT NULL,
    state           text        NOT NULL,
    attempts        integer     NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL,
    last_error      text        NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    delivered_at    timestamptz,
    lease_owner     text,
    lease_until     timestamptz
) WITH (fillfactor = 80); -- room for HOT updates by Claim (lease columns only)
-- Claim scans pending deliveries in due order ...
CREATE INDEX herald_pub_deliveries_due ON herald_pub_deliveries (next_attempt_at, id)
    WHERE state = 'pending';
-- ... and looks for an earlier pending delivery of the same subscription
-- and entity.
CREATE INDEX herald_pub_deliveries_entity ON herald_pub_deliveries
    (subscription_id, tenant, entity_type, entity_id, sequence, id)
    WHERE state = 'pending';
CREATE INDEX herald_pub_deliveries_event ON herald_pub_deliveries (event_id, id);
CREATE INDEX herald_pub_deliveries_subscription ON herald_pub_deliveries (subscription_id, id);
-- Operators list dead deliveries; the others are found through the indexes
-- above or are too many to list by state.
CREATE INDEX herald_pub_deliveries_dead ON herald_pub_deliveries (id) WHERE state = 'dead';

CREATE TABLE herald_pub_attempts (
    delivery_id text COLLATE "C" NOT NULL,
    n           integer     NOT NULL,
    outcome     text        NOT NULL,
    error       text        NOT NULL,
    detail      text        NOT NULL,
    started_at  timestamptz NOT NULL,
    duration_ns bigint      NOT NULL,
    PRIMARY KEY (delivery_id, n)
);
