-- claims holds the live (and expired but not yet purged) claims: a key
-- claimed by owner until expires (Unix nanoseconds). Completing or
-- releasing a key deletes its claim, so the table stays small and its few
-- pages hot.
CREATE TABLE claims (
    key     TEXT    NOT NULL PRIMARY KEY,
    owner   TEXT    NOT NULL,
    expires INTEGER NOT NULL
) WITHOUT ROWID;

-- done holds the completed keys and when they were first completed (Unix
-- nanoseconds): the large table, written once per key.
CREATE TABLE done (
    key TEXT    NOT NULL PRIMARY KEY,
    at  INTEGER NOT NULL
) WITHOUT ROWID;

-- A done key has no claim: completing it drops any.
CREATE TRIGGER done_unclaims AFTER INSERT ON done BEGIN
    DELETE FROM claims WHERE key = new.key;
END;

-- Purge finds done keys by completion time.
CREATE INDEX done_at ON done (at);

-- versions holds the newest applied version of each entity.
CREATE TABLE versions (
    entity  TEXT    NOT NULL PRIMARY KEY,
    version INTEGER NOT NULL
) WITHOUT ROWID;
