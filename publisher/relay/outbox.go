package relay

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/herald-dev/herald/publisher"
)

// Outbox is an application's transactional outbox (publisher.Enqueue
// writes to it) for a relay to drain.
//
// Draining takes the oldest rows in a transaction of the application's
// database, publishes their events and deletes the rows in that same
// transaction. Each event is published under its idempotency key, or
// "outbox:<Name>:<row id>" when the application gave none, so a relay that
// dies after publishing and before its delete commits publishes nothing
// twice when it takes the rows again. On PostgreSQL the rows are locked
// with FOR UPDATE SKIP LOCKED, so several relays drain one outbox without
// taking the same rows.
//
// A row that cannot be published (its JSON does not decode to a valid
// event, which publisher.Enqueue never writes) stays in the table, is
// logged and skipped until the relay restarts.
type Outbox struct {
	// Name tells this outbox apart from others feeding the same Herald
	// store (in idempotency keys). Default "default".
	Name string
	// Dialect is the application database's SQL dialect.
	Dialect publisher.Dialect
	// DB is the application's database, through database/sql (SQLite with
	// modernc.org/sqlite, or PostgreSQL with a database/sql driver). Set
	// DB or Pgx.
	DB *sql.DB
	// Pgx connects to the application's PostgreSQL database with pgx; the
	// relay keeps the connection and reconnects after errors.
	Pgx func(ctx context.Context) (*pgx.Conn, error)
	// Batch is the most rows taken at once. Default 500.
	Batch int
	// Poll is how often an empty outbox is looked at again. Default 100ms.
	Poll time.Duration
}

// outboxTx is one drain transaction in either driver.
type outboxTx interface {
	rows(ctx context.Context, q string, args ...any) ([]outboxRow, error)
	exec(ctx context.Context, q string, args ...any) error
	commit(ctx context.Context) error
	rollback(ctx context.Context)
}

type outboxRow struct {
	id    int64
	event string
	key   sql.NullString
}

// DrainOutbox publishes the outbox's events until ctx ends. Errors are
// logged and retried; it returns nil when ctx ends, or an error for a bad
// Outbox.
func (r *Relay) DrainOutbox(ctx context.Context, ob Outbox) error {
	if ob.Name == "" {
		ob.Name = "default"
	}
	setDefault(&ob.Batch, 500)
	setDefault(&ob.Poll, 100*time.Millisecond)
	if (ob.DB == nil) == (ob.Pgx == nil) {
		return errors.New("relay: Outbox needs exactly one of DB and Pgx")
	}
	if _, err := publisher.OutboxSchema(ob.Dialect); err != nil {
		return err
	}
	d := &drainer{r: r, ob: ob, bad: map[int64]bool{}}
	defer d.close()
	for ctx.Err() == nil {
		n, err := d.once(ctx)
		if err != nil && ctx.Err() == nil {
			r.log.Error("publisher: draining the outbox", "outbox", ob.Name, "err", err)
			d.close() // reconnect next time
		}
		if n < ob.Batch {
			r.sleep(ctx, ob.Poll)
		}
	}
	return nil
}

type drainer struct {
	r    *Relay
	ob   Outbox
	conn *pgx.Conn
	bad  map[int64]bool
}

func (d *drainer) close() {
	if d.conn != nil {
		_ = d.conn.Close(context.Background())
		d.conn = nil
	}
}

func (d *drainer) begin(ctx context.Context) (outboxTx, error) {
	if d.ob.DB != nil {
		tx, err := d.ob.DB.BeginTx(ctx, nil)
		if err != nil {
			return nil, err
		}
		return sqlTx{tx}, nil
	}
	if d.conn == nil {
		c, err := d.ob.Pgx(ctx)
		if err != nil {
			return nil, err
		}
		d.conn = c
	}
	tx, err := d.conn.Begin(ctx)
	if err != nil {
		return nil, err
	}
	return pgxTx{tx}, nil
}

