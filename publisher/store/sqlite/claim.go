package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/herald-dev/herald/publisher"
	"github.com/herald-dev/herald/publisher/store"
)

// The writer's statements for the queue.
const (
	// sqlClaimSelect walks the pending deliveries in due order (?1 is now)
	// and keeps those with no earlier pending delivery of the same
	// subscription and entity, with their events. A leased delivery's
	// due_at is its lease's end, so the index skips it until then.
	sqlClaimSelect = `SELECT d.id, d.event_id, d.subscription_id, d.tenant, d.entity_type, d.entity_id, d.sequence,
			d.attempts, d.next_at, d.last_error, d.created_at, d.updated_at,
			e.type, e.status, e.occurred_at, e.data
		FROM deliveries d INDEXED BY deliveries_due JOIN events e ON e.id = d.event_id
		WHERE d.state = 'pending' AND d.due_at <= ?1
		AND NOT EXISTS (SELECT 1 FROM deliveries p INDEXED BY deliveries_chain
			WHERE p.state = 'pending' AND p.subscription_id = d.subscription_id AND p.tenant = d.tenant
			AND p.entity_type = d.entity_type AND p.entity_id = d.entity_id
			AND (p.sequence, p.id) < (d.sequence, d.id))
		ORDER BY d.due_at, d.id
		LIMIT ?2`
	sqlClaimUpdate = `UPDATE deliveries SET lease_owner = ?2, lease_until = ?3, due_at = ?3, updated_at = ?4 WHERE id = ?1`

	// The finish statements apply a result while ?2 holds the lease.
	leaseHeld          = ` WHERE id = ?1 AND state = 'pending' AND lease_owner = ?2`
	sqlFinishDelivered = `UPDATE deliveries SET state = 'delivered', attempts = attempts + 1, delivered_at = ?3,
		updated_at = ?3, lease_owner = NULL, lease_until = NULL` + leaseHeld + ` RETURNING attempts`
	sqlFinishRetry = `UPDATE deliveries SET attempts = attempts + 1, last_error = ?3, next_at = ?4, due_at = ?4,
		updated_at = ?5, lease_owner = NULL, lease_until = NULL` + leaseHeld + ` RETURNING attempts`
	sqlFinishDead = `UPDATE deliveries SET state = 'dead', attempts = attempts + 1, last_error = ?3,
		updated_at = ?4, lease_owner = NULL, lease_until = NULL` + leaseHeld + ` RETURNING attempts`
	sqlFinishReleased = `UPDATE deliveries SET next_at = ?3, due_at = ?3, updated_at = ?4,
		lease_owner = NULL, lease_until = NULL` + leaseHeld
	sqlAttemptInsert = `INSERT INTO attempts (delivery_id, n, outcome, error, detail, started_at, duration_ns)
		VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)`
)

