package storetest

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/herald-dev/herald/consumer"
)

func testEmptyBatches(h *harness) {
	h.want("A", long, nil)
	h.want("A", long, []string{})
	h.complete("A", nil)
	h.complete("A", []string{}, []consumer.EntityVersion{}...)
	h.release("A")
	h.extend("A", long)
	if got := h.versions(); len(got) != 0 {
		h.t.Fatalf("Versions() = %v, want empty", got)
	}
	if got, err := h.s.Versions(h.ctx, nil); err != nil || got == nil || len(got) != 0 {
		h.t.Fatalf("Versions(nil) = %v, %v; want an empty map", got, err)
	}
	if n, err := h.s.Purge(h.ctx, time.Now()); err != nil || n != 0 {
		h.t.Fatalf("Purge on an empty store = %d, %v; want 0, nil", n, err)
	}
	// Versions alone, no keys.
	h.complete("A", nil, ev("e", 3))
	h.wantVersions([]string{"e"}, map[string]int64{"e": 3})
}

func testInvalidArguments(h *harness) {
	ctx, s, k := h.ctx, h.s, []string{"k"}
	for _, tt := range []struct {
		name string
		call func() error
	}{
		{"Claim empty owner", func() error { _, err := s.Claim(ctx, "", long, k); return err }},
		{"Claim zero lease", func() error { _, err := s.Claim(ctx, "A", 0, k); return err }},
		{"Claim negative lease", func() error { _, err := s.Claim(ctx, "A", -time.Second, k); return err }},
		{"Complete empty owner", func() error { return s.Complete(ctx, "", k, nil) }},
		{"Release empty owner", func() error { return s.Release(ctx, "", k) }},
		{"Extend empty owner", func() error { return s.Extend(ctx, "", long, k) }},
		{"Extend zero lease", func() error { return s.Extend(ctx, "A", 0, k) }},
	} {
		if err := tt.call(); err == nil {
			h.t.Errorf("%s: no error", tt.name)
		}
	}
	// None of them did anything.
	h.want("B", long, k, claimed)
}

func testCancelledContext(h *harness) {
	ctx, cancel := context.WithCancel(h.ctx)
	cancel()
	if _, err := h.s.Claim(ctx, "A", long, []string{"a"}); err == nil {
		h.t.Fatal("Claim with a cancelled context: no error")
	}
	if err := h.s.Complete(ctx, "A", []string{"b"}, []consumer.EntityVersion{ev("e", 1)}); err == nil {
		h.t.Fatal("Complete with a cancelled context: no error")
	}
	h.want("B", long, []string{"a", "b"}, claimed, claimed)
	h.wantVersions([]string{"e"}, map[string]int64{})
}

func testClaimStates(h *harness) {
	h.want("A", long, []string{"a", "b"}, claimed, claimed)
	h.want("B", long, []string{"a", "b", "c"}, busy, busy, claimed)
	h.complete("A", []string{"a"})
	h.want("B", long, []string{"a", "b", "c"}, done, busy, claimed)
	h.want("A", long, []string{"a", "b", "c"}, done, claimed, busy)
	h.complete("B", []string{"c"})
	h.complete("A", []string{"b"})
	for _, owner := range []string{"A", "B", "C"} {
		h.want(owner, long, []string{"c", "b", "a"}, done, done, done)
	}
	// Keys are opaque text.
	odd := []string{"", " ", "ünïcödé ☃", "with'quote", "with\"dq", `back\slash`, "percent%_", strings.Repeat("long", 100)}
	states := make([]consumer.ClaimState, len(odd))
	h.want("A", long, odd, states...) // all Claimed (the zero ClaimState)
	h.complete("A", odd)
	for i := range states {
		states[i] = done
	}
	h.want("B", long, odd, states...)
}

func testReclaimBySameOwner(h *harness) {
	start := time.Now()
	h.want("A", short, []string{"a"}, claimed)
	// Re-claiming renews the lease: a long one now holds past the short one.
	h.want("A", long, []string{"a"}, claimed)
	h.waitPast(start, short)
	h.want("B", long, []string{"a"}, busy)
	h.want("A", long, []string{"a"}, claimed)
}

