package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/herald-dev/herald/publisher"
	"github.com/herald-dev/herald/publisher/store"
	"github.com/herald-dev/herald/publisher/subscription"
)

const (
	eventColumns    = `id, tenant, entity_type, entity_id, type, status, occurred_at, sequence, data`
	deliveryColumns = `id, event_id, subscription_id, tenant, entity_type, entity_id, sequence, state, attempts,
		next_at, last_error, created_at, updated_at, delivered_at`
)

// scanner is a *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

func scanEvent(sc scanner) (*publisher.Event, error) {
	e := &publisher.Event{}
	var occurred int64
	var data []byte
	if err := sc.Scan(&e.ID, &e.Tenant, &e.EntityType, &e.EntityID, &e.Type, &e.Status, &occurred, &e.Sequence, &data); err != nil {
		return nil, err
	}
	e.OccurredAt = fromNS(occurred)
	if len(data) > 0 {
		e.Data = json.RawMessage(data)
	}
	return e, nil
}

func scanDelivery(sc scanner) (*store.Delivery, error) {
	d := &store.Delivery{}
	var next, created, updated int64
	var delivered sql.NullInt64
	if err := sc.Scan(&d.ID, &d.EventID, &d.SubscriptionID, &d.Tenant, &d.EntityType, &d.EntityID, &d.Sequence, &d.State,
		&d.Attempts, &next, &d.LastError, &created, &updated, &delivered); err != nil {
		return nil, err
	}
	d.NextAttemptAt, d.CreatedAt, d.UpdatedAt = fromNS(next), fromNS(created), fromNS(updated)
	if delivered.Valid {
		d.DeliveredAt = fromNS(delivered.Int64)
	}
	return d, nil
}

func scanSub(sc scanner) (*subscription.Subscription, error) {
	var doc []byte
	if err := sc.Scan(&doc); err != nil {
		return nil, err
	}
	sub := &subscription.Subscription{}
	if err := json.Unmarshal(doc, sub); err != nil {
		return nil, fmt.Errorf("decoding subscription: %w", err)
	}
	return sub, nil
}

// getOne runs a query for one row on the read pool; no row is ErrNotFound.
func getOne[T any](s *Store, ctx context.Context, what, id, query string, scan func(scanner) (T, error)) (T, error) {
	var zero T
	if err := s.checkOpen(); err != nil {
		return zero, err
	}
	v, err := scan(s.db.QueryRowContext(ctx, query, id))
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return zero, fmt.Errorf("sqlite: %s %q: %w", what, id, store.ErrNotFound)
	case err != nil:
		return zero, fmt.Errorf("sqlite: get %s %q: %w", what, id, err)
	}
	return v, nil
}

// list runs a query on the read pool and scans every row.
func list[T any](s *Store, ctx context.Context, what string, q *query, scan func(scanner) (T, error)) ([]T, error) {
	if err := s.checkOpen(); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, q.String(), q.args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list %s: %w", what, err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: list %s: %w", what, err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: list %s: %w", what, err)
	}
	return out, nil
}

// query builds a SELECT with optional conditions, ordered by id.
type query struct {
	sel   string
	where []string
	args  []any
	limit int
}

// and adds cond with its one argument, unless the argument is empty.
func (q *query) and(cond string, arg any) {
	switch a := arg.(type) {
	case string:
		if a == "" {
			return
		}
	case time.Time:
		if a.IsZero() {
			return
		}
		arg = toNS(a)
	}
	q.args = append(q.args, arg)
	q.where = append(q.where, strings.ReplaceAll(cond, "?", fmt.Sprintf("?%d", len(q.args))))
}

func (q *query) String() string {
	var b strings.Builder
	b.WriteString(q.sel)
	if len(q.where) > 0 {
		b.WriteString(" WHERE ")
		b.WriteString(strings.Join(q.where, " AND "))
	}
	b.WriteString(" ORDER BY id")
	if q.limit > 0 {
		fmt.Fprintf(&b, " LIMIT %d", q.limit)
	}
	return b.String()
}

// GetSubscription implements store.Store.
func (s *Store) GetSubscription(ctx context.Context, id string) (*subscription.Subscription, error) {
	return getOne(s, ctx, "subscription", id, `SELECT doc FROM subscriptions WHERE id = ?1`, scanSub)
}

