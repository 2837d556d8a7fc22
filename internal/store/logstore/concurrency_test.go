package logstore_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/herald-dev/herald/internal/queue"
	"github.com/herald-dev/herald/internal/store/logstore"
	"github.com/herald-dev/herald/internal/store/memstore"
	"github.com/herald-dev/herald/internal/store/storetest"
)

// TestConcurrentApplyAndLoad runs 16 writers (each a message and an
// opaque record per Apply, and every third pair deleted again in one
// Apply) while Load runs in a loop, on small segments so that the log
// rolls and compacts meanwhile. Every snapshot must show each Apply whole
// (a message with its record or neither) and every put acknowledged before
// the Load began, unless its delete was acknowledged too; at the end the
// store must equal a memstore fed the same ops, before and after a reopen.
func TestConcurrentApplyAndLoad(t *testing.T) {
	t.Parallel()
	const writers, perWriter = 16, 60
	opts := logstore.Options{SegmentBytes: 16 << 10}
	dir := t.TempDir()
	s := openOpts(t, dir, opts)
	ctx := context.Background()
	mustApply(t, s, putQ(storetest.Queue(1)))
	mem := memstore.New()
	if err := mem.Apply(ctx, []queue.Op{putQ(storetest.Queue(1))}); err != nil {
		t.Fatal(err)
	}
	seqOf := func(g, k int) int64 { return int64(g*1000 + k + 1) }
	var acked [writers]atomic.Int64 // puts 0..acked-1 of writer g are acknowledged
	var wg sync.WaitGroup
	for g := range writers {
		wg.Go(func() {
			for k := range perWriter {
				seq := seqOf(g, k)
				put := []queue.Op{
					putM(storetest.Message(1, seq)),
					putR("pair", strconv.FormatInt(seq, 10), strings.Repeat("p", int(seq%40))),
				}
				if err := s.Apply(ctx, put); err != nil {
					t.Errorf("writer %d: %v", g, err)
					return
				}
				_ = mem.Apply(ctx, put)
				if k%3 == 0 {
					del := []queue.Op{delM(1, seq), delR("pair", strconv.FormatInt(seq, 10))}
					if err := s.Apply(ctx, del); err != nil {
						t.Errorf("writer %d: %v", g, err)
						return
					}
					_ = mem.Apply(ctx, del)
				} else {
					upd := []queue.Op{updM(1, seq, int64(k), int32(k), int64(g))}
					if err := s.Apply(ctx, upd); err != nil {
						t.Errorf("writer %d: %v", g, err)
						return
					}
					_ = mem.Apply(ctx, upd)
				}
				acked[g].Store(int64(k + 1))
			}
		})
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	loads := 0
	for finished := false; !finished; {
		select {
		case <-done:
			finished = true
		default:
		}
		var before [writers]int64
		for g := range writers {
			before[g] = acked[g].Load()
		}
		snap := mustLoad(t, s)
		loads++
		msgs := map[int64]bool{}
		for _, m := range snap.Messages {
			msgs[m.Seq] = true
		}
		recs := map[int64]bool{}
		for _, r := range snap.Records {
			seq, _ := strconv.ParseInt(r.Key, 10, 64)
			recs[seq] = true
			if !msgs[seq] {
				t.Fatalf("load %d: record %d without its message: an Apply seen in part", loads, seq)
			}
		}
		for seq := range msgs {
			if !recs[seq] {
				t.Fatalf("load %d: message %d without its record: an Apply seen in part", loads, seq)
			}
		}
		for g := range writers {
			for k := range int(before[g]) {
				if k%3 != 0 && !msgs[seqOf(g, k)] {
					t.Fatalf("load %d: message %d acknowledged before the Load began is missing", loads, seqOf(g, k))
				}
				if k%3 == 0 && msgs[seqOf(g, k)] {
					t.Fatalf("load %d: message %d deleted before the Load began is present", loads, seqOf(g, k))
				}
			}
		}
	}
	st := s.Stats()
	t.Logf("%d loads during the writes; %+v (%.1f applies per group)", loads, st, float64(st.Applies)/float64(st.Commits))
	want := mustLoad(t, mem)
	requireSameSnapshot(t, "after the writes", mustLoad(t, s), want)
	s = reopen(t, s, dir, opts)
	requireSameSnapshot(t, "after reopen", mustLoad(t, s), want)
}

// TestApplyCancelled: an Apply whose context has ended applies nothing and
// says so; one cancelled while it waits behind a busy writer either
// returns nil and is durable, or returns the context's error and is not
// applied at all.
func TestApplyCancelled(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := openOpts(t, dir, logstore.Options{})
	ctx := context.Background()
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if err := s.Apply(cancelled, []queue.Op{putQ(storetest.Queue(1))}); !errors.Is(err, context.Canceled) {
		t.Fatalf("Apply with a cancelled context: %v", err)
	}
	if _, err := s.Load(cancelled); err == nil {
		// Load may win the race with the context; it must not fail otherwise.
		t.Log("Load with a cancelled context succeeded")
	}
	// A log large enough that Load (served by the writer) keeps it busy.
	big := strings.Repeat("L", 64<<10)
	for i := range 40 {
		mustApply(t, s, putR("big", strconv.Itoa(i), big))
	}
	var applied, refused atomic.Int32
	results := make([]error, 64)
	for round := range 4 {
		var wg sync.WaitGroup
		wg.Go(func() { _, _ = s.Load(ctx) }) // occupies the writer
		for i := range 16 {
			wg.Go(func() {
				c, cancel := context.WithTimeout(ctx, time.Duration(i%8)*time.Millisecond)
				defer cancel()
				results[round*16+i] = s.Apply(c, []queue.Op{putR("cancel", strconv.Itoa(round*16+i), "v")})
			})
		}
		wg.Wait()
	}
	check := func(what string) {
		snap := mustLoad(t, s)
		have := map[string]bool{}
		for _, r := range snap.Records {
			if r.Kind == "cancel" {
				have[r.Key] = true
			}
		}
		for i, err := range results {
			key := strconv.Itoa(i)
			switch {
			case err == nil && !have[key]:
				t.Errorf("%s: Apply %d returned nil but its record is missing", what, i)
			case err != nil && !errors.Is(err, context.DeadlineExceeded):
				t.Errorf("%s: Apply %d: %v", what, i, err)
			case err != nil && have[key]:
				t.Errorf("%s: Apply %d returned %v but its record is there", what, i, err)
			}
		}
	}
	for _, err := range results {
		if err == nil {
			applied.Add(1)
		} else {
			refused.Add(1)
		}
	}
	t.Logf("%d applied, %d cancelled", applied.Load(), refused.Load())
	check("before reopen")
	s = reopen(t, s, dir, logstore.Options{})
	check("after reopen")
}

// TestClose: after Close, Apply (even of no ops) and Load return ErrClosed;
// Close twice is fine; Applies racing Close either commit durably or
// return ErrClosed.
func TestClose(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s, err := logstore.Open(context.Background(), dir, logstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	mustApply(t, s, putQ(storetest.Queue(1)))
	results := make([]error, 64)
	var wg sync.WaitGroup
	for i := range results {
		wg.Go(func() {
			if i == 32 {
				if err := s.Close(); err != nil {
					t.Errorf("Close: %v", err)
				}
			}
			results[i] = s.Apply(ctx, []queue.Op{putM(storetest.PlainMessage(1, int64(i+1), "x"))})
		})
	}
	wg.Wait()
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if err := s.Apply(ctx, []queue.Op{putQ(storetest.Queue(2))}); !errors.Is(err, logstore.ErrClosed) {
		t.Errorf("Apply after Close: %v, want ErrClosed", err)
	}
	if err := s.Apply(ctx, nil); !errors.Is(err, logstore.ErrClosed) {
		t.Errorf("empty Apply after Close: %v, want ErrClosed", err)
	}
	if _, err := s.Load(ctx); !errors.Is(err, logstore.ErrClosed) {
		t.Errorf("Load after Close: %v, want ErrClosed", err)
	}
	s2 := openOpts(t, dir, logstore.Options{})
	have := map[int64]bool{}
	for _, m := range mustLoad(t, s2).Messages {
		have[m.Seq] = true
	}
	closed := 0
	for i, err := range results {
		switch {
		case err == nil && !have[int64(i+1)]:
			t.Errorf("Apply %d returned nil before Close but is missing after reopen", i)
		case err != nil && !errors.Is(err, logstore.ErrClosed):
			t.Errorf("Apply %d: %v", i, err)
		case err != nil && have[int64(i+1)]:
			t.Errorf("Apply %d returned %v but is there after reopen", i, err)
		case err != nil:
			closed++
		}
	}
	t.Logf("%d of %d Applies racing Close got ErrClosed", closed, len(results))
}

// TestOpenLocked: a directory is open in one Store at a time.
func TestOpenLocked(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := openOpts(t, dir, logstore.Options{})
	mustApply(t, s, putQ(storetest.Queue(1)))
	if s2, err := logstore.Open(context.Background(), dir, logstore.Options{}); err == nil {
		_ = s2.Close()
		t.Fatal("a second Open of an open directory succeeded")
	} else {
		t.Logf("second Open: %v", err)
	}
	// The failed Open took nothing away from the first.
	mustApply(t, s, putQ(storetest.Queue(2)))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openOpts(t, dir, logstore.Options{})
	if n := len(mustLoad(t, s).Queues); n != 2 {
		t.Errorf("%d queues after reopen, want 2", n)
	}
}

// TestInvalidOps: an Apply holding an invalid op fails before anything of
// it is applied; the store's internal op kind is refused too; negative
// options are refused by Open.
func TestInvalidOps(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := openOpts(t, dir, logstore.Options{})
	m := newModel(t, s)
	m.apply(putQ(storetest.Queue(1)))
	for name, op := range map[string]queue.Op{
		"put message without message": {Kind: queue.OpPutMessage},
		"put queue without queue":     {Kind: queue.OpPutQueue},
		"put record without record":   {Kind: queue.OpPutRecord},
		"kind 0":                      {Kind: 0},
		"kind 100 (the meta kind)":    {Kind: 100, Seq: 1 << 40, QueueID: 1 << 40},
		"kind 200":                    {Kind: 200},
	} {
		err := s.Apply(context.Background(), []queue.Op{putM(storetest.Message(1, 1)), op})
		if err == nil {
			t.Errorf("%s: Apply succeeded", name)
		}
	}
	m.check("after invalid Applies")
	m.s = reopen(t, s, dir, logstore.Options{})
	m.check("after reopen")
	for _, o := range []logstore.Options{{SegmentBytes: -1}, {MaxBytes: -1}, {MaxBatchOps: -1}} {
		if s, err := logstore.Open(context.Background(), t.TempDir(), o); err == nil {
			_ = s.Close()
			t.Errorf("Open with %+v succeeded", o)
		}
	}
}

// TestMaxBatchOps: with a cap of 5 ops per group, concurrent Applies still
// all commit (one larger than the cap alone), and the groups respect the
// cap.
func TestMaxBatchOps(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := openOpts(t, dir, logstore.Options{MaxBatchOps: 5})
	mustApply(t, s, putQ(storetest.Queue(1)))
	var wg sync.WaitGroup
	for g := range 20 {
		wg.Go(func() {
			n := 2
			if g == 7 {
				n = 12 // larger than the cap: commits alone
			}
			ops := make([]queue.Op, n)
			for i := range ops {
				ops[i] = putM(storetest.PlainMessage(1, int64(g*100+i+1), fmt.Sprint(g)))
			}
			if err := s.Apply(context.Background(), ops); err != nil {
				t.Errorf("Apply %d: %v", g, err)
			}
		})
	}
	wg.Wait()
	st := s.Stats()
	if st.Applies != 21 || st.Ops != 19*2+12+1 {
		t.Errorf("stats %+v, want 21 applies of 51 ops", st)
	}
	// 50 ops in groups of at most 5 (the 12 alone): at least 10 groups.
	if st.Commits < 10 {
		t.Errorf("%d commits for 51 ops with a cap of 5 per group", st.Commits)
	}
	s = reopen(t, s, dir, logstore.Options{})
	if n := len(mustLoad(t, s).Messages); n != 50 {
		t.Errorf("%d messages after reopen, want 50", n)
	}
}
