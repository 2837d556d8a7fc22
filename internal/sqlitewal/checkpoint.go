// Package sqlitewal keeps a SQLite database's write-ahead log small while
// sparing its writer most of the cost.
//
// With wal_autocheckpoint alone, the connection that commits copies the
// WAL back into the database right after its commit (tens of milliseconds
// for a few thousand pages) while every call queued behind it waits. A
// Checkpointer runs passive checkpoints on another connection every
// Interval, beside the writer, so that when the writer's own automatic
// checkpoint comes due there is little left for it to copy. The automatic
// checkpoint stays on (open the database with a wal_autocheckpoint of a
// few thousand pages): only a checkpoint right after a commit, with no
// other write in between, catches up with the whole WAL, which lets the
// next transaction rewind it. A writer that never pauses would otherwise
// grow the WAL without bound.
package sqlitewal

import (
	"database/sql"
	"time"
)

// Interval is how often a passive checkpoint runs.
const Interval = 250 * time.Millisecond

// Checkpointer checkpoints a database in the background until Stop.
type Checkpointer struct {
	stop, done chan struct{}
}

// Start runs passive checkpoints on db (a pool with a connection to spare
// beside the writer's) every Interval.
func Start(db *sql.DB) *Checkpointer {
	c := &Checkpointer{stop: make(chan struct{}), done: make(chan struct{})}
	go c.run(db)
	return c
}

func (c *Checkpointer) run(db *sql.DB) {
	defer close(c.done)
	t := time.NewTicker(Interval)
	defer t.Stop()
	for {
		select {
		case <-c.stop:
			return
		case <-t.C:
			var busy, logPages, copied int
			_ = db.QueryRow("PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &logPages, &copied)
		}
	}
}

// Stop ends the checkpoints and waits for the one in progress. Call it
// before closing the database.
func (c *Checkpointer) Stop() {
	close(c.stop)
	<-c.done
}
