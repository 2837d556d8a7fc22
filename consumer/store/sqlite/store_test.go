package sqlite_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/herald-dev/herald/consumer"
	"github.com/herald-dev/herald/consumer/store/sqlite"
	"github.com/herald-dev/herald/consumer/store/storetest"
)

func TestConformance(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		opts sqlite.Options
	}{
		{"default", sqlite.Options{}},
		{"no-group-commit", sqlite.Options{MaxGroup: 1}},
		{"full-sync", sqlite.Options{FullSync: true}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			storetest.Run(t, func(t *testing.T) storetest.OpenFunc {
				path := filepath.Join(t.TempDir(), "consumer.db")
				return func(ctx context.Context) (consumer.Store, error) {
					return sqlite.Open(ctx, path, tt.opts)
				}
			})
		})
	}
}

func TestOptionsValidate(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		opts sqlite.Options
		ok   bool
	}{
		{"zero", sqlite.Options{}, true},
		{"set", sqlite.Options{FullSync: true, MaxGroup: 1, ReadConns: 2, CacheSizeKiB: 1024, BusyTimeout: time.Second}, true},
		{"negative group", sqlite.Options{MaxGroup: -1}, false},
		{"negative readers", sqlite.Options{ReadConns: -1}, false},
		{"negative cache", sqlite.Options{CacheSizeKiB: -1}, false},
		{"negative busy timeout", sqlite.Options{BusyTimeout: -time.Second}, false},
	} {
		if err := tt.opts.Validate(); (err == nil) != tt.ok {
			t.Errorf("%s: Validate() = %v, want ok=%v", tt.name, err, tt.ok)
		}
		if !tt.ok {
			if _, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "x.db"), tt.opts); err == nil {
				t.Errorf("%s: Open accepted invalid options", tt.name)
			}
		}
	}
}

func TestClosed(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "c.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	k := []string{"k"}
	for name, err := range map[string]error{
		"Claim":          second(s.Claim(ctx, "A", time.Minute, k)),
		"Claim empty":    second(s.Claim(ctx, "A", time.Minute, nil)),
		"Complete":       s.Complete(ctx, "A", k, nil),
		"Complete empty": s.Complete(ctx, "A", nil, nil),
		"Release":        s.Release(ctx, "A", k),
		"Extend":         s.Extend(ctx, "A", time.Minute, k),
		"Versions":       second(s.Versions(ctx, k)),
		"Purge":          second(s.Purge(ctx, time.Now())),
	} {
		if !errors.Is(err, sqlite.ErrClosed) {
			t.Errorf("%s after Close = %v, want ErrClosed", name, err)
		}
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func second[T any](_ T, err error) error { return err }

func TestOpenErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if _, err := sqlite.Open(t.Context(), filepath.Join(dir, "missing", "dir", "x.db"), sqlite.Options{}); err == nil {
		t.Error("Open in a missing directory: no error")
	}
	// A database from a newer program is refused, not downgraded.
	path := filepath.Join(dir, "newer.db")
	s, err := sqlite.Open(t.Context(), path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("PRAGMA user_version = 99"); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := sqlite.Open(t.Context(), path, sqlite.Options{}); err == nil || !strings.Contains(err.Error(), "newer") {
		t.Errorf("Open of a newer schema = %v, want an error saying it is newer", err)
	}
}

// TestGroupCommit holds the database's write lock from another connection
// while 32 calls queue up: once it is released, the calls share
// transactions; with MaxGroup 1 each has its own.
func TestGroupCommit(t *testing.T) {
	t.Parallel()
	const calls = 32
	for _, tt := range []struct {
		maxGroup     int
		minTx, maxTx uint64
	}{
		// The writer's first group, blocked on the lock, holds the calls
		// made before it woke up (at least one); then the others.
		{0, 1, 2},
		{1, calls, calls},
		{8, 4, 5},
	} {
		path := filepath.Join(t.TempDir(), "g.db")
		s, err := sqlite.Open(t.Context(), path, sqlite.Options{MaxGroup: tt.maxGroup})
		if err != nil {
			t.Fatal(err)
		}
		blocker, err := sql.Open("sqlite", path)
		if err != nil {
			t.Fatal(err)
		}
		conn, err := blocker.Conn(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := conn.ExecContext(t.Context(), "BEGIN IMMEDIATE"); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		for g := range calls {
			wg.Go(func() {
				if err := s.Complete(t.Context(), "A", []string{fmt.Sprint(g)}, nil); err != nil {
					t.Error(err)
				}
			})
		}
		tick := time.NewTicker(time.Millisecond)
		deadline := time.Now().Add(10 * time.Second)
		for s.Stats().Waiting < calls {
			if time.Now().After(deadline) {
				t.Fatalf("MaxGroup %d: only %d calls waiting after 10s", tt.maxGroup, s.Stats().Waiting)
			}
			<-tick.C
		}
		tick.Stop()
		if _, err := conn.ExecContext(t.Context(), "ROLLBACK"); err != nil {
			t.Fatal(err)
		}
		wg.Wait()
		if st := s.Stats(); st.Calls != calls || st.Transactions < tt.minTx || st.Transactions > tt.maxTx || st.Waiting != 0 {
			t.Errorf("MaxGroup %d: %+v, want %d calls in %d to %d transactions", tt.maxGroup, st, calls, tt.minTx, tt.maxTx)
		}
		_ = conn.Close()
		_ = blocker.Close()
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
}