// once drains one batch and returns how many rows it took.
func (d *drainer) once(ctx context.Context) (int, error) {
	tx, err := d.begin(ctx)
	if err != nil {
		return 0, err
	}
	defer tx.rollback(context.WithoutCancel(ctx))
	q, args := d.selectQuery()
	rows, err := tx.rows(ctx, q, args...)
	if err != nil {
		return 0, fmt.Errorf("reading %s: %w", publisher.OutboxTable, err)
	}
	if len(rows) == 0 {
		return 0, nil
	}
	in := make([]Input, 0, len(rows))
	ids := make([]int64, 0, len(rows))
	for _, row := range rows {
		var ev publisher.Event
		err := json.Unmarshal([]byte(row.event), &ev)
		if err == nil {
			err = ev.Validate()
		}
		if err != nil {
			d.bad[row.id] = true
			d.r.log.Error("publisher: outbox row is not a valid event; left in place and skipped",
				"outbox", d.ob.Name, "id", row.id, "err", err)
			continue
		}
		key := row.key.String
		if !row.key.Valid || key == "" {
			key = "outbox:" + d.ob.Name + ":" + strconv.FormatInt(row.id, 10)
		}
		in = append(in, Input{Event: &ev, IdempotencyKey: key})
		ids = append(ids, row.id)
	}
	if len(in) > 0 {
		if _, err := d.r.Publish(ctx, in); err != nil {
			return 0, fmt.Errorf("publishing %d outbox events: %w", len(in), err)
		}
		q, args := d.deleteQuery(ids)
		if err := tx.exec(ctx, q, args...); err != nil {
			return 0, fmt.Errorf("deleting published rows: %w", err)
		}
	}
	if err := tx.commit(ctx); err != nil {
		return 0, fmt.Errorf("committing: %w", err)
	}
	return len(rows), nil
}

func (d *drainer) selectQuery() (string, []any) {
	var b strings.Builder
	b.WriteString("SELECT id, event, idempotency_key FROM " + publisher.OutboxTable)
	args := make([]any, 0, len(d.bad)+1)
	if len(d.bad) > 0 {
		b.WriteString(" WHERE id NOT IN (")
		i := 0
		for id := range d.bad {
			if i > 0 {
				b.WriteByte(',')
			}
			args = append(args, id)
			b.WriteString(d.placeholder(len(args)))
			i++
		}
		b.WriteByte(')')
	}
	args = append(args, d.ob.Batch)
	b.WriteString(" ORDER BY id LIMIT " + d.placeholder(len(args)))
	if d.ob.Dialect == publisher.Postgres {
		b.WriteString(" FOR UPDATE SKIP LOCKED")
	}
	return b.String(), args
}

func (d *drainer) deleteQuery(ids []int64) (string, []any) {
	if d.ob.Dialect == publisher.Postgres {
		return "DELETE FROM " + publisher.OutboxTable + " WHERE id = ANY($1)", []any{ids}
	}
	var b strings.Builder
	b.WriteString("DELETE FROM " + publisher.OutboxTable + " WHERE id IN (")
	args := make([]any, len(ids))
	for i, id := range ids {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('?')
		args[i] = id
	}
	b.WriteByte(')')
	return b.String(), args
}

func (d *drainer) placeholder(n int) string {
	if d.ob.Dialect == publisher.Postgres {
		return "$" + strconv.Itoa(n)
	}
	return "?"
}

type sqlTx struct{ tx *sql.Tx }

func (t sqlTx) rows(ctx context.Context, q string, args ...any) ([]outboxRow, error) {
	rs, err := t.tx.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	var out []outboxRow
	for rs.Next() {
		var r outboxRow
		if err := rs.Scan(&r.id, &r.event, &r.key); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rs.Err()
}

func (t sqlTx) exec(ctx context.Context, q string, args ...any) error {
	_, err := t.tx.ExecContext(ctx, q, args...)
	return err
}
func (t sqlTx) commit(context.Context) error { return t.tx.Commit() }
func (t sqlTx) rollback(context.Context)     { _ = t.tx.Rollback() }

type pgxTx struct{ tx pgx.Tx }

func (t pgxTx) rows(ctx context.Context, q string, args ...any) ([]outboxRow, error) {
	rs, err := t.tx.Query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	var out []outboxRow
	for rs.Next() {
		var r outboxRow
		var key *string
		if err := rs.Scan(&r.id, &r.event, &key); err != nil {
			return nil, err
		}
		if key != nil {
			r.key = sql.NullString{String: *key, Valid: true}
		}
		out = append(out, r)
	}
	return out, rs.Err()
}

func (t pgxTx) exec(ctx context.Context, q string, args ...any) error {
	_, err := t.tx.Exec(ctx, q, args...)
	return err
}
func (t pgxTx) commit(ctx context.Context) error { return t.tx.Commit(ctx) }
func (t pgxTx) rollback(ctx context.Context)     { _ = t.tx.Rollback(ctx) }
