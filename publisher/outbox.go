package publisher

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
)

// Dialect names the SQL database an application's outbox lives in.
type Dialect string

// Dialects.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// OutboxTable is the outbox table's name in the application's database.
const OutboxTable = "herald_outbox"

// OutboxSchema returns the statement that creates the outbox table (if it
// does not exist) in the application's database. Run it once, for example
// among the application's own migrations; CreateOutbox runs it for
// database/sql users.
//
// Each row is one event: its JSON (as Event marshals it, without id and
// sequence, which Herald stamps when the relay takes the row), the
// optional idempotency key, and when it was written. The relay deletes a
// row once the event is stored in Herald.
func OutboxSchema(d Dialect) (string, error) {
	switch d {
	case SQLite:
		return `CREATE TABLE IF NOT EXISTS ` + OutboxTable + ` (
  id              INTEGER PRIMARY KEY AUTOINCREMENT,
  event           TEXT NOT NULL,
  idempotency_key TEXT,
  created_at      INTEGER NOT NULL DEFAULT (CAST(unixepoch('subsec') * 1000 AS INTEGER))
)`, nil
	case Postgres:
		return `CREATE TABLE IF NOT EXISTS ` + OutboxTable + ` (
  id              BIGSERIAL PRIMARY KEY,
  event           TEXT NOT NULL,
  idempotency_key TEXT,
  created_at      TIMESTAMPTZ NOT NULL DEFAULT now()
)`, nil
	}
	return "", fmt.Errorf("publisher: unknown outbox dialect %q (want %q or %q)", d, SQLite, Postgres)
}

// OutboxInsert returns the statement and arguments that write ev to the
// outbox, for the application to execute in its own transaction with any
// driver (database/sql, pgx, …). The event is validated first: an event
// Herald would refuse never reaches the outbox.
//
// The event is delivered if and only if the transaction commits. The relay
// stores it in Herald under idempotencyKey, or, when that is empty, under
// a key made from the outbox row's id, so a relay that crashes after
// storing an event but before deleting its row does not store it twice.
func OutboxInsert(d Dialect, ev *Event, idempotencyKey string) (string, []any, error) {
	if ev == nil {
		return "", nil, errors.New("publisher: nil event")
	}
	if err := ev.Validate(); err != nil {
		return "", nil, err
	}
	e := *ev
	e.ID, e.Sequence = "", 0
	body, err := json.Marshal(&e)
	if err != nil {
		return "", nil, fmt.Errorf("publisher: encoding event: %w", err)
	}
	var key any
	if idempotencyKey != "" {
		key = idempotencyKey
	}
	switch d {
	case SQLite:
		return `INSERT INTO ` + OutboxTable + ` (event, idempotency_key) VALUES (?, ?)`, []any{string(body), key}, nil
	case Postgres:
		return `INSERT INTO ` + OutboxTable + ` (event, idempotency_key) VALUES ($1, $2)`, []any{string(body), key}, nil
	}
	return "", nil, fmt.Errorf("publisher: unknown outbox dialect %q (want %q or %q)", d, SQLite, Postgres)
}

// Execer is what database/sql's *sql.Tx, *sql.DB and *sql.Conn have in
// common.
type Execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// CreateOutbox creates the outbox table in a database/sql database.
func CreateOutbox(ctx context.Context, db Execer, d Dialect) error {
	q, err := OutboxSchema(d)
	if err != nil {
		return err
	}
	if _, err := db.ExecContext(ctx, q); err != nil {
		return fmt.Errorf("publisher: creating %s: %w", OutboxTable, err)
	}
	return nil
}

// Enqueue writes ev to the outbox through tx, the application's
// database/sql transaction (see OutboxInsert).
func Enqueue(ctx context.Context, tx Execer, d Dialect, ev *Event, idempotencyKey string) error {
	q, args, err := OutboxInsert(d, ev, idempotencyKey)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, q, args...); err != nil {
		return fmt.Errorf("publisher: writing to %s: %w", OutboxTable, err)
	}
	return nil
}
