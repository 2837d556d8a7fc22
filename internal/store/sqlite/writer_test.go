package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/herald-dev/herald/internal/queue"
	"github.com/herald-dev/herald/internal/store/storetest"
)

// waitPending waits until n Apply calls are pending, not yet taken.
func waitPending(t *testing.T, s *Store, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := s.q.Len()
		if got == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d pending applies, want %d", got, n)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestApplyCancelledWhileWaiting blocks the writer behind another
// connection's write lock, cancels an Apply queued behind it, and checks
// that the cancelled ops are never applied while the blocked ones are.
func TestApplyCancelledWhileWaiting(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "herald.db")
	ctx := context.Background()
	s, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	q := storetest.Queue(1)
	if err := s.Apply(ctx, []queue.Op{{Kind: queue.OpPutQueue, Queue: &q}}); err != nil {
		t.Fatal(err)
	}

	other, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	lock, err := other.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()
	if _, err := lock.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}

	m1, m2, m3 := storetest.Message(1, 1), storetest.Message(1, 2), storetest.Message(1, 3)
	first := &request{ops: []queue.Op{{Kind: queue.OpPutMessage, Message: &m1}}}
	if err := s.q.Enqueue(first); err != nil {
		t.Fatal(err)
	}
	waitPending(t, s, 0)
	// The writer took the first request and now waits for the lock.

	cctx, cancel := context.WithCancel(ctx)
	second := make(chan error, 1)
	go func() { second <- s.Apply(cctx, []queue.Op{{Kind: queue.OpPutMessage, Message: &m2}}) }()
	waitPending(t, s, 1)
	cancel()
	if err := <-second; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled Apply = %v, want context.Canceled", err)
	}

	if _, err := lock.ExecContext(ctx, "ROLLBACK"); err != nil {
		t.Fatal(err)
	}
	if err := s.q.Wait(ctx, first); err != nil {
		t.Fatalf("blocked Apply = %v", err)
	}
	if err := s.Apply(ctx, []queue.Op{{Kind: queue.OpPutMessage, Message: &m3}}); err != nil {
		t.Fatalf("Apply after a cancelled one = %v", err)
	}
	snap, err := s.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.Messages) != 2 || snap.Messages[0].Seq != 1 || snap.Messages[1].Seq != 3 {
		t.Fatalf("messages after cancel: %+v, want seqs 1 and 3", snap.Messages)
	}
}
