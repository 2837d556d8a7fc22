package logstore_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/herald-dev/herald/internal/queue"
	"github.com/herald-dev/herald/internal/store/logstore"
	"github.com/herald-dev/herald/internal/store/storetest"
)

// TestMaxBytes fills a store capped at 20 000 live bytes: the put that
// would pass the cap fails with queue.ErrStorageFull and applies nothing of
// its Apply (not even the deletes in it), deletes alone still succeed, and
// once they made room puts succeed again. A reopen keeps exactly what was
// acknowledged.
func TestMaxBytes(t *testing.T) {
	t.Parallel()
	const limit = 20_000
	opts := logstore.Options{MaxBytes: limit, SegmentBytes: 8192}
	dir := t.TempDir()
	s := openOpts(t, dir, opts)
	m := newModel(t, s)
	m.apply(putQ(storetest.Queue(1)))
	ctx := context.Background()
	seq := int64(0)
	var refused error
	for refused == nil {
		seq++
		if seq > 1000 {
			t.Fatalf("the cap of %d live bytes never refused a put: %+v", limit, s.Stats())
		}
		ops := []queue.Op{putM(storetest.Message(1, seq))}
		if refused = s.Apply(ctx, ops); refused == nil {
			if err := m.mem.Apply(ctx, ops); err != nil {
				t.Fatal(err)
			}
		}
		if st := s.Stats(); st.LiveBytes > limit {
			t.Fatalf("live bytes %d over the cap %d", st.LiveBytes, limit)
		}
	}
	if !errors.Is(refused, queue.ErrStorageFull) {
		t.Fatalf("put over the cap: %v, want queue.ErrStorageFull", refused)
	}
	full := seq - 1 // messages 1..full are stored
	t.Logf("%d messages fit; refusal: %v; %+v", full, refused, s.Stats())
	m.check("at the cap")

	// Nothing of a refused Apply is applied, whatever else it holds.
	for name, ops := range map[string][]queue.Op{
		"record":             {putR("topic", "t", strings.Repeat("x", 2000))},
		"delete then put":    {delM(1, 1), putM(storetest.Message(1, seq))},
		"queue and messages": {putQ(storetest.Queue(2)), putM(storetest.PlainMessage(2, seq, "a")), putM(storetest.Message(2, seq+1))},
		"dedup":              {putD(storetest.Dedup(1, strings.Repeat("k", 3000), seq, 1))},
	} {
		if err := s.Apply(ctx, ops); !errors.Is(err, queue.ErrStorageFull) {
			t.Errorf("%s over the cap: %v, want queue.ErrStorageFull", name, err)
		}
	}
	m.check("after refused Applies")

	// Deletes (and updates) always succeed, and make room.
	m.apply(updM(1, 2, 5, 6, 7))
	for q := int64(1); q <= full/2; q++ {
		m.apply(delM(1, q))
	}
	m.apply(putM(storetest.Message(1, seq)), putR("topic", "t", "fits now"))
	m.check("after deletes made room")

	s = reopen(t, s, dir, opts)
	m.s = s
	m.check("after reopen")
	// The cap holds after a reopen too: fill again until refused.
	for i := range 1000 {
		seq++
		ops := []queue.Op{putM(storetest.Message(1, seq))}
		err := s.Apply(ctx, ops)
		if err != nil {
			if !errors.Is(err, queue.ErrStorageFull) {
				t.Fatalf("put %d: %v", i, err)
			}
			break
		}
		if err := m.mem.Apply(ctx, ops); err != nil {
			t.Fatal(err)
		}
	}
	if st := s.Stats(); st.LiveBytes > limit || st.LiveBytes < limit-2000 {
		t.Errorf("after refilling, %d live bytes for a cap of %d", st.LiveBytes, limit)
	}
	m.check("refilled after reopen")
}

// TestMaxBytesConcurrent: Applies that commit in the same group as one the
// cap refuses are not failed with it.
func TestMaxBytesConcurrent(t *testing.T) {
	t.Parallel()
	const limit = 50_000
	dir := t.TempDir()
	s := openOpts(t, dir, logstore.Options{MaxBytes: limit})
	ctx := context.Background()
	mustApply(t, s, putQ(storetest.Queue(1)))
	for round := range 20 {
		var wg sync.WaitGroup
		errs := make([]error, 17)
		for g := range 17 {
			wg.Go(func() {
				seq := int64(round*100 + g + 1)
				msg := storetest.PlainMessage(1, seq, "small")
				if g == 16 { // alone bigger than the cap
					msg.Body = strings.Repeat("B", limit)
				}
				errs[g] = s.Apply(ctx, []queue.Op{putM(msg), putR("r", fmt.Sprint(seq), "v")})
			})
		}
		wg.Wait()
		for g, err := range errs[:16] {
			if err != nil {
				t.Errorf("round %d: small Apply %d failed beside the refused one: %v", round, g, err)
			}
		}
		if !errors.Is(errs[16], queue.ErrStorageFull) {
			t.Errorf("round %d: Apply over the cap: %v, want queue.ErrStorageFull", round, errs[16])
		}
	}
	st := s.Stats()
	t.Logf("%+v (%.1f applies per group)", st, float64(st.Applies)/float64(st.Commits))
	s = reopen(t, s, dir, logstore.Options{MaxBytes: limit})
	snap := mustLoad(t, s)
	if len(snap.Messages) != 20*16 || len(snap.Records) != 20*16 {
		t.Errorf("%d messages and %d records after reopen, want %d of each", len(snap.Messages), len(snap.Records), 20*16)
	}
	for _, m := range snap.Messages {
		if m.Body != "small" {
			t.Errorf("message %d of %d bytes stored", m.Seq, len(m.Body))
		}
	}
}
