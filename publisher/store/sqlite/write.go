package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/herald-dev/herald/publisher"
	"github.com/herald-dev/herald/publisher/store"
	"github.com/herald-dev/herald/publisher/subscription"
)

// The writer's statements for subscriptions, events and new deliveries.
const (
	sqlSubInsert = `INSERT INTO subscriptions (id, tenant, doc) VALUES (?1, ?2, ?3) ON CONFLICT (id) DO NOTHING`
	sqlSubUpdate = `UPDATE subscriptions SET tenant = ?2, doc = ?3 WHERE id = ?1`
	sqlSubDelete = `DELETE FROM subscriptions WHERE id = ?1`
	sqlSubExists = `SELECT 1 FROM subscriptions WHERE id = ?1`

	sqlIdemLookup = `SELECT ` + eventColumns + ` FROM events WHERE tenant = ?1 AND idem_key = ?2`
	sqlSeqNext    = `INSERT INTO entity_seq (tenant, entity_type, entity_id, seq) VALUES (?1, ?2, ?3, 1)
		ON CONFLICT (tenant, entity_type, entity_id) DO UPDATE SET seq = seq + 1 RETURNING seq`
	sqlEventInsert = `INSERT INTO events (id, tenant, entity_type, entity_id, type, status, occurred_at, sequence, data, idem_key, created_at)
		VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)`
	sqlEventRef       = `SELECT tenant, entity_type, entity_id, sequence FROM events WHERE id = ?1`
	sqlDeliveryInsert = `INSERT INTO deliveries (id, event_id, subscription_id, tenant, entity_type, entity_id, sequence,
		state, next_at, due_at, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'pending', ?8, ?8, ?8, ?8)`
	sqlCount = `UPDATE counts SET n = n + ?2 WHERE name = ?1`
)

// CreateSubscription implements store.Store. The subscription is stored as
// its JSON document, as given.
func (s *Store) CreateSubscription(ctx context.Context, sub *subscription.Subscription) error {
	doc, err := subDoc(sub)
	if err != nil {
		return err
	}
	return s.do(ctx, func(w *writer, _ int64) error {
		n, err := execN(w.subInsert, sub.ID, sub.Tenant, doc)
		switch {
		case err != nil:
			return fmt.Errorf("sqlite: create subscription %q: %w", sub.ID, err)
		case n == 0:
			return fmt.Errorf("sqlite: create subscription %q: %w", sub.ID, store.ErrConflict)
		}
		return nil
	})
}

// UpdateSubscription implements store.Store.
func (s *Store) UpdateSubscription(ctx context.Context, sub *subscription.Subscription) error {
	doc, err := subDoc(sub)
	if err != nil {
		return err
	}
	return s.do(ctx, func(w *writer, _ int64) error {
		n, err := execN(w.subUpdate, sub.ID, sub.Tenant, doc)
		switch {
		case err != nil:
			return fmt.Errorf("sqlite: update subscription %q: %w", sub.ID, err)
		case n == 0:
			return fmt.Errorf("sqlite: update subscription %q: %w", sub.ID, store.ErrNotFound)
		}
		return nil
	})
}

// DeleteSubscription implements store.Store.
func (s *Store) DeleteSubscription(ctx context.Context, id string) error {
	return s.do(ctx, func(w *writer, _ int64) error {
		n, err := execN(w.subDelete, id)
		switch {
		case err != nil:
			return fmt.Errorf("sqlite: delete subscription %q: %w", id, err)
		case n == 0:
			return fmt.Errorf("sqlite: delete subscription %q: %w", id, store.ErrNotFound)
		}
		return nil
	})
}

func subDoc(sub *subscription.Subscription) ([]byte, error) {
	if sub == nil || sub.ID == "" {
		return nil, errors.New("sqlite: subscription without an id")
	}
	doc, err := json.Marshal(sub)
	if err != nil {
		return nil, fmt.Errorf("sqlite: encoding subscription %q: %w", sub.ID, err)
	}
	return doc, nil
}

