package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/herald-dev/herald/publisher"
	"github.com/herald-dev/herald/publisher/store"
	"github.com/jackc/pgx/v5"
)

// appendSQL stores a batch of events and their deliveries in one
// statement. $1-$9 are the events' columns (idempotency key "" for none),
// $10-$12 the deliveries' ids, event ids and subscription ids, $13 the
// time they are created and due.
//
// keys inserts the idempotency keys first (in key order); a key another
// transaction holds makes it wait for that one's outcome. fresh is the
// events whose key was free (or that have none), each with its rank among
// the batch's events of its entity and their count n; fresh's hashed
// subplan reads all of keys before any counter is touched, so every
// Append locks keys, then counters, each in key order. seqs raises each
// entity's counter by n and returns the new value, the last number of the
// entity's events in this batch.
const appendSQL = `
WITH input AS (
    SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
                         $7::timestamptz[], $8::bytea[], $9::text[])
        WITH ORDINALITY AS i(id, tenant, entity_type, entity_id, event_type, status, occurred_at, data, idem_key, ord)
), keys AS (
    INSERT INTO herald_pub_idempotency (tenant, idem_key, event_id)
    SELECT tenant, idem_key, id FROM input WHERE idem_key <> '' ORDER BY tenant, idem_key
    ON CONFLICT DO NOTHING
    RETURNING event_id
), fresh AS (
    SELECT input.*,
           row_number() OVER (PARTITION BY tenant, entity_type, entity_id ORDER BY ord) AS rank,
           count(*) OVER (PARTITION BY tenant, entity_type, entity_id) AS n
    FROM input
    WHERE idem_key = '' OR id IN (SELECT event_id FROM keys)
), seqs AS (
    INSERT INTO herald_pub_sequences AS s (tenant, entity_type, entity_id, seq)
    SELECT tenant, entity_type, entity_id, count(*) FROM fresh
    GROUP BY tenant, entity_type, entity_id
    ORDER BY tenant, entity_type, entity_id
    ON CONFLICT (tenant, entity_type, entity_id) DO UPDATE SET seq = s.seq + excluded.seq
    RETURNING tenant, entity_type, entity_id, seq
), events AS (
    INSERT INTO herald_pub_events (id, tenant, entity_type, entity_id, event_type, status, occurred_at, sequence, data)
    SELECT f.id, f.tenant, f.entity_type, f.entity_id, f.event_type, f.status, f.occurred_at,
           seqs.seq - f.n + f.rank, f.data
    FROM fresh f JOIN seqs USING (tenant, entity_type, entity_id)
    RETURNING id, tenant, entity_type, entity_id, sequence
), deliveries AS (
    INSERT INTO herald_pub_deliveries (id, event_id, subscription_id, tenant, entity_type, entity_id, sequence,
                                       state, next_attempt_at, created_at, updated_at)
    SELECT d.id, d.event_id, d.subscription_id, e.tenant, e.entity_type, e.entity_id, e.sequence,
           'pending', $13, $13, $13
    FROM unnest($10::text[], $11::text[], $12::text[]) AS d(id, event_id, subscription_id)
    JOIN events e ON e.id = d.event_id
)
SELECT id, sequence FROM events`

// eventColumns are the columns scanEvent reads, for a table aliased e.
const eventColumns = `e.id, e.tenant, e.entity_type, e.entity_id, e.event_type, e.status, e.occurred_at, e.sequence, e.data`

// duplicatesSQL returns, for each idempotency key given ($1 tenants, $2
// keys, $3 the ids of the events that carry them), the event stored
// under it when that is another event; ord is the key's position.
const duplicatesSQL = `
SELECT x.ord, ` + eventColumns + `
FROM unnest($1::text[], $2::text[], $3::text[]) WITH ORDINALITY AS x(tenant, idem_key, id, ord)
JOIN herald_pub_idempotency k ON k.tenant = x.tenant AND k.idem_key = x.idem_key
JOIN herald_pub_events e ON e.id = k.event_id
WHERE e.id <> x.id`

// appendBatch is an Append call laid out as appendSQL's arrays.
type appendBatch struct {
	ids, tenants, types, entities, eventTypes, statuses, keys []string
	occurred                                                  []time.Time
	data                                                      [][]byte
	dIDs, dEvents, dSubs                                      []string
	// sent are the indexes (into the call's events) of the events sent.
	sent []int
	// keyed are the indexes of the sent events that have a key.
	keyed []int
}

