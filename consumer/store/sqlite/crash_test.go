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

	"github.com/herald-dev/herald/consumer"
	"github.com/herald-dev/herald/consumer/store/sqlite"
	"github.com/herald-dev/herald/internal/crashtest"
)

const crashEnv = "HERALD_CONSUMER_SQLITE_CRASH_DB"

// TestCrashChild is the child process of TestCrashDurability: from 8
// goroutines it claims and completes batches of keys until it is killed,
// printing every acknowledged call. It does nothing when run directly.
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
	var mu sync.Mutex
	ack := func(kind string, n int64) {
		mu.Lock() // one write(2) per line, never interleaved
		fmt.Fprintf(os.Stdout, "%s %d\n", kind, n)
		mu.Unlock()
	}
	var next atomic.Int64
	for range 8 {
		go func() {
			for {
				n := next.Add(1)
				keys := crashKeys(n)
				if _, err := s.Claim(ctx, "child", time.Hour, keys); err != nil {
					fmt.Println("error", err)
					os.Exit(1)
				}
				ack("claimed", n)
				if n%4 == 0 {
					continue // left claimed
				}
				if err := s.Complete(ctx, "child", keys, []consumer.EntityVersion{{Entity: fmt.Sprint("e", n%5), Version: n}}); err != nil {
					fmt.Println("error", err)
					os.Exit(1)
				}
				ack("done", n)
			}
		}()
	}
	select {} // until killed
}

func crashKeys(n int64) []string {
	keys := make([]string, 5)
	for i := range keys {
		keys[i] = fmt.Sprintf("k-%d-%d", n, i)
	}
	return keys
}

// TestCrashDurability kills a writing child process with SIGKILL and checks
// that every call it acknowledged survived: completed keys are done, claimed
// ones still held, versions at least as new as acknowledged.
func TestCrashDurability(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a child process")
	}
	t.Parallel()
	path := filepath.Join(t.TempDir(), "crash.db")
	cmd, out := crashtest.Start(t, "TestCrashChild", crashEnv, path)
	last := map[int64]string{} // batch -> last acknowledged step
	enough := make(chan struct{})
	ended := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			var kind string
			var n int64
			if _, err := fmt.Sscanf(sc.Text(), "%s %d", &kind, &n); err != nil || kind == "error" {
				ended <- fmt.Errorf("child: %q", sc.Text())
				return
			}
			if _, seen := last[n]; !seen && len(last) == 1000 {
				close(enough)
			}
			last[n] = kind
		}
		ended <- sc.Err()
	}()
	select {
	case <-enough:
	case err := <-ended:
		t.Fatalf("child ended early: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("child acknowledged too little in 30s")
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
		t.Fatalf("reopen after crash: %v", err)
	}
	defer s.Close()
	wantVersion := map[string]int64{}
	var dones, claims int
	for n, kind := range last {
		got, err := s.Claim(ctx, "checker", time.Hour, crashKeys(n))
		if err != nil {
			t.Fatal(err)
		}
		for i, st := range got {
			switch {
			case kind == "done" && st != consumer.Done:
				t.Errorf("batch %d key %d: completion acknowledged, state %v", n, i, st)
			case kind == "claimed" && st == consumer.Claimed:
				t.Errorf("batch %d key %d: claim acknowledged, but free after the crash", n, i)
			}
		}
		if kind == "done" {
			dones++
			e := fmt.Sprint("e", n%5)
			wantVersion[e] = max(wantVersion[e], n)
		} else {
			claims++
		}
	}
	got, err := s.Versions(ctx, []string{"e0", "e1", "e2", "e3", "e4"})
	if err != nil {
		t.Fatal(err)
	}
	for e, v := range wantVersion {
		if got[e] < v {
			t.Errorf("version of %s = %d, want at least %d", e, got[e], v)
		}
	}
	t.Logf("%d batches acknowledged done and %d claimed before SIGKILL", dones, claims)
}