// Append implements store.Store. It sets Sequence on the events it stores;
// each result's Event is the event given (for a duplicate: the stored one,
// read back). An event id or delivery id already in use fails the call.
func (s *Store) Append(ctx context.Context, events []store.NewEvent) ([]store.Appended, error) {
	for i, ne := range events {
		switch {
		case ne.Event == nil || ne.Event.ID == "":
			return nil, fmt.Errorf("sqlite: append: event %d has no id", i)
		case len(ne.DeliveryIDs) != len(ne.Subscriptions):
			return nil, fmt.Errorf("sqlite: append: event %s has %d subscriptions and %d delivery ids",
				ne.Event.ID, len(ne.Subscriptions), len(ne.DeliveryIDs))
		}
	}
	if len(events) == 0 {
		return []store.Appended{}, s.checkOpen()
	}
	out := make([]store.Appended, len(events))
	seqs := make([]int64, len(events))
	err := s.do(ctx, func(w *writer, now int64) error {
		return w.append(events, out, seqs, now)
	})
	if err != nil {
		return nil, err
	}
	for i, a := range out {
		if !a.Duplicate {
			events[i].Event.Sequence = seqs[i]
			out[i].Event = events[i].Event
		}
	}
	return out, nil
}

// append stores events, filling in out's duplicates and seqs.
func (w *writer) append(events []store.NewEvent, out []store.Appended, seqs []int64, now int64) error {
	ctx := context.Background()
	var stored, deliveries int64
	for i, ne := range events {
		ev := ne.Event
		var key any
		if ne.IdempotencyKey != "" {
			key = ne.IdempotencyKey
			dup, err := scanEvent(w.idemLookup.QueryRowContext(ctx, ev.Tenant, key))
			switch {
			case err == nil:
				out[i] = store.Appended{Event: dup, Duplicate: true}
				continue
			case !errors.Is(err, sql.ErrNoRows):
				return fmt.Errorf("sqlite: append: idempotency key: %w", err)
			}
		}
		if err := w.seqNext.QueryRowContext(ctx, ev.Tenant, ev.EntityType, ev.EntityID).Scan(&seqs[i]); err != nil {
			return fmt.Errorf("sqlite: append: sequence: %w", err)
		}
		var data any
		if len(ev.Data) > 0 {
			data = []byte(ev.Data)
		}
		if _, err := w.eventInsert.ExecContext(ctx, ev.ID, ev.Tenant, ev.EntityType, ev.EntityID, ev.Type, ev.Status,
			toNS(ev.OccurredAt), seqs[i], data, key, now); err != nil {
			return fmt.Errorf("sqlite: append: event %s: %w", ev.ID, err)
		}
		stored++
		for j, sub := range ne.Subscriptions {
			if _, err := w.deliveryInsert.ExecContext(ctx, ne.DeliveryIDs[j], ev.ID, sub, ev.Tenant, ev.EntityType,
				ev.EntityID, seqs[i], now); err != nil {
				return fmt.Errorf("sqlite: append: delivery %s: %w", ne.DeliveryIDs[j], err)
			}
			deliveries++
		}
	}
	return w.addCounts(map[string]int64{"events": stored, "pending": deliveries})
}

// addCounts adds to Stats' counters.
func (w *writer) addCounts(add map[string]int64) error {
	for name, n := range add {
		if n == 0 {
			continue
		}
		if _, err := w.count.ExecContext(context.Background(), name, n); err != nil {
			return fmt.Errorf("sqlite: counts: %w", err)
		}
	}
	return nil
}

// Enqueue implements store.Store. The new deliveries' ids are
// publisher.NewID's.
func (s *Store) Enqueue(ctx context.Context, subscriptionID string, eventIDs []string) ([]string, error) {
	ids := make([]string, len(eventIDs))
	for i := range ids {
		ids[i] = publisher.NewID()
	}
	err := s.do(ctx, func(w *writer, now int64) error {
		bg := context.Background()
		var one int
		switch err := w.subExists.QueryRowContext(bg, subscriptionID).Scan(&one); {
		case errors.Is(err, sql.ErrNoRows):
			return fmt.Errorf("sqlite: enqueue: subscription %q: %w", subscriptionID, store.ErrNotFound)
		case err != nil:
			return fmt.Errorf("sqlite: enqueue: %w", err)
		}
		for i, id := range eventIDs {
			var tenant, etype, eid string
			var seq int64
			switch err := w.eventRef.QueryRowContext(bg, id).Scan(&tenant, &etype, &eid, &seq); {
			case errors.Is(err, sql.ErrNoRows):
				return fmt.Errorf("sqlite: enqueue: event %q: %w", id, store.ErrNotFound)
			case err != nil:
				return fmt.Errorf("sqlite: enqueue: %w", err)
			}
			if _, err := w.deliveryInsert.ExecContext(bg, ids[i], id, subscriptionID, tenant, etype, eid, seq, now); err != nil {
				return fmt.Errorf("sqlite: enqueue: %w", err)
			}
		}
		return w.addCounts(map[string]int64{"pending": int64(len(eventIDs))})
	})
	if err != nil {
		return nil, err
	}
	return ids, nil
}