func testLeaseExpiryTakeover(h *harness) {
	start := time.Now()
	h.want("A", short, []string{"a", "b"}, claimed, claimed)
	h.want("B", long, []string{"a"}, busy)
	if took := h.claimWhenFree("B", long, "a"); time.Since(start) < short {
		h.t.Fatalf("B took over after %v, before A's lease of %v expired", took, short)
	}
	// The old owner's claim is gone; the new owner's holds.
	h.want("A", long, []string{"a"}, busy)
	h.want("C", long, []string{"a"}, busy)
	// A's expired claim on b is taken by A itself as well.
	h.want("A", long, []string{"b"}, claimed)
	h.want("C", long, []string{"b"}, busy)
}

func testCompleteByNonOwner(h *harness) {
	h.want("A", short, []string{"a"}, claimed)
	h.claimWhenFree("B", long, "a")
	// A finishes its work late, after B took the key over: still done.
	h.complete("A", []string{"a"}, ev("e", 5))
	h.want("B", long, []string{"a"}, done)
	h.want("C", long, []string{"a"}, done)
	// B then completes too; nothing changes, the version is not lowered.
	h.complete("B", []string{"a"}, ev("e", 4))
	h.want("C", long, []string{"a"}, done)
	h.wantVersions([]string{"e"}, map[string]int64{"e": 5})
	// A Release after Complete does not undo it.
	h.release("A", "a")
	h.release("B", "a")
	h.want("C", long, []string{"a"}, done)
}

func testCompleteWithoutClaim(h *harness) {
	h.complete("A", []string{"a"})
	h.want("A", long, []string{"a"}, done)
	h.want("B", long, []string{"a"}, done)
	// Completing a key another owner holds live marks it done as well.
	h.want("B", long, []string{"b"}, claimed)
	h.complete("A", []string{"b"})
	h.want("B", long, []string{"b"}, done)
}

func testRelease(h *harness) {
	h.want("A", long, []string{"a", "b"}, claimed, claimed)
	// Not B's: left alone.
	h.release("B", "a", "b")
	h.want("C", long, []string{"a", "b"}, busy, busy)
	h.release("A", "a", "never-claimed")
	h.want("C", long, []string{"a", "b", "never-claimed"}, claimed, busy, claimed)
	// Released keys are free for the releasing owner too.
	h.release("C", "a")
	h.want("A", long, []string{"a"}, claimed)
}

func testExtend(h *harness) {
	start := time.Now()
	h.want("A", short, []string{"a", "b"}, claimed, claimed)
	xStart := time.Now()
	h.want("A", short, []string{"x"}, claimed)
	h.extend("B", long, "a", "b") // not B's: no effect
	h.extend("A", long, "a", "not-claimed")
	h.claimWhenFree("C", short, "b") // b expires as leased
	if time.Since(start) < short {
		h.t.Fatalf("b was taken %v after its claim, before its lease of %v", time.Since(start), short)
	}
	h.want("C", long, []string{"a", "not-claimed"}, busy, claimed)

	// A's lease on x expired unclaimed: Extend does not revive it.
	h.waitPast(xStart, short)
	h.extend("A", long, "x")
	h.want("C", long, []string{"x"}, claimed)

	// A's Extend on b, now C's, does not lengthen C's short lease.
	takeover := time.Now()
	h.want("C", short, []string{"b"}, claimed)
	h.extend("A", long, "b")
	h.claimWhenFree("D", long, "b")
	if time.Since(takeover) < short {
		h.t.Fatal("b was taken before C's lease expired")
	}

	// Extending a done key does not undo it.
	h.complete("A", []string{"a"})
	h.extend("A", long, "a")
	h.want("C", long, []string{"a"}, done)
}