// Claim implements store.Store. It returns an error for an empty owner or
// a lease that is not positive; a limit of 0 or less claims nothing.
// Deliveries due at the same time come in id order.
func (s *Store) Claim(ctx context.Context, owner string, lease time.Duration, limit int, now time.Time) ([]*store.Delivery, error) {
	switch {
	case owner == "":
		return nil, errors.New("sqlite: claim: empty owner")
	case lease <= 0:
		return nil, fmt.Errorf("sqlite: claim: lease %v is not positive", lease)
	case limit <= 0:
		return nil, s.checkOpen()
	}
	at := toNS(now)
	until := addSat(at, int64(lease))
	var out []*store.Delivery
	err := s.do(ctx, func(w *writer, stamp int64) error {
		var err error
		out, err = w.claim(owner, at, until, limit, stamp)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (w *writer) claim(owner string, at, until int64, limit int, stamp int64) ([]*store.Delivery, error) {
	ctx := context.Background()
	rows, err := w.claimSelect.QueryContext(ctx, at, limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: claim: %w", err)
	}
	var out []*store.Delivery
	for rows.Next() {
		d := &store.Delivery{State: store.StatePending, Event: &publisher.Event{}}
		var next, created, updated, occurred int64
		var data []byte
		if err := rows.Scan(&d.ID, &d.EventID, &d.SubscriptionID, &d.Tenant, &d.EntityType, &d.EntityID, &d.Sequence,
			&d.Attempts, &next, &d.LastError, &created, &updated,
			&d.Event.Type, &d.Event.Status, &occurred, &data); err != nil {
			rows.Close()
			return nil, fmt.Errorf("sqlite: claim: %w", err)
		}
		d.NextAttemptAt, d.CreatedAt, d.UpdatedAt = fromNS(next), fromNS(created), fromNS(stamp)
		e := d.Event
		e.ID, e.Tenant, e.EntityType, e.EntityID, e.Sequence = d.EventID, d.Tenant, d.EntityType, d.EntityID, d.Sequence
		e.OccurredAt = fromNS(occurred)
		if len(data) > 0 {
			e.Data = data
		}
		out = append(out, d)
	}
	if err := rows.Close(); err != nil {
		return nil, fmt.Errorf("sqlite: claim: %w", err)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: claim: %w", err)
	}
	for _, d := range out {
		if _, err := w.claimUpdate.ExecContext(ctx, d.ID, owner, until, stamp); err != nil {
			return nil, fmt.Errorf("sqlite: claim: %w", err)
		}
	}
	return out, nil
}

// Finish implements store.Store. It returns an error, applying nothing,
// for an empty owner or an unknown outcome. A Released result records no
// attempt and keeps LastError.
func (s *Store) Finish(ctx context.Context, owner string, results []store.Result) (int, error) {
	if owner == "" {
		return 0, errors.New("sqlite: finish: empty owner")
	}
	for _, r := range results {
		switch r.Outcome {
		case store.Delivered, store.Retry, store.Dead, store.Released:
		default:
			return 0, fmt.Errorf("sqlite: finish: delivery %s: unknown outcome %q", r.DeliveryID, r.Outcome)
		}
	}
	if len(results) == 0 {
		return 0, s.checkOpen()
	}
	var applied int
	err := s.do(ctx, func(w *writer, now int64) error {
		var err error
		applied, err = w.finish(owner, results, now)
		return err
	})
	if err != nil {
		return 0, err
	}
	return applied, nil
}

func (w *writer) finish(owner string, results []store.Result, now int64) (int, error) {
	ctx := context.Background()
	counts := map[string]int64{}
	applied := 0
	for _, r := range results {
		var row *sql.Row
		switch r.Outcome {
		case store.Delivered:
			row = w.finishDelivered.QueryRowContext(ctx, r.DeliveryID, owner, now)
		case store.Retry:
			row = w.finishRetry.QueryRowContext(ctx, r.DeliveryID, owner, r.Error, toNS(r.NextAttemptAt), now)
		case store.Dead:
			row = w.finishDead.QueryRowContext(ctx, r.DeliveryID, owner, r.Error, now)
		case store.Released:
			n, err := execN(w.finishReleased, r.DeliveryID, owner, toNS(r.NextAttemptAt), now)
			if err != nil {
				return 0, fmt.Errorf("sqlite: finish: %w", err)
			}
			applied += int(n)
			continue
		}
		var attempt int
		switch err := row.Scan(&attempt); {
		case errors.Is(err, sql.ErrNoRows):
			continue // not held by owner: skipped
		case err != nil:
			return 0, fmt.Errorf("sqlite: finish: %w", err)
		}
		applied++
		switch r.Outcome {
		case store.Delivered:
			counts["pending"]--
			counts["delivered"]++
		case store.Dead:
			counts["pending"]--
			counts["dead"]++
		}
		if _, err := w.attemptInsert.ExecContext(ctx, r.DeliveryID, attempt, string(r.Outcome), r.Error, r.Detail,
			toNS(r.StartedAt), int64(r.Duration)); err != nil {
			return 0, fmt.Errorf("sqlite: finish: attempt: %w", err)
		}
	}
	return applied, w.addCounts(counts)
}