// ListSubscriptions implements store.Store.
func (s *Store) ListSubscriptions(ctx context.Context, f store.SubscriptionFilter) ([]*subscription.Subscription, error) {
	q := &query{sel: `SELECT doc FROM subscriptions`, limit: f.Limit}
	q.and("tenant = ?", f.Tenant)
	q.and("id > ?", f.After)
	return list(s, ctx, "subscriptions", q, scanSub)
}

// GetEvent implements store.Store.
func (s *Store) GetEvent(ctx context.Context, id string) (*publisher.Event, error) {
	return getOne(s, ctx, "event", id, `SELECT `+eventColumns+` FROM events WHERE id = ?1`, scanEvent)
}

// ListEvents implements store.Store. A filter on the entity uses an index;
// one on the tenant or the time alone scans the events in id order.
func (s *Store) ListEvents(ctx context.Context, f store.EventFilter) ([]*publisher.Event, error) {
	q := &query{sel: `SELECT ` + eventColumns + ` FROM events`, limit: f.Limit}
	q.and("tenant = ?", f.Tenant)
	q.and("entity_type = ?", f.EntityType)
	q.and("entity_id = ?", f.EntityID)
	q.and("occurred_at >= ?", f.From)
	q.and("occurred_at < ?", f.To)
	q.and("id > ?", f.After)
	return list(s, ctx, "events", q, scanEvent)
}

// GetDelivery implements store.Store.
func (s *Store) GetDelivery(ctx context.Context, id string) (*store.Delivery, error) {
	return getOne(s, ctx, "delivery", id, `SELECT `+deliveryColumns+` FROM deliveries WHERE id = ?1`, scanDelivery)
}

// ListDeliveries implements store.Store.
func (s *Store) ListDeliveries(ctx context.Context, f store.DeliveryFilter) ([]*store.Delivery, error) {
	q := &query{sel: `SELECT ` + deliveryColumns + ` FROM deliveries`, limit: f.Limit}
	q.and("event_id = ?", f.EventID)
	q.and("subscription_id = ?", f.SubscriptionID)
	q.and("state = ?", f.State)
	q.and("id > ?", f.After)
	return list(s, ctx, "deliveries", q, scanDelivery)
}

// Attempts implements store.Store. A delivery that does not exist has no
// attempts (and no error).
func (s *Store) Attempts(ctx context.Context, deliveryID string) ([]store.Attempt, error) {
	if err := s.checkOpen(); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT n, outcome, error, detail, started_at, duration_ns
		FROM attempts WHERE delivery_id = ?1 ORDER BY n`, deliveryID)
	if err != nil {
		return nil, fmt.Errorf("sqlite: attempts: %w", err)
	}
	defer rows.Close()
	out := []store.Attempt{}
	for rows.Next() {
		var a store.Attempt
		var started, dur int64
		if err := rows.Scan(&a.N, &a.Outcome, &a.Error, &a.Detail, &started, &dur); err != nil {
			return nil, fmt.Errorf("sqlite: attempts: %w", err)
		}
		a.StartedAt, a.Duration = fromNS(started), time.Duration(dur)
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: attempts: %w", err)
	}
	return out, nil
}

// Stats implements store.Store. The counts are kept up to date by the
// writer; OldestPending reads every pending delivery.
func (s *Store) Stats(ctx context.Context) (store.Stats, error) {
	var st store.Stats
	if err := s.checkOpen(); err != nil {
		return st, err
	}
	var oldest sql.NullInt64
	err := s.db.QueryRowContext(ctx, `SELECT
		(SELECT n FROM counts WHERE name = 'pending'),
		(SELECT n FROM counts WHERE name = 'delivered'),
		(SELECT n FROM counts WHERE name = 'dead'),
		(SELECT n FROM counts WHERE name = 'events'),
		(SELECT min(created_at) FROM deliveries INDEXED BY deliveries_due WHERE state = 'pending')`).
		Scan(&st.Pending, &st.Delivered, &st.Dead, &st.Events, &oldest)
	if err != nil {
		return st, fmt.Errorf("sqlite: stats: %w", err)
	}
	if oldest.Valid {
		st.OldestPending = fromNS(oldest.Int64)
	}
	return st, nil
}