func testVersions(h *harness) {
	h.wantVersions([]string{"e1"}, map[string]int64{})
	h.complete("A", []string{"k1"}, ev("e1", 5), ev("e2", 3))
	h.wantVersions([]string{"e1", "e2", "e3"}, map[string]int64{"e1": 5, "e2": 3})
	// Never lowered, raised by a newer version.
	h.complete("A", []string{"k2"}, ev("e1", 4))
	h.wantVersions([]string{"e1"}, map[string]int64{"e1": 5})
	h.complete("A", []string{"k3"}, ev("e1", 7), ev("e2", 3))
	h.wantVersions([]string{"e1", "e2"}, map[string]int64{"e1": 7, "e2": 3})
	// One entity several times in a call: the newest wins.
	h.complete("A", nil, ev("dup", 3), ev("dup", 8), ev("dup", 5))
	h.wantVersions([]string{"dup"}, map[string]int64{"dup": 8})
	// Zero, negative and extreme versions are versions like any other.
	now := time.Now().UnixNano()
	h.complete("A", nil, ev("zero", 0), ev("neg", -5), ev("min", math.MinInt64), ev("max", math.MaxInt64), ev("time", now))
	h.complete("A", nil, ev("neg", -9), ev("max", 0), ev("time", now-1))
	h.wantVersions([]string{"zero", "neg", "min", "max", "time", "absent"},
		map[string]int64{"zero": 0, "neg": -5, "min": math.MinInt64, "max": math.MaxInt64, "time": now})
	// Entity names are opaque text.
	odd := []string{"", "ünï ☃", "it's", `a"b`, "%_"}
	want := map[string]int64{}
	var evs []consumer.EntityVersion
	for i, e := range odd {
		evs = append(evs, ev(e, int64(i+10)))
		want[e] = int64(i + 10)
	}
	h.complete("A", nil, evs...)
	h.wantVersions(odd, want)
	// A large batch in one call.
	many := keys("entity", 500)
	evs = evs[:0]
	want = map[string]int64{}
	for i, e := range many {
		evs = append(evs, ev(e, int64(i)))
		want[e] = int64(i)
	}
	h.complete("A", keys("key", 500), evs...)
	h.wantVersions(many, want)
}

func testPurge(h *harness) {
	h.complete("A", []string{"old1", "old2"}, ev("e", 9))
	h.want("A", long, []string{"old-claim"}, claimed)
	start := time.Now()
	h.want("B", short, []string{"expired"}, claimed)
	h.waitPast(start, short)
	cutoff := time.Now()
	// Completions after the cutoff must have later times, even on a clock
	// of microseconds.
	h.waitPast(cutoff, time.Millisecond)
	h.complete("A", []string{"new"})
	h.want("C", long, []string{"live"}, claimed)

	n, err := h.s.Purge(h.ctx, cutoff)
	if err != nil {
		h.t.Fatalf("Purge: %v", err)
	}
	if n != 3 {
		h.t.Errorf("Purge removed %d keys, want 3 (old1, old2, expired)", n)
	}
	h.want("D", long, []string{"old1", "old2", "expired", "new", "live", "old-claim"},
		claimed, claimed, claimed, done, busy, busy)
	h.wantVersions([]string{"e"}, map[string]int64{"e": 9})
	// Purging again finds nothing more to do (every claim is live).
	if n, err := h.s.Purge(h.ctx, cutoff); err != nil || n != 0 {
		h.t.Errorf("second Purge = %d, %v; want 0, nil", n, err)
	}
	// Everything done so far is before a cutoff in the future.
	h.complete("D", []string{"old1"})
	if n, err := h.s.Purge(h.ctx, time.Now().Add(time.Hour)); err != nil || n != 2 {
		h.t.Errorf("Purge(now+1h) = %d, %v; want 2 (new, old1), nil", n, err)
	}
	h.want("E", long, []string{"new", "old1"}, claimed, claimed)
	// The zero time purges no done key.
	h.complete("E", []string{"new"})
	if n, err := h.s.Purge(h.ctx, time.Time{}); err != nil || n != 0 {
		h.t.Errorf("Purge(zero time) = %d, %v; want 0, nil", n, err)
	}

	// A purge larger than the implementations' chunks of 2000 keys.
	many := keys("bulk", 4500)
	for c := range slices.Chunk(many, 500) {
		h.complete("A", c)
	}
	if n, err := h.s.Purge(h.ctx, time.Now().Add(time.Hour)); err != nil || n != int64(len(many))+1 {
		h.t.Errorf("bulk Purge = %d, %v; want %d", n, err, len(many)+1)
	}
}

