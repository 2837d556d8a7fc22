package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/herald-dev/herald/internal/metrics"
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

// registerStoreMetrics exposes the log store's counters and shape.
func registerStoreMetrics(reg *metrics.Registry, s *logstore.Store) {
	counter := func(name, help string, v func(logstore.Stats) uint64) {
		reg.NewCounterFunc(name, help, nil, func(emit func(float64, ...string)) { emit(float64(v(s.Stats()))) })
	}
	gauge := func(name, help string, v func(logstore.Stats) int64) {
		reg.NewGaugeFunc(name, help, nil, func(emit func(float64, ...string)) { emit(float64(v(s.Stats()))) })
	}
	counter("herald_store_commits_total", "Group commits written to the store's log (one fdatasync each).", func(st logstore.Stats) uint64 { return st.Commits })
	counter("herald_store_commit_failures_total", "Group commits that failed.", func(st logstore.Stats) uint64 { return st.Failed })
	counter("herald_store_applies_total", "Writes committed (requests' changes; several share a commit).", func(st logstore.Stats) uint64 { return st.Applies })
	counter("herald_store_compactions_total", "Old segments whose live records were copied to the head of the log.", func(st logstore.Stats) uint64 { return st.Compactions })
	counter("herald_store_segments_removed_total", "Segment files deleted.", func(st logstore.Stats) uint64 { return st.SegmentsRemoved })
	gauge("herald_store_segments", "Segment files in the store's log.", func(st logstore.Stats) int64 { return int64(st.Segments) })
	gauge("herald_store_log_bytes", "Bytes of frames in the store's segment files.", func(st logstore.Stats) int64 { return st.LogBytes })
	gauge("herald_store_live_bytes", "Bytes of live records in the store's log.", func(st logstore.Stats) int64 { return st.LiveBytes })
}
