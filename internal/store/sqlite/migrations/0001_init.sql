-- Queues: one row per queue; attributes and tags are JSON objects.
CREATE TABLE queues (
	id         INTEGER PRIMARY KEY,
	account    TEXT    NOT NULL,
	name       TEXT    NOT NULL,
	attributes TEXT    NOT NULL,
	tags       TEXT    NOT NULL,
	created    INTEGER NOT NULL,
	modified   INTEGER NOT NULL
);

-- Messages, clustered by queue then sequence. attributes and
-- system_attributes use the binary encoding in codec.go; NULL when empty.
CREATE TABLE messages (
	queue_id         INTEGER NOT NULL,
	seq              INTEGER NOT NULL,
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
	dlq_source       TEXT    NOT NULL,
	PRIMARY KEY (queue_id, seq)
) WITHOUT ROWID;

-- FIFO deduplication ids still inside their window.
CREATE TABLE dedup (
	queue_id   INTEGER NOT NULL,
	key        TEXT    NOT NULL,
	message_id TEXT    NOT NULL,
	seq        INTEGER NOT NULL,
	expires_at INTEGER NOT NULL,
	PRIMARY KEY (queue_id, key)
) WITHOUT ROWID;

-- One row: the next message sequence and queue id, which never go back even
-- when the rows that used the highest ones are deleted.
CREATE TABLE meta (
	id       INTEGER PRIMARY KEY CHECK (id = 1),
	next_seq INTEGER NOT NULL,
	next_id  INTEGER NOT NULL
);
INSERT INTO meta (id, next_seq, next_id) VALUES (1, 1, 1);
