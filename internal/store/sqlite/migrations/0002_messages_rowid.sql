-- Messages keyed by seq alone (seq is unique across queues): a rowid table,
-- so that appending a message is SQLite's cheap rightmost insert instead of
-- a B-tree rebalance of a clustered (queue_id, seq) key. An index on
-- queue_id serves purge and queue deletion.
CREATE TABLE messages_new (
	seq              INTEGER PRIMARY KEY,
	queue_id         INTEGER NOT NULL,
	id               TEXT    NOT NULL,
	body             TEXT    NOT NULL,
	attributes       BLOB,
	system_attributes BLOB,
	sender_id        TEXT    NOT NULL,
	sent_at          INTEGER NOT NULL,
	visible_at       INTEGER NOT NULL,
	receive_count    INTEGER NOT NULL,
	first_receive_at INTEGER NOT NULL,
	group_id         TEXT    NOT NULL,
	dedup_id         TEXT    NOT NULL,
	dlq_source       TEXT    NOT NULL
);
INSERT INTO messages_new (seq, queue_id, id, body, attributes, system_attributes, sender_id,
	sent_at, visible_at, receive_count, first_receive_at, group_id, dedup_id, dlq_source)
SELECT seq, queue_id, id, body, attributes, system_attributes, sender_id,
	sent_at, visible_at, receive_count, first_receive_at, group_id, dedup_id, dlq_source FROM messages;
DROP TABLE messages;
ALTER TABLE messages_new RENAME TO messages;
CREATE INDEX messages_queue ON messages (queue_id);
