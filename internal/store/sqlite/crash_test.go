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
	"github.com/herald-dev/herald/internal/queue"
	"github.com/herald-dev/herald/internal/store/sqlite"
	"github.com/herald-dev/herald/internal/store/storetest"
)

const crashEnv = "HERALD_SQLITE_CRASH_DB"

// Op codes the crash child prints once an Apply is acknowledged.
const (
	ackPut = "put"
	ackUpd = "upd"
	ackDel = "del"
)

// TestCrashChild is the child process of TestCrashRecovery: it writes until
// it is killed, printing every acknowledged op. It does nothing when run
// directly.
func TestCrashChild(t *testing.T) {
	path := os.Getenv(crashEnv)
	if path == "" {
		t.Skip("run by TestCrashRecovery")
	}
	ctx := context.Background()
	s, err := sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	q := storetest.Queue(1)
	if err := s.Apply(ctx, []queue.Op{{Kind: queue.OpPutQueue, Queue: &q}}); err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	var mu sync.Mutex
	ack := func(kind string, seq int64) {
		mu.Lock() // one write(2) per line, never interleaved
		fmt.Fprintf(os.Stdout, "%s %d\n", kind, seq)
		mu.Unlock()
	}
	var next atomic.Int64
	for range 16 {
		go func() {
			for {
				seq := next.Add(1)
				m := storetest.Message(1, seq)
				steps := []struct {
					kind string
					op   queue.Op
				}{
					{ackPut, queue.Op{Kind: queue.OpPutMessage, Message: &m}},
					{ackUpd, queue.Op{Kind: queue.OpUpdateMessage, QueueID: 1, Seq: seq, VisibleAt: seq * 7, ReceiveCount: 9, FirstReceiveAt: seq * 11}},
					{ackDel, queue.Op{Kind: queue.OpDeleteMessage, QueueID: 1, Seq: seq}},
				}
				if seq%3 != 0 {
					steps = steps[:2] // only every third message is deleted
				}
				for _, st := range steps {
					if err := s.Apply(ctx, []queue.Op{st.op}); err != nil {
						fmt.Println("error", err)
						os.Exit(1)
					}
					ack(st.kind, seq)
				}
			}
		}()
	}
	select {} // until killed
}

// TestCrashRecovery kills a writing child process with SIGKILL and checks
// that every op it acknowledged survived, with exact content.
func TestCrashRecovery(t *testing.T) {
	if testing.Short() {
		t.Skip("slow: runs a child process")
	}
	t.Parallel()
	path := filepath.Join(t.TempDir(), "crash.db")
	cmd, out := crashtest.Start(t, "TestCrashChild", crashEnv, path)
	last := map[int64]string{} // seq -> last acknowledged op
	first := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(out)
		n := 0
		for sc.Scan() {
			var kind string
			var seq int64
			if _, err := fmt.Sscanf(sc.Text(), "%s %d", &kind, &seq); err != nil || kind == "error" {
				done <- fmt.Errorf("child: %q", sc.Text())
				return
			}
			last[seq] = kind
			if n++; n == 1 {
				close(first)
			}
		}
		done <- sc.Err()
	}()
	select {
	case <-first:
	case err := <-done:
		t.Fatalf("child ended before writing: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("child wrote nothing in 30s")
	}
	<-time.After(200 * time.Millisecond)
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()

	s, err := sqlite.Open(context.Background(), path, sqlite.Options{})
	if err != nil {
		t.Fatalf("reopen after crash: %v", err)
	}
	defer s.Close()
	snap, err := s.Load(context.Background())
	if err != nil {
		t.Fatalf("load after crash: %v", err)
	}
	have := map[int64]queue.MessageRecord{}
	for _, m := range snap.Messages {
		have[m.Seq] = m
	}
	var want []queue.MessageRecord
	var maxSeq int64
	for seq, kind := range last {
		maxSeq = max(maxSeq, seq)
		m := storetest.Message(1, seq)
		updated := m
		updated.VisibleAt, updated.ReceiveCount, updated.FirstReceiveAt = seq*7, 9, seq*11
		got, ok := have[seq]
		switch {
		case kind == ackDel:
			if ok {
				t.Errorf("seq %d: delete acknowledged but message present", seq)
			}
		case kind == ackUpd:
			// A delete may have been committed but not acknowledged.
			if !ok && seq%3 != 0 {
				t.Errorf("seq %d: update acknowledged but message missing", seq)
			}
			if ok {
				want = append(want, updated)
			}
		case kind == ackPut && ok && got.ReceiveCount == 9:
			want = append(want, updated) // the update landed, unacknowledged
		case kind == ackPut:
			want = append(want, m)
		}
	}
	storetest.RequireMessages(t, snap, want)
	if snap.NextSeq <= maxSeq {
		t.Errorf("NextSeq = %d, want > %d", snap.NextSeq, maxSeq)
	}
	t.Logf("%d messages acknowledged before SIGKILL, %d present after recovery", len(last), len(snap.Messages))
}
