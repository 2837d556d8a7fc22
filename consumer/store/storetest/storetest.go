// Package storetest is the conformance suite of consumer.Store: every
// implementation runs it from its own tests, against a real database.
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) storetest.OpenFunc {
//			path := filepath.Join(t.TempDir(), "consumer.db")
//			return func(ctx context.Context) (consumer.Store, error) {
//				return sqlite.Open(ctx, path, sqlite.Options{})
//			}
//		})
//	}
//
// Beyond the doc comments of consumer.Store, the suite requires that an
// empty owner and a lease that is not positive are errors, and that a call
// whose context is already cancelled fails without effect; Close may be
// called twice.
//
// The suite waits for leases of 200 ms to expire, polling for conditions
// rather than sleeping where it can: it runs in one to three seconds, its
// subtests in parallel.
//
// BenchClaimComplete is the shared body of every implementation's
// BenchmarkClaimComplete, so that their figures compare.
package storetest

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/herald-dev/herald/consumer"
)

// OpenFunc opens a Store on one subtest's state. It may be called several
// times, also concurrently and while other Stores it returned are open:
// each call returns a new handle on the same state, as another process
// would (and after Close, as a restarted process would).
type OpenFunc func(ctx context.Context) (consumer.Store, error)

// NewStateFunc prepares a new, empty state for one subtest (a new database
// file, a new schema) and returns how to open Stores on it. It registers
// the state's cleanup with t.Cleanup.
type NewStateFunc func(t *testing.T) OpenFunc

// Run runs the conformance suite. Every subtest gets its own state from
// newState and runs in parallel with the others.
func Run(t *testing.T, newState NewStateFunc) {
	tests := []struct {
		name string
		run  func(h *harness)
	}{
		{"EmptyBatches", testEmptyBatches},
		{"InvalidArguments", testInvalidArguments},
		{"CancelledContext", testCancelledContext},
		{"ClaimStates", testClaimStates},
		{"ReclaimBySameOwner", testReclaimBySameOwner},
		{"LeaseExpiryTakeover", testLeaseExpiryTakeover},
		{"CompleteByNonOwner", testCompleteByNonOwner},
		{"CompleteWithoutClaim", testCompleteWithoutClaim},
		{"Release", testRelease},
		{"Extend", testExtend},
		{"Versions", testVersions},
		{"Purge", testPurge},
		{"ConcurrentClaimers", testConcurrentClaimers},
		{"Durability", testDurability},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := &harness{t: t, ctx: t.Context(), open: newState(t)}
			h.s = h.openStore()
			tt.run(h)
		})
	}
}

// Leases of the suite: short enough to wait for, long enough that a claim
// cannot expire between two calls of one step on a loaded machine.
const (
	short = 200 * time.Millisecond
	long  = time.Minute
	// patience bounds every wait for a condition.
	patience = 10 * time.Second
)

type harness struct {
	t    *testing.T
	ctx  context.Context
	open OpenFunc
	s    consumer.Store
}

// openStore opens another handle on the subtest's state, closed at cleanup.
func (h *harness) openStore() consumer.Store {
	h.t.Helper()
	s, err := h.open(h.ctx)
	if err != nil {
		h.t.Fatalf("open: %v", err)
	}
	h.t.Cleanup(func() {
		if err := s.Close(); err != nil {
			h.t.Errorf("Close: %v", err)
		}
	})
	return s
}

// claim claims keys and fails the test on error.
func (h *harness) claim(owner string, lease time.Duration, keys ...string) []consumer.ClaimState {
	h.t.Helper()
	return claimOn(h.t, h.ctx, h.s, owner, lease, keys...)
}

func claimOn(t *testing.T, ctx context.Context, s consumer.Store, owner string, lease time.Duration, keys ...string) []consumer.ClaimState {
	t.Helper()
	got, err := s.Claim(ctx, owner, lease, keys)
	if err != nil {
		t.Fatalf("Claim(%s, %v, %q): %v", owner, lease, keys, err)
	}
	if len(got) != len(keys) {
		t.Fatalf("Claim(%s, %q) returned %d states, want %d", owner, keys, len(got), len(keys))
	}
	return got
}

// want claims keys for owner and checks the states.
func (h *harness) want(owner string, lease time.Duration, keys []string, want ...consumer.ClaimState) {
	h.t.Helper()
	wantOn(h.t, h.ctx, h.s, owner, lease, keys, want...)
}

func wantOn(t *testing.T, ctx context.Context, s consumer.Store, owner string, lease time.Duration, keys []string, want ...consumer.ClaimState) {
	t.Helper()
	if got := claimOn(t, ctx, s, owner, lease, keys...); !slices.Equal(got, want) {
		t.Fatalf("Claim(%s, %q) = %v, want %v", owner, keys, got, want)
	}
}

func (h *harness) complete(owner string, keys []string, versions ...consumer.EntityVersion) {
	h.t.Helper()
	if err := h.s.Complete(h.ctx, owner, keys, versions); err != nil {
		h.t.Fatalf("Complete(%s, %q, %v): %v", owner, keys, versions, err)
	}
}

func (h *harness) release(owner string, keys ...string) {
	h.t.Helper()
	if err := h.s.Release(h.ctx, owner, keys); err != nil {
		h.t.Fatalf("Release(%s, %q): %v", owner, keys, err)
	}
}

func (h *harness) extend(owner string, lease time.Duration, keys ...string) {
	h.t.Helper()
	if err := h.s.Extend(h.ctx, owner, lease, keys); err != nil {
		h.t.Fatalf("Extend(%s, %q): %v", owner, keys, err)
	}
}

func (h *harness) versions(entities ...string) map[string]int64 {
	h.t.Helper()
	got, err := h.s.Versions(h.ctx, entities)
	if err != nil {
		h.t.Fatalf("Versions(%q): %v", entities, err)
	}
	return got
}

func (h *harness) wantVersions(entities []string, want map[string]int64) {
	h.t.Helper()
	if got := h.versions(entities...); !maps.Equal(got, want) {
		h.t.Fatalf("Versions(%q) = %v, want %v", entities, got, want)
	}
}

// claimWhenFree claims key for owner once it is no longer Busy (an earlier
// lease expired) and returns how long that took; the key must not be Done.
func (h *harness) claimWhenFree(owner string, lease time.Duration, key string) time.Duration {
	h.t.Helper()
	start := time.Now()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		switch st := h.claim(owner, lease, key)[0]; st {
		case consumer.Claimed:
			return time.Since(start)
		case consumer.Done:
			h.t.Fatalf("Claim(%s, %q) = done while waiting for the lease to expire", owner, key)
		}
		if time.Since(start) > patience {
			h.t.Fatalf("Claim(%s, %q) still busy after %v", owner, key, patience)
		}
		select {
		case <-tick.C:
		case <-h.ctx.Done():
			h.t.Fatal(h.ctx.Err())
		}
	}
}

// waitPast waits until the lease of a claim made at (or after) start has
// certainly expired.
func (h *harness) waitPast(start time.Time, lease time.Duration) {
	h.t.Helper()
	select {
	case <-time.After(time.Until(start.Add(lease + 20*time.Millisecond))):
	case <-h.ctx.Done():
		h.t.Fatal(h.ctx.Err())
	}
}

func ev(entity string, version int64) consumer.EntityVersion {
	return consumer.EntityVersion{Entity: entity, Version: version}
}

func keys(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s-%03d", prefix, i)
	}
	return out
}

// Shorthands for the wanted states.
const (
	claimed = consumer.Claimed
	done    = consumer.Done
	busy    = consumer.Busy
)
