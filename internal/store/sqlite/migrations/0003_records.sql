-- Opaque records of other parts of Herald (SNS topics, subscriptions,
-- pending deliveries), kept in the same database so that they commit in
-- one transaction with queue changes.
CREATE TABLE records (
	kind  TEXT NOT NULL,
	key   TEXT NOT NULL,
	value BLOB,
	PRIMARY KEY (kind, key)
) WITHOUT ROWID;
