package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/herald-dev/herald/publisher"
	"github.com/herald-dev/herald/publisher/store"
	"github.com/jackc/pgx/v5"
)

// deliveryColumns are the columns scanDelivery reads, for a table aliased d.
const deliveryColumns = `d.id, d.event_id, d.subscription_id, d.tenant, d.entity_type, d.entity_id, d.sequence,
	d.state, d.attempts, d.next_attempt_at, d.last_error, d.created_at, d.updated_at, d.delivered_at`

// deliveryRow receives deliveryColumns.
type deliveryRow struct {
	d         store.Delivery
	delivered *time.Time
}

func (r *deliveryRow) dest() []any {
	d := &r.d
	return []any{&d.ID, &d.EventID, &d.SubscriptionID, &d.Tenant, &d.EntityType, &d.EntityID, &d.Sequence,
		&d.State, &d.Attempts, &d.NextAttemptAt, &d.LastError, &d.CreatedAt, &d.UpdatedAt, &r.delivered}
}

// delivery returns the scanned delivery, its times in UTC.
func (r *deliveryRow) delivery() *store.Delivery {
	d := r.d
	d.NextAttemptAt, d.CreatedAt, d.UpdatedAt = utc(d.NextAttemptAt), utc(d.CreatedAt), utc(d.UpdatedAt)
	if r.delivered != nil {
		d.DeliveredAt = utc(*r.delivered)
	}
	return &d
}

// enqueueSQL adds a delivery ($3, ids) of each event ($2) to subscription
// $1, due at $4, only when the subscription and every event exist.
const enqueueSQL = `
WITH x AS (
    SELECT * FROM unnest($2::text[], $3::text[]) AS x(event_id, id)
), ok AS (
    SELECT EXISTS (SELECT 1 FROM herald_pub_subscriptions WHERE id = $1)
       AND NOT EXISTS (SELECT 1 FROM x WHERE NOT EXISTS (SELECT 1 FROM herald_pub_events e WHERE e.id = x.event_id)) AS ok
)
INSERT INTO herald_pub_deliveries (id, event_id, subscription_id, tenant, entity_type, entity_id, sequence,
                                   state, next_attempt_at, created_at, updated_at)
SELECT x.id, e.id, $1, e.tenant, e.entity_type, e.entity_id, e.sequence, 'pending', $4, $4, $4
FROM x JOIN herald_pub_events e ON e.id = x.event_id
WHERE (SELECT ok FROM ok)`