type idemKey struct{ tenant, key string }

// Append implements store.Store. Within one call, an event whose key an
// earlier event used is a duplicate of that event and is not sent.
func (s *Store) Append(ctx context.Context, events []store.NewEvent) ([]store.Appended, error) {
	if len(events) == 0 {
		return nil, s.checkOpen("append")
	}
	var b appendBatch
	firstWithKey := make(map[idemKey]int)
	dupOf := make([]int, len(events)) // index of the earlier event with the same key, or -1
	for i, ne := range events {
		dupOf[i] = -1
		ev := ne.Event
		if ev == nil {
			return nil, fmt.Errorf("postgres: append: event %d is nil", i)
		}
		if len(ne.Subscriptions) != len(ne.DeliveryIDs) {
			return nil, fmt.Errorf("postgres: append: event %d has %d subscriptions but %d delivery ids",
				i, len(ne.Subscriptions), len(ne.DeliveryIDs))
		}
		if ne.IdempotencyKey != "" {
			k := idemKey{ev.Tenant, ne.IdempotencyKey}
			if j, ok := firstWithKey[k]; ok {
				dupOf[i] = j
				continue
			}
			firstWithKey[k] = i
			b.keyed = append(b.keyed, i)
		}
		b.sent = append(b.sent, i)
		b.ids = append(b.ids, ev.ID)
		b.tenants = append(b.tenants, ev.Tenant)
		b.types = append(b.types, ev.EntityType)
		b.entities = append(b.entities, ev.EntityID)
		b.eventTypes = append(b.eventTypes, ev.Type)
		b.statuses = append(b.statuses, ev.Status)
		b.occurred = append(b.occurred, ev.OccurredAt)
		var data []byte
		if len(ev.Data) > 0 {
			data = ev.Data
		}
		b.data = append(b.data, data)
		b.keys = append(b.keys, ne.IdempotencyKey)
		for j, sub := range ne.Subscriptions {
			b.dIDs = append(b.dIDs, ne.DeliveryIDs[j])
			b.dEvents = append(b.dEvents, ev.ID)
			b.dSubs = append(b.dSubs, sub)
		}
	}

	var (
		seqs  map[string]int64
		dups  map[int]*publisher.Event // by index into events
		owned []int                    // keyed events stored before under their own id
	)
	err := s.run(ctx, "append", write, func(c *pgx.Conn) error {
		var err error
		seqs, dups, owned, err = s.appendOnce(ctx, c, events, &b)
		return err
	})
	if err != nil {
		return nil, err
	}
	// An event sent again under its key and its own id (a retried call
	// whose first try committed) is its own duplicate.
	for _, i := range owned {
		ev, err := s.GetEvent(ctx, events[i].Event.ID)
		if err != nil {
			return nil, fmt.Errorf("postgres: append: %w", err)
		}
		dups[i] = ev
	}

	out := make([]store.Appended, len(events))
	for _, i := range b.sent {
		ev := events[i].Event
		if dup, ok := dups[i]; ok {
			out[i] = store.Appended{Event: dup, Duplicate: true}
			continue
		}
		ev.Sequence = seqs[ev.ID]
		out[i] = store.Appended{Event: ev}
	}
	for i, j := range dupOf {
		if j >= 0 {
			first := *out[j].Event
			out[i] = store.Appended{Event: &first, Duplicate: true}
		}
	}
	return out, nil
}

