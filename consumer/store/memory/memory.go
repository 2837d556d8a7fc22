// Package memory is a consumer.Store held in memory: for tests, benchmarks
// and listeners that need no deduplication across restarts. It forgets
// everything when the process exits.
package memory

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/herald-dev/herald/consumer"
)

// Store is an in-memory consumer.Store, safe for concurrent use.
type Store struct {
	mu       sync.Mutex
	keys     map[string]*entry
	versions map[string]int64
	now      func() time.Time
}

type entry struct {
	done    bool
	owner   string
	expires time.Time // claim lease end, when not done
	doneAt  time.Time
}

// New returns an empty store.
func New() *Store {
	return &Store{keys: map[string]*entry{}, versions: map[string]int64{}, now: time.Now}
}

// check refuses what every store refuses: a done context, an empty owner,
// a lease that is not positive (when the call takes one).
func check(ctx context.Context, owner string, lease time.Duration, needLease bool) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if owner == "" {
		return errors.New("memory store: empty owner")
	}
	if needLease && lease <= 0 {
		return fmt.Errorf("memory store: lease %v is not positive", lease)
	}
	return nil
}

// Claim implements consumer.Store.
func (s *Store) Claim(ctx context.Context, owner string, lease time.Duration, keys []string) ([]consumer.ClaimState, error) {
	if err := check(ctx, owner, lease, true); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	out := make([]consumer.ClaimState, len(keys))
	for i, k := range keys {
		e := s.keys[k]
		switch {
		case e == nil:
			s.keys[k] = &entry{owner: owner, expires: now.Add(lease)}
			out[i] = consumer.Claimed
		case e.done:
			out[i] = consumer.Done
		case e.owner == owner || e.owner == "" || !now.Before(e.expires):
			e.owner, e.expires = owner, now.Add(lease)
			out[i] = consumer.Claimed
		default:
			out[i] = consumer.Busy
		}
	}
	return out, nil
}

// Complete implements consumer.Store.
func (s *Store) Complete(ctx context.Context, owner string, keys []string, versions []consumer.EntityVersion) error {
	if err := check(ctx, owner, 0, false); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	for _, k := range keys {
		s.keys[k] = &entry{done: true, owner: owner, doneAt: now}
	}
	for _, v := range versions {
		if cur, ok := s.versions[v.Entity]; !ok || v.Version > cur {
			s.versions[v.Entity] = v.Version
		}
	}
	return nil
}

// Release implements consumer.Store.
func (s *Store) Release(ctx context.Context, owner string, keys []string) error {
	if err := check(ctx, owner, 0, false); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, k := range keys {
		if e := s.keys[k]; e != nil && !e.done && e.owner == owner {
			delete(s.keys, k)
		}
	}
	return nil
}

// Extend implements consumer.Store.
func (s *Store) Extend(ctx context.Context, owner string, lease time.Duration, keys []string) error {
	if err := check(ctx, owner, lease, true); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	for _, k := range keys {
		if e := s.keys[k]; e != nil && !e.done && e.owner == owner && now.Before(e.expires) {
			e.expires = now.Add(lease)
		}
	}
	return nil
}

// Versions implements consumer.Store.
func (s *Store) Versions(ctx context.Context, entities []string) (map[string]int64, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int64, len(entities))
	for _, e := range entities {
		if v, ok := s.versions[e]; ok {
			out[e] = v
		}
	}
	return out, nil
}

// Purge implements consumer.Store.
func (s *Store) Purge(ctx context.Context, before time.Time) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	var n int64
	for k, e := range s.keys {
		if (e.done && e.doneAt.Before(before)) || (!e.done && !now.Before(e.expires)) {
			delete(s.keys, k)
			n++
		}
	}
	return n, nil
}

// Close implements consumer.Store; the contents are kept until the Store is
// garbage.
func (s *Store) Close() error { return nil }

var _ consumer.Store = (*Store)(nil)