// testConcurrentClaimers races many owners, on two Store handles, for the
// same keys, each naming them in its own order: every key has exactly one
// winner, and once the winners completed, every claimer sees done.
func testConcurrentClaimers(h *harness) {
	const claimers = 32
	stores := []consumer.Store{h.s, h.openStore()}
	ks := keys("race", 10)
	results := make([][]consumer.ClaimState, claimers)
	run := func(f func(i int) error) {
		var wg sync.WaitGroup
		start := make(chan struct{})
		errs := make(chan error, claimers)
		for i := range claimers {
			wg.Go(func() {
				<-start
				if err := f(i); err != nil {
					errs <- err
				}
			})
		}
		close(start)
		wg.Wait()
		close(errs)
		for err := range errs {
			h.t.Fatal(err)
		}
	}
	order := func(i int) []string {
		o := slices.Clone(ks)
		for j := range o { // a different order per claimer
			k := (j*7 + i) % len(o)
			o[j], o[k] = o[k], o[j]
		}
		return o
	}
	run(func(i int) error {
		o := order(i)
		got, err := stores[i%2].Claim(h.ctx, fmt.Sprint("owner-", i), long, o)
		if err != nil {
			return fmt.Errorf("claimer %d: %w", i, err)
		}
		results[i] = make([]consumer.ClaimState, len(ks))
		for j, k := range o {
			results[i][slices.Index(ks, k)] = got[j]
		}
		return nil
	})
	winners := make([]int, len(ks))
	for j, k := range ks {
		n := 0
		for i := range claimers {
			switch results[i][j] {
			case claimed:
				n++
				winners[j] = i
			case busy:
			default:
				h.t.Errorf("key %s: claimer %d got %v", k, i, results[i][j])
			}
		}
		if n != 1 {
			h.t.Errorf("key %s: %d claimers won, want exactly 1", k, n)
		}
	}
	if h.t.Failed() {
		return
	}
	run(func(i int) error {
		var mine []string
		for j, k := range ks {
			if winners[j] == i {
				mine = append(mine, k)
			}
		}
		return stores[i%2].Complete(h.ctx, fmt.Sprint("owner-", i), mine, []consumer.EntityVersion{ev("e", int64(i))})
	})
	run(func(i int) error {
		got, err := stores[(i+1)%2].Claim(h.ctx, fmt.Sprint("late-", i), long, order(i))
		if err != nil {
			return err
		}
		for j, st := range got {
			if st != done {
				return fmt.Errorf("late claimer %d: key %d is %v, want done", i, j, st)
			}
		}
		return nil
	})
	h.wantVersions([]string{"e"}, map[string]int64{"e": claimers - 1})
}

// testDurability closes the store and opens it again: claims, completions
// and versions are all still there. A second handle open at the same time
// sees them too.
func testDurability(h *harness) {
	h.want("A", long, []string{"live", "released"}, claimed, claimed)
	h.release("A", "released")
	h.complete("A", []string{"done"}, ev("e", 42))
	other := h.openStore()
	wantOn(h.t, h.ctx, other, "B", long, []string{"live", "done"}, busy, done)
	if err := h.s.Close(); err != nil {
		h.t.Fatalf("Close: %v", err)
	}
	h.s = h.openStore()
	h.want("B", long, []string{"live", "done", "released"}, busy, done, claimed)
	h.want("A", long, []string{"live"}, claimed)
	h.wantVersions([]string{"e"}, map[string]int64{"e": 42})
	wantOn(h.t, h.ctx, other, "C", long, []string{"released"}, busy)
}
