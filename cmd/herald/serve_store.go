package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/herald-dev/herald/internal/queue"
	"github.com/herald-dev/herald/internal/store/logstore"
	"github.com/herald-dev/herald/internal/store/sqlite"
)

// openStore opens the broker's durable store in the data directory: the
// log store in <data>/log, or SQLite in <data>/herald.db. A directory that
// holds herald.db and no log keeps SQLite, whatever --store says, so that
// an upgrade never hides a store's messages.
func openStore(ctx context.Context, f *serveFlags, log *slog.Logger) (queue.Store, string, error) {
	dbPath := filepath.Join(f.data, "herald.db")
	logDir := filepath.Join(f.data, "log")
	engine := f.store
	if engine != "sqlite" && exists(dbPath) && !exists(logDir) {
		log.Info("the data directory holds a SQLite store (herald.db): using it", "store", "sqlite")
		engine = "sqlite"
	}
	switch engine {
	case "sqlite":
		s, err := sqlite.Open(ctx, dbPath, sqlite.Options{Logger: log, MaxBytes: f.maxStoreBytes})
		return s, dbPath, err
	case "log":
		s, err := logstore.Open(ctx, logDir, logstore.Options{Logger: log, MaxBytes: f.maxStoreBytes})
		if err != nil {
			return nil, "", err
		}
		return s, logDir, nil
	}
	return nil, "", fmt.Errorf("--store %q: want log or sqlite", f.store)
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return !errors.Is(err, os.ErrNotExist)
}
