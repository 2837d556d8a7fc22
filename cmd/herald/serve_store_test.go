package main

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/herald-dev/herald/internal/store/logstore"
	"github.com/herald-dev/herald/internal/store/sqlite"
)

func TestOpenStoreChoosesEngine(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	ctx := context.Background()
	open := func(data, engine string) (any, string, error) {
		s, path, err := openStore(ctx, &serveFlags{data: data, store: engine}, log)
		if err == nil {
			t.Cleanup(func() { _ = s.Close() })
		}
		return s, path, err
	}

	fresh := t.TempDir()
	s, path, err := open(fresh, "log")
	if _, ok := s.(*logstore.Store); err != nil || !ok || path != filepath.Join(fresh, "log") {
		t.Fatalf("fresh directory, --store log: %T at %s, %v", s, path, err)
	}

	explicit := t.TempDir()
	s, path, err = open(explicit, "sqlite")
	if _, ok := s.(*sqlite.Store); err != nil || !ok || path != filepath.Join(explicit, "herald.db") {
		t.Fatalf("--store sqlite: %T at %s, %v", s, path, err)
	}

	// A directory written by an earlier Herald (herald.db, no log) keeps
	// its SQLite store.
	old := t.TempDir()
	if err := os.WriteFile(filepath.Join(old, "herald.db"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	s, _, err = open(old, "log")
	if _, ok := s.(*sqlite.Store); err != nil || !ok {
		t.Fatalf("directory with herald.db: %T, %v; want the SQLite store", s, err)
	}

	if _, _, err := open(t.TempDir(), "bogus"); err == nil || !strings.Contains(err.Error(), "want log or sqlite") {
		t.Fatalf("--store bogus: %v", err)
	}
}
