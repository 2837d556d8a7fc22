package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/herald-dev/herald/consumer"
	"github.com/jackc/pgx/v5"
)

// claimSQL takes each key ($1) for owner ($2) for $3 microseconds when it
// is not done and either new, claimed by owner itself, or claimed with an
// expired lease. Every row is written (with its own values when not taken)
// so that RETURNING reports each key's state as of the row lock, including
// keys another transaction committed while this one waited. DISTINCT and
// ORDER BY make concurrent batches lock shared keys in one order.
const claimSQL = `
INSERT INTO herald_consumer_claims AS c (key, owner, done, t)
SELECT k, $2::text, false, now() + $3::float8 * interval '1 microsecond'
FROM (SELECT DISTINCT unnest($1::text[]) AS k) AS u
ORDER BY k
ON CONFLICT (key) DO UPDATE SET
    owner = CASE WHEN c.done OR (c.owner <> excluded.owner AND c.t > now()) THEN c.owner ELSE excluded.owner END,
    t     = CASE WHEN c.done OR (c.owner <> excluded.owner AND c.t > now()) THEN c.t ELSE excluded.t END
RETURNING c.key, c.done, c.owner = $2::text`

// completeSQL marks keys ($1) done by owner ($2); a key already done keeps
// its first completion time.
const completeSQL = `
INSERT INTO herald_consumer_claims AS c (key, owner, done, t)
SELECT k, $2::text, true, now()
FROM (SELECT DISTINCT unnest($1::text[]) AS k) AS u
ORDER BY k
ON CONFLICT (key) DO UPDATE SET owner = excluded.owner, done = true, t = excluded.t
WHERE NOT c.done`

// versionsSQL raises each entity's ($1) version to at least the given one
// ($2); an entity named twice gets the larger.
const versionsSQL = `
INSERT INTO herald_consumer_versions AS v (entity, version)
SELECT e, max(ver) FROM unnest($1::text[], $2::bigint[]) AS u(e, ver)
GROUP BY e
ORDER BY e
ON CONFLICT (entity) DO UPDATE SET version = excluded.version
WHERE excluded.version > v.version`

const releaseSQL = `
DELETE FROM herald_consumer_claims
WHERE key = ANY($1::text[]) AND owner = $2::text AND NOT done`

const extendSQL = `
UPDATE herald_consumer_claims SET t = now() + $3::float8 * interval '1 microsecond'
WHERE key = ANY($1::text[]) AND owner = $2::text AND NOT done AND t > now()`

// purgeSQL deletes up to $2 done keys completed before $1 and expired
// claims. The condition is repeated outside the subquery so that a row
// claimed again since the subquery read it is kept.
const purgeSQL = `
DELETE FROM herald_consumer_claims AS c
WHERE c.key IN (
    SELECT key FROM herald_consumer_claims
    WHERE (done AND t < $1) OR (NOT done AND t <= now())
    LIMIT $2)
AND ((c.done AND c.t < $1) OR (NOT c.done AND c.t <= now()))`

const versionsQuerySQL = `
SELECT entity, version FROM herald_consumer_versions WHERE entity = ANY($1::text[])`

// Claim implements consumer.Store. It returns an error for an empty owner
// or a lease that is not positive, ctx's error, or the database's. Leases
// longer than a century are cut to one.
func (s *Store) Claim(ctx context.Context, owner string, lease time.Duration, keys []string) ([]consumer.ClaimState, error) {
	if err := checkOwner(owner); err != nil {
		return nil, err
	}
	if lease <= 0 {
		return nil, fmt.Errorf("postgres: claim: lease %v is not positive", lease)
	}
	if len(keys) == 0 {
		return []consumer.ClaimState{}, s.checkOpen()
	}
	byKey := make(map[string]consumer.ClaimState, len(keys))
	err := s.do(ctx, "claim", func(c *pgx.Conn) error {
		clear(byKey)
		rows, err := c.Query(ctx, claimSQL, keys, owner, micros(lease))
		if err != nil {
			return err
		}
		var key string
		var done, mine bool
		_, err = pgx.ForEachRow(rows, []any{&key, &done, &mine}, func() error {
			switch {
			case done:
				byKey[key] = consumer.Done
			case mine:
				byKey[key] = consumer.Claimed
			default:
				byKey[key] = consumer.Busy
			}
			return nil
		})
		return err
	})
	if err != nil {
		return nil, err
	}
	states := make([]consumer.ClaimState, len(keys))
	for i, k := range keys {
		st, ok := byKey[k]
		if !ok {
			return nil, fmt.Errorf("postgres: claim: no state returned for key %q", k)
		}
		states[i] = st
	}
	return states, nil
}

