-- herald_consumer_claims holds one row per deduplication key that is
-- claimed or done. Not done: claimed by owner until t. Done: completed at t
-- (the first completion), last by owner. A released key has no row.
CREATE TABLE herald_consumer_claims (
    key   text        NOT NULL PRIMARY KEY,
    owner text        NOT NULL,
    done  boolean     NOT NULL,
    t     timestamptz NOT NULL
);

-- Purge finds done keys by completion time and claims by expiry.
CREATE INDEX herald_consumer_claims_done_t ON herald_consumer_claims (done, t);

-- herald_consumer_versions holds the newest applied version of each entity.
CREATE TABLE herald_consumer_versions (
    entity  text   NOT NULL PRIMARY KEY,
    version bigint NOT NULL
);
