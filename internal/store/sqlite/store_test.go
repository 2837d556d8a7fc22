package sqlite_test

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"

	"github.com/herald-dev/herald/internal/queue"
	"github.com/herald-dev/herald/internal/store/sqlite"
	"github.com/herald-dev/herald/internal/store/storetest"
)

func open(t *testing.T, dir string) queue.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), filepath.Join(dir, "herald.db"), sqlite.Options{})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return s
}

func TestConformance(t *testing.T) {
	t.Parallel()
	storetest.Run(t, open)
}

func TestApplyAfterClose(t *testing.T) {
	t.Parallel()
	s := open(t, t.TempDir())
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	q := storetest.Queue(1)
	err := s.Apply(context.Background(), []queue.Op{{Kind: queue.OpPutQueue, Queue: &q}})
	if !errors.Is(err, sqlite.ErrClosed) {
		t.Fatalf("Apply after Close = %v, want ErrClosed", err)
	}
}

func TestInvalidOp(t *testing.T) {
	t.Parallel()
	s := open(t, t.TempDir())
	defer s.Close()
	for _, op := range []queue.Op{{Kind: 0}, {Kind: 200}, {Kind: queue.OpPutMessage}, {Kind: queue.OpPutQueue}, {Kind: queue.OpPutDedup}} {
		if err := s.Apply(context.Background(), []queue.Op{op}); err == nil {
			t.Errorf("Apply(%+v) = nil, want error", op)
		}
	}
}

func TestStats(t *testing.T) {
	t.Parallel()
	s := open(t, t.TempDir()).(*sqlite.Store)
	defer s.Close()
	q, m := storetest.Queue(1), storetest.Message(1, 1)
	ops := []queue.Op{{Kind: queue.OpPutQueue, Queue: &q}, {Kind: queue.OpPutMessage, Message: &m}}
	if err := s.Apply(context.Background(), ops); err != nil {
		t.Fatal(err)
	}
	if got, want := s.Stats(), (sqlite.Stats{Transactions: 1, Applies: 1, Ops: 2}); got != want {
		t.Fatalf("Stats = %+v, want %+v", got, want)
	}
}

func TestOpenTwiceSameFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	a := open(t, dir)
	defer a.Close()
	b := open(t, dir) // migrations already applied: must be a no-op
	defer b.Close()
	q := storetest.Queue(1)
	if err := b.Apply(context.Background(), []queue.Op{{Kind: queue.OpPutQueue, Queue: &q}}); err != nil {
		t.Fatal(err)
	}
	snap, err := a.Load(context.Background())
	if err != nil || len(snap.Queues) != 1 {
		t.Fatalf("Load from the other handle = %v, %v", snap, err)
	}
}

func TestConformanceSmallBatches(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, dir string) queue.Store {
		s, err := sqlite.Open(context.Background(), filepath.Join(dir, "herald.db"), sqlite.Options{MaxBatchOps: 2})
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		return s
	})
}

// TestGroupFailure makes one Apply fail inside the transaction (a trigger
// raises an error for its body) while many others run: every Apply that
// returned an error must have left nothing, every one that returned nil
// must be there.
func TestGroupFailure(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s, err := sqlite.Open(context.Background(), filepath.Join(dir, "herald.db"), sqlite.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	db, err := sql.Open("sqlite", filepath.Join(dir, "herald.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE TRIGGER boom BEFORE INSERT ON messages WHEN NEW.body = 'boom'
		BEGIN SELECT RAISE(ABORT, 'boom'); END`); err != nil {
		t.Fatal(err)
	}
	q := storetest.Queue(1)
	if err := s.Apply(context.Background(), []queue.Op{{Kind: queue.OpPutQueue, Queue: &q}}); err != nil {
		t.Fatal(err)
	}
	const n = 200
	errs := make([]error, n+1)
	var wg sync.WaitGroup
	for i := 1; i <= n; i++ {
		wg.Go(func() {
			m := storetest.PlainMessage(1, int64(i), "ok")
			if i%50 == 0 {
				m.Body = "boom"
			}
			// Two ops, so a failure at the second must undo the first.
			first := storetest.PlainMessage(1, int64(1000+i), "first")
			errs[i] = s.Apply(context.Background(), []queue.Op{
				{Kind: queue.OpPutMessage, Message: &first},
				{Kind: queue.OpPutMessage, Message: &m},
			})
		})
	}
	wg.Wait()
	snap, err := s.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	have := map[int64]bool{}
	for _, m := range snap.Messages {
		have[m.Seq] = true
	}
	failed := 0
	for i := 1; i <= n; i++ {
		seq := int64(i)
		switch {
		case i%50 == 0 && errs[i] == nil:
			t.Errorf("Apply %d with the failing body returned nil", i)
		case errs[i] != nil:
			failed++
			if have[seq] || have[1000+seq] {
				t.Errorf("Apply %d failed (%v) but left messages", i, errs[i])
			}
		case !have[seq] || !have[1000+seq]:
			t.Errorf("Apply %d returned nil but its messages are missing", i)
		}
	}
	if st := s.Stats(); st.Failed == 0 {
		t.Errorf("Stats.Failed = 0 after %d failed applies", failed)
	}
	t.Logf("%d of %d applies failed with their group; first: %v, last: %v", failed, n, errs[1], errs[n-1])
}

// TestCloseDrains closes the store while Applies are in flight: each returns
// nil (and is durable) or ErrClosed.
func TestCloseDrains(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := open(t, dir)
	q := storetest.Queue(1)
	if err := s.Apply(context.Background(), []queue.Op{{Kind: queue.OpPutQueue, Queue: &q}}); err != nil {
		t.Fatal(err)
	}
	const n = 100
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			m := storetest.Message(1, int64(i+1))
			errs[i] = s.Apply(context.Background(), []queue.Op{{Kind: queue.OpPutMessage, Message: &m}})
		})
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	wg.Wait()
	var want []queue.MessageRecord
	for i, err := range errs {
		switch {
		case err == nil:
			want = append(want, storetest.Message(1, int64(i+1)))
		case !errors.Is(err, sqlite.ErrClosed):
			t.Errorf("Apply during Close = %v, want nil or ErrClosed", err)
		}
	}
	s = open(t, dir)
	defer s.Close()
	snap, err := s.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	storetest.RequireMessages(t, snap, want)
}