// Complete implements consumer.Store, in one transaction. A key already
// done keeps its first completion time.
func (s *Store) Complete(ctx context.Context, owner string, keys []string, versions []consumer.EntityVersion) error {
	if err := checkOwner(owner); err != nil {
		return err
	}
	if len(keys) == 0 && len(versions) == 0 {
		return s.checkOpen()
	}
	entities := make([]string, len(versions))
	vs := make([]int64, len(versions))
	for i, v := range versions {
		entities[i], vs[i] = v.Entity, v.Version
	}
	return s.do(ctx, "complete", func(c *pgx.Conn) error {
		switch {
		case len(versions) == 0:
			_, err := c.Exec(ctx, completeSQL, keys, owner)
			return err
		case len(keys) == 0:
			_, err := c.Exec(ctx, versionsSQL, entities, vs)
			return err
		}
		// One round trip, one implicit transaction: keys first, then
		// entities, in every call, so that lock order is the same.
		b := &pgx.Batch{}
		b.Queue(completeSQL, keys, owner)
		b.Queue(versionsSQL, entities, vs)
		return c.SendBatch(ctx, b).Close()
	})
}

// Release implements consumer.Store.
func (s *Store) Release(ctx context.Context, owner string, keys []string) error {
	if err := checkOwner(owner); err != nil {
		return err
	}
	if len(keys) == 0 {
		return s.checkOpen()
	}
	return s.do(ctx, "release", func(c *pgx.Conn) error {
		_, err := c.Exec(ctx, releaseSQL, keys, owner)
		return err
	})
}

// Extend implements consumer.Store. A claim whose lease already expired is
// not revived, even when nobody took it over.
func (s *Store) Extend(ctx context.Context, owner string, lease time.Duration, keys []string) error {
	if err := checkOwner(owner); err != nil {
		return err
	}
	if lease <= 0 {
		return fmt.Errorf("postgres: extend: lease %v is not positive", lease)
	}
	if len(keys) == 0 {
		return s.checkOpen()
	}
	return s.do(ctx, "extend", func(c *pgx.Conn) error {
		_, err := c.Exec(ctx, extendSQL, keys, owner, micros(lease))
		return err
	})
}

// Versions implements consumer.Store.
func (s *Store) Versions(ctx context.Context, entities []string) (map[string]int64, error) {
	out := make(map[string]int64, len(entities))
	if len(entities) == 0 {
		return out, s.checkOpen()
	}
	err := s.do(ctx, "versions", func(c *pgx.Conn) error {
		clear(out)
		rows, err := c.Query(ctx, versionsQuerySQL, entities)
		if err != nil {
			return err
		}
		var e string
		var v int64
		_, err = pgx.ForEachRow(rows, []any{&e, &v}, func() error {
			out[e] = v
			return nil
		})
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// purgeChunk caps the keys one Purge statement deletes, so that a large
// purge never holds many row locks for long.
const purgeChunk = 2000

// Purge implements consumer.Store. It deletes in statements of at most
// purgeChunk keys; when it fails, the keys of the chunks before the failure
// stay removed.
func (s *Store) Purge(ctx context.Context, before time.Time) (int64, error) {
	var total int64
	for {
		var n int64
		err := s.do(ctx, "purge", func(c *pgx.Conn) error {
			tag, err := c.Exec(ctx, purgeSQL, before, purgeChunk)
			n = tag.RowsAffected()
			return err
		})
		if err != nil {
			return total, err
		}
		total += n
		if n < purgeChunk {
			return total, nil
		}
	}
}