// appendOnce runs appendSQL, and duplicatesSQL when some events have keys,
// in one pipelined batch, which the server runs as one transaction. It
// returns the stored events' sequence numbers by id, and the stored event
// of each duplicate found, by index into events; owned lists the keyed
// events stored before under their own id.
func (s *Store) appendOnce(ctx context.Context, c *pgx.Conn, events []store.NewEvent, b *appendBatch) (
	seqs map[string]int64, dups map[int]*publisher.Event, owned []int, err error) {
	now := time.Now()
	batch := &pgx.Batch{}
	batch.Queue(appendSQL, b.ids, b.tenants, b.types, b.entities, b.eventTypes, b.statuses,
		b.occurred, b.data, b.keys, b.dIDs, b.dEvents, b.dSubs, now)
	if len(b.keyed) > 0 {
		tenants := make([]string, len(b.keyed))
		keys := make([]string, len(b.keyed))
		ids := make([]string, len(b.keyed))
		for j, i := range b.keyed {
			tenants[j], keys[j], ids[j] = events[i].Event.Tenant, events[i].IdempotencyKey, events[i].Event.ID
		}
		batch.Queue(duplicatesSQL, tenants, keys, ids)
	}
	res := c.SendBatch(ctx, batch)
	defer func() {
		if cerr := res.Close(); err == nil && cerr != nil {
			err = cerr
		}
	}()

	seqs = make(map[string]int64, len(b.ids))
	rows, err := res.Query()
	if err != nil {
		return nil, nil, nil, err
	}
	for rows.Next() {
		var id string
		var seq int64
		if err := rows.Scan(&id, &seq); err != nil {
			rows.Close()
			return nil, nil, nil, err
		}
		seqs[id] = seq
	}
	if err := rows.Err(); err != nil {
		return nil, nil, nil, err
	}

	dups = make(map[int]*publisher.Event)
	if len(b.keyed) > 0 {
		rows, err := res.Query()
		if err != nil {
			return nil, nil, nil, err
		}
		for rows.Next() {
			var ord int
			var ev publisher.Event
			if err := rows.Scan(append([]any{&ord}, eventDest(&ev)...)...); err != nil {
				rows.Close()
				return nil, nil, nil, err
			}
			fixEvent(&ev)
			dups[b.keyed[ord-1]] = &ev
		}
		if err := rows.Err(); err != nil {
			return nil, nil, nil, err
		}
	}
	for _, i := range b.sent {
		id := events[i].Event.ID
		if _, stored := seqs[id]; stored {
			continue
		}
		if _, dup := dups[i]; dup {
			continue
		}
		if events[i].IdempotencyKey == "" {
			return nil, nil, nil, fmt.Errorf("event %q was not stored", id)
		}
		owned = append(owned, i)
	}
	return seqs, dups, owned, nil
}

// eventDest returns the scan destinations of eventColumns.
func eventDest(ev *publisher.Event) []any {
	return []any{&ev.ID, &ev.Tenant, &ev.EntityType, &ev.EntityID, &ev.Type, &ev.Status,
		&ev.OccurredAt, &ev.Sequence, &ev.Data}
}

// fixEvent normalizes a scanned event: times in UTC, no data as nil.
func fixEvent(ev *publisher.Event) {
	ev.OccurredAt = utc(ev.OccurredAt)
	if len(ev.Data) == 0 {
		ev.Data = nil
	}
}

// GetEvent implements store.Store.
func (s *Store) GetEvent(ctx context.Context, id string) (*publisher.Event, error) {
	ev := new(publisher.Event)
	err := s.run(ctx, "get event", read, func(c *pgx.Conn) error {
		err := c.QueryRow(ctx, `SELECT `+eventColumns+` FROM herald_pub_events e WHERE e.id = $1`, id).
			Scan(eventDest(ev)...)
		if errors.Is(err, pgx.ErrNoRows) {
			return notFound("event", id)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	fixEvent(ev)
	return ev, nil
}

// ListEvents implements store.Store.
func (s *Store) ListEvents(ctx context.Context, f store.EventFilter) ([]*publisher.Event, error) {
	var q query
	q.sql.WriteString(`SELECT ` + eventColumns + ` FROM herald_pub_events e`)
	if f.Tenant != "" {
		q.where("e.tenant =", f.Tenant)
	}
	if f.EntityType != "" {
		q.where("e.entity_type =", f.EntityType)
	}
	if f.EntityID != "" {
		q.where("e.entity_id =", f.EntityID)
	}
	if !f.From.IsZero() {
		q.where("e.occurred_at >=", f.From)
	}
	if !f.To.IsZero() {
		q.where("e.occurred_at <", f.To)
	}
	if f.After != "" {
		q.where("e.id >", f.After)
	}
	q.orderLimit("e.id", f.Limit)
	var out []*publisher.Event
	err := s.run(ctx, "list events", read, func(c *pgx.Conn) error {
		out = out[:0]
		rows, err := c.Query(ctx, q.sql.String(), q.args...)
		if err != nil {
			return err
		}
		for rows.Next() {
			ev := new(publisher.Event)
			if err := rows.Scan(eventDest(ev)...); err != nil {
				rows.Close()
				return err
			}
			fixEvent(ev)
			out = append(out, ev)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
