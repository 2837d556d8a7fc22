package sqlitewal_test

import (
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/herald-dev/herald/internal/sqlitewal"
)

// Under a writer that never pauses for long, with the Checkpointer beside
// it and the automatic checkpoint at 2,000 pages, the WAL is rewound again
// and again: it never holds much more than the automatic threshold.
func TestWALStaysBoundedUnderWrites(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db")
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=wal_autocheckpoint(2000)&_pragma=busy_timeout(10000)&_journal_mode=WAL&_synchronous=NORMAL")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(3)
	if _, err := db.Exec("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)"); err != nil {
		t.Fatal(err)
	}
	ck := sqlitewal.Start(db)
	row := strings.Repeat("x", 4000) // about a page a row
	deadline := time.Now().Add(4 * time.Second)
	written := 0
	var maxWAL int64
	for time.Now().Before(deadline) {
		tx, err := db.Begin()
		if err != nil {
			t.Fatal(err)
		}
		for range 20 {
			if _, err := tx.Exec("INSERT INTO t (v) VALUES (?)", row); err != nil {
				t.Fatal(err)
			}
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		written += 20 * 4096
		if fi, err := os.Stat(path + "-wal"); err == nil {
			maxWAL = max(maxWAL, fi.Size())
		}
		if written%(200*4096) == 0 {
			if _, err := db.Exec("DELETE FROM t WHERE id % 2 = 0"); err != nil {
				t.Fatal(err)
			}
		}
	}
	ck.Stop()
	t.Logf("wrote about %d MiB; the WAL was at most %d MiB", written>>20, maxWAL>>20)
	if maxWAL > 24<<20 {
		t.Errorf("the WAL grew to %d MiB while %d MiB were written: it was not rewound", maxWAL>>20, written>>20)
	}
}