// Enqueue implements store.Store. The new deliveries' ids are
// publisher.NewID()s.
func (s *Store) Enqueue(ctx context.Context, subscriptionID string, eventIDs []string) ([]string, error) {
	ids := make([]string, len(eventIDs))
	for i := range ids {
		ids[i] = publisher.NewID()
	}
	err := s.run(ctx, "enqueue", write, func(c *pgx.Conn) error {
		if len(eventIDs) == 0 {
			var ok bool
			err := c.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM herald_pub_subscriptions WHERE id = $1)`,
				subscriptionID).Scan(&ok)
			if err == nil && !ok {
				return notFound("subscription", subscriptionID)
			}
			return err
		}
		tag, err := c.Exec(ctx, enqueueSQL, subscriptionID, eventIDs, ids, time.Now())
		if err == nil && tag.RowsAffected() != int64(len(ids)) {
			return fmt.Errorf("subscription %q or one of the events %q: %w",
				subscriptionID, eventIDs, store.ErrNotFound)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return ids, nil
}

// claimSQL leases to $3 until $4 up to $2 deliveries due at $1. A
// delivery is skipped while another transaction holds its row (SKIP
// LOCKED); when its row changed since this statement's snapshot, the
// conditions are checked again on the new row. The earlier pending
// delivery of the same subscription and entity that blocks a delivery is
// found through herald_pub_deliveries_entity.
const claimSQL = `
WITH c AS (
    SELECT d.id FROM herald_pub_deliveries d
    WHERE d.state = 'pending' AND d.next_attempt_at <= $1
      AND (d.lease_until IS NULL OR d.lease_until <= $1)
      AND NOT EXISTS (
          SELECT 1 FROM herald_pub_deliveries p
          WHERE p.state = 'pending' AND p.subscription_id = d.subscription_id AND p.tenant = d.tenant
            AND p.entity_type = d.entity_type AND p.entity_id = d.entity_id
            AND (p.sequence, p.id) < (d.sequence, d.id))
    ORDER BY d.next_attempt_at, d.id
    LIMIT $2
    FOR UPDATE OF d SKIP LOCKED
), u AS (
    UPDATE herald_pub_deliveries d SET lease_owner = $3, lease_until = $4
    FROM c WHERE d.id = c.id
    RETURNING d.*
)
SELECT ` + deliveryColumns + `, ` + eventColumns + `
FROM u d JOIN herald_pub_events e ON e.id = d.event_id
ORDER BY d.next_attempt_at, d.id`

// maxLease keeps now+lease a valid time.
const maxLease = 100 * 365 * 24 * time.Hour

// Claim implements store.Store. It fails when lease is not positive.
func (s *Store) Claim(ctx context.Context, owner string, lease time.Duration, limit int, now time.Time) ([]*store.Delivery, error) {
	if lease <= 0 {
		return nil, fmt.Errorf("postgres: claim: lease %v is not positive", lease)
	}
	if limit <= 0 {
		return nil, s.checkOpen("claim")
	}
	until := now.Add(min(lease, maxLease))
	var out []*store.Delivery
	err := s.run(ctx, "claim", write, func(c *pgx.Conn) error {
		out = out[:0]
		rows, err := c.Query(ctx, claimSQL, now, limit, owner, until)
		if err != nil {
			return err
		}
		for rows.Next() {
			var r deliveryRow
			ev := new(publisher.Event)
			if err := rows.Scan(append(r.dest(), eventDest(ev)...)...); err != nil {
				rows.Close()
				return err
			}
			fixEvent(ev)
			d := r.delivery()
			d.Event = ev
			out = append(out, d)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// finishSQL applies results ($2-$8) for owner $1 at $9: only to
// deliveries still pending and leased to owner, each once (the ids are
// distinct). It returns how many it applied.
const finishSQL = `
WITH r AS (
    SELECT * FROM unnest($2::text[], $3::text[], $4::timestamptz[], $5::text[], $6::text[],
                         $7::timestamptz[], $8::bigint[])
        AS r(id, outcome, next_at, error, detail, started_at, duration_ns)
), u AS (
    UPDATE herald_pub_deliveries d SET
        state = CASE r.outcome WHEN 'delivered' THEN 'delivered' WHEN 'dead' THEN 'dead' ELSE 'pending' END,
        attempts = d.attempts + CASE WHEN r.outcome = 'released' THEN 0 ELSE 1 END,
        next_attempt_at = CASE WHEN r.outcome IN ('retry', 'released') THEN r.next_at ELSE d.next_attempt_at END,
        last_error = CASE WHEN r.outcome IN ('retry', 'dead') THEN r.error ELSE d.last_error END,
        delivered_at = CASE WHEN r.outcome = 'delivered' THEN $9 ELSE d.delivered_at END,
        updated_at = $9,
        lease_owner = NULL,
        lease_until = NULL
    FROM r
    WHERE d.id = r.id AND d.state = 'pending' AND d.lease_owner = $1
    RETURNING d.id, d.attempts, r.outcome, r.error, r.detail, r.started_at, r.duration_ns
), a AS (
    INSERT INTO herald_pub_attempts (delivery_id, n, outcome, error, detail, started_at, duration_ns)
    SELECT id, attempts, outcome, error, detail, started_at, duration_ns FROM u
    WHERE outcome <> 'released'
)
SELECT count(*) FROM u`

// Finish implements store.Store. Of several results for one delivery,
// only the first can apply: it releases the lease. An unknown outcome
// fails the whole call.
func (s *Store) Finish(ctx context.Context, owner string, results []store.Result) (int, error) {
	if len(results) == 0 {
		return 0, s.checkOpen("finish")
	}
	// The first result of each delivery, in id order so that concurrent
	// Finishes lock shared rows in one order.
	rs := make([]store.Result, 0, len(results))
	seen := make(map[string]bool, len(results))
	for _, r := range results {
		switch r.Outcome {
		case store.Delivered, store.Retry, store.Dead, store.Released:
		default:
			return 0, fmt.Errorf("postgres: finish: delivery %q: unknown outcome %q", r.DeliveryID, r.Outcome)
		}
		if !seen[r.DeliveryID] {
			seen[r.DeliveryID] = true
			rs = append(rs, r)
		}
	}
	slices.SortFunc(rs, func(a, b store.Result) int { return strings.Compare(a.DeliveryID, b.DeliveryID) })
	var (
		ids, outcomes, errs, details []string
		nexts, starts                []time.Time
		durations                    []int64
	)
	for _, r := range rs {
		ids = append(ids, r.DeliveryID)
		outcomes = append(outcomes, string(r.Outcome))
		nexts = append(nexts, r.NextAttemptAt)
		errs = append(errs, r.Error)
		details = append(details, r.Detail)
		starts = append(starts, r.StartedAt)
		durations = append(durations, int64(r.Duration))
	}
	var n int
	err := s.run(ctx, "finish", write, func(c *pgx.Conn) error {
		return c.QueryRow(ctx, finishSQL, owner, ids, outcomes, nexts, errs, details, starts, durations, time.Now()).Scan(&n)
	})
	return n, err
}

// GetDelivery implements store.Store.
func (s *Store) GetDelivery(ctx context.Context, id string) (*store.Delivery, error) {
	var r deliveryRow
	err := s.run(ctx, "get delivery", read, func(c *pgx.Conn) error {
		err := c.QueryRow(ctx, `SELECT `+deliveryColumns+` FROM herald_pub_deliveries d WHERE d.id = $1`, id).Scan(r.dest()...)
		if errors.Is(err, pgx.ErrNoRows) {
			return notFound("delivery", id)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return r.delivery(), nil
}

// ListDeliveries implements store.Store.
func (s *Store) ListDeliveries(ctx context.Context, f store.DeliveryFilter) ([]*store.Delivery, error) {
	var q query
	q.sql.WriteString(`SELECT ` + deliveryColumns + ` FROM herald_pub_deliveries d`)
	if f.EventID != "" {
		q.where("d.event_id =", f.EventID)
	}
	if f.SubscriptionID != "" {
		q.where("d.subscription_id =", f.SubscriptionID)
	}
	if f.State != "" {
		q.where("d.state =", f.State)
	}
	if f.After != "" {
		q.where("d.id >", f.After)
	}
	q.orderLimit("d.id", f.Limit)
	var out []*store.Delivery
	err := s.run(ctx, "list deliveries", read, func(c *pgx.Conn) error {
		out = out[:0]
		rows, err := c.Query(ctx, q.sql.String(), q.args...)
		if err != nil {
			return err
		}
		for rows.Next() {
			var r deliveryRow
			if err := rows.Scan(r.dest()...); err != nil {
				rows.Close()
				return err
			}
			out = append(out, r.delivery())
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Attempts implements store.Store. It returns ErrNotFound for an unknown
// delivery, and no attempts for one not attempted yet.
func (s *Store) Attempts(ctx context.Context, deliveryID string) ([]store.Attempt, error) {
	var out []store.Attempt
	err := s.run(ctx, "attempts", read, func(c *pgx.Conn) error {
		out = out[:0]
		rows, err := c.Query(ctx, `
			SELECT a.n, a.outcome, a.error, a.detail, a.started_at, a.duration_ns
			FROM herald_pub_deliveries d
			LEFT JOIN herald_pub_attempts a ON a.delivery_id = d.id
			WHERE d.id = $1
			ORDER BY a.n`, deliveryID)
		if err != nil {
			return err
		}
		found := false
		for rows.Next() {
			found = true
			var (
				n                    *int
				outcome, msg, detail *string
				started              *time.Time
				duration             *int64
			)
			if err := rows.Scan(&n, &outcome, &msg, &detail, &started, &duration); err != nil {
				rows.Close()
				return err
			}
			if n == nil {
				continue // no attempts
			}
			out = append(out, store.Attempt{N: *n, Outcome: store.Outcome(*outcome), Error: *msg, Detail: *detail,
				StartedAt: utc(*started), Duration: time.Duration(*duration)})
		}
		if err := rows.Err(); err != nil {
			return err
		}
		if !found {
			return notFound("delivery", deliveryID)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Stats implements store.Store. It counts the tables' rows, so its cost
// grows with them.
func (s *Store) Stats(ctx context.Context) (store.Stats, error) {
	var st store.Stats
	err := s.run(ctx, "stats", read, func(c *pgx.Conn) error {
		var oldest *time.Time
		err := c.QueryRow(ctx, `
			SELECT count(*) FILTER (WHERE state = 'pending'),
			       count(*) FILTER (WHERE state = 'delivered'),
			       count(*) FILTER (WHERE state = 'dead'),
			       (SELECT count(*) FROM herald_pub_events),
			       min(created_at) FILTER (WHERE state = 'pending')
			FROM herald_pub_deliveries`).Scan(&st.Pending, &st.Delivered, &st.Dead, &st.Events, &oldest)
		if oldest != nil {
			st.OldestPending = utc(*oldest)
		}
		return err
	})
	return st, err
}
