package sqlite_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/herald-dev/herald/internal/crashtest"
	"github.com/herald-dev/herald/publisher"
	"github.com/herald-dev/herald/publisher/store"
	"github.com/herald-dev/herald/publisher/store/sqlite"
	"github.com/herald-dev/herald/publisher/subscription"
)

const crashEnv = "HERALD_PUBLISHER_SQLITE_CRASH_DB"

// crashBatch is the Append call number n of the crash test: 20 events of
// 50 entities, each to two subscriptions.
func crashBatch(n int64) []store.NewEvent {
	out := make([]store.NewEvent, 20)
	for i := range out {
		id := fmt.Sprintf("evt-%06d-%02d", n, i)
		out[i] = store.NewEvent{
			Event: &publisher.Event{ID: id, Tenant: "t", EntityType: "photo", EntityID: fmt.Sprint((n + int64(i)) % 50),
				Type: "photo.status_changed", OccurredAt: time.Unix(1_700_000_000, n), Data: []byte(`{"n":1}`)},
			IdempotencyKey: id,
			Subscriptions:  []string{"sub-a", "sub-b"},
			DeliveryIDs:    []string{id + "-a", id + "-b"},
		}
	}
	return out
}

// TestCrashChild is TestCrashDurability's child process: from 8
// goroutines it appends batches until it is killed, printing the number of
// every Append that returned nil. Run directly, it does nothing.
func TestCrashChild(t *testing.T) {
	path := os.Getenv(crashEnv)
	if path == "" {
		t.Skip("run by TestCrashDurability")
	}
	ctx := context.Background()
	s, err := sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	for _, id := range []string{"sub-a", "sub-b"} {
		sub := &subscription.Subscription{ID: id, Tenant: "t", Active: true,
			Destination: subscription.Destination{Type: subscription.DestinationHTTPS, URL: "https://example.com/" + id}}
		if err := s.CreateSubscription(ctx, sub); err != nil {
			fmt.Println("error", err)
			os.Exit(1)
		}
	}
	var mu sync.Mutex
	var next atomic.Int64
	for range 8 {
		go func() {
			for {
				n := next.Add(1)
				if _, err := s.Append(ctx, crashBatch(n)); err != nil {
					fmt.Println("error", err)
					os.Exit(1)
				}
				mu.Lock() // one write(2) per line
				fmt.Printf("appended %d\n", n)
				mu.Unlock()
			}
		}()
	}
	select {} // until killed
}

// TestCrashDurability kills an appending child process with SIGKILL and
// checks that every Append it saw succeed survived, with its deliveries,
// and that sequence numbers have no gaps.
func TestCrashDurability(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a child process")
	}
	t.Parallel()
	path := filepath.Join(t.TempDir(), "crash.db")
	cmd, out := crashtest.Start(t, "TestCrashChild", crashEnv, path)
	var acked []int64
	enough := make(chan struct{})
	ended := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			var n int64
			if _, err := fmt.Sscanf(sc.Text(), "appended %d", &n); err != nil {
				ended <- fmt.Errorf("child: %q", sc.Text())
				return
			}
			if acked = append(acked, n); len(acked) == 300 {
				close(enough)
			}
		}
		ended <- sc.Err()
	}()
	select {
	case <-enough:
	case err := <-ended:
		t.Fatalf("child ended early: %v", err)
	case <-time.After(60 * time.Second):
		t.Fatal("child acknowledged too few Appends in 60s")
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if err := <-ended; err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()

	ctx := context.Background()
	s, err := sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		t.Fatalf("reopen after the crash: %v", err)
	}
	defer s.Close()
	for _, n := range acked {
		for _, ne := range crashBatch(n) {
			if _, err := s.GetEvent(ctx, ne.Event.ID); err != nil {
				t.Fatalf("Append %d acknowledged, event %s: %v", n, ne.Event.ID, err)
			}
			for _, id := range ne.DeliveryIDs {
				if d, err := s.GetDelivery(ctx, id); err != nil || d.State != store.StatePending {
					t.Fatalf("Append %d acknowledged, delivery %s: %+v, %v", n, id, d, err)
				}
			}
		}
	}
	events, err := s.ListEvents(ctx, store.EventFilter{})
	if err != nil {
		t.Fatal(err)
	}
	seqs := map[string][]bool{}
	for _, e := range events {
		got := seqs[e.EntityID]
		for int64(len(got)) <= e.Sequence {
			got = append(got, false)
		}
		got[e.Sequence] = true
		seqs[e.EntityID] = got
	}
	for entity, got := range seqs {
		for seq := 1; seq < len(got); seq++ {
			if !got[seq] {
				t.Fatalf("entity %s: no event with sequence %d of %d", entity, seq, len(got)-1)
			}
		}
	}
	st, err := s.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Events != int64(len(events)) || st.Pending != 2*st.Events {
		t.Fatalf("Stats %+v after the crash, with %d events stored", st, len(events))
	}
	// The idempotency keys survived too: appending an acknowledged batch
	// again stores nothing.
	again, err := s.Append(ctx, crashBatch(acked[0]))
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range again {
		if !a.Duplicate {
			t.Fatalf("event %s stored twice", a.Event.ID)
		}
	}
	t.Logf("%d Appends acknowledged before SIGKILL, %d events stored", len(acked), len(events))
}
