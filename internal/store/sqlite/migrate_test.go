package sqlite

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
)

// A database made by the first schema keeps its messages through every
// later migration.
func TestMigrateKeepsMessages(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.db")
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	first, err := migrations.ReadFile("migrations/0001_init.sql")
	if err != nil {
		t.Fatal(err)
	}
	for _, stmt := range []string{
		string(first),
		"PRAGMA user_version = 1",
		`INSERT INTO queues VALUES (7, '000000000000', 'q', '{}', '{}', 1, 1)`,
		`INSERT INTO messages VALUES (7, 42, 'id-42', 'body', NULL, NULL, 'sender', 1000, 2000, 3, 1500, 'g', 'd', '')`,
		`INSERT INTO messages VALUES (7, 40, 'id-40', 'older', NULL, NULL, 'sender', 900, 900, 0, 0, '', '', '')`,
		"UPDATE meta SET next_seq = 43, next_id = 8",
	} {
		if _, err := db.ExecContext(ctx, stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	s, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	snap, err := s.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.Messages) != 2 || snap.Messages[0].Seq != 40 || snap.Messages[1].Seq != 42 {
		t.Fatalf("messages after migration: %+v", snap.Messages)
	}
	m := snap.Messages[1]
	if m.QueueID != 7 || m.ID != "id-42" || m.Body != "body" || m.ReceiveCount != 3 || m.VisibleAt != 2000 || m.FirstReceiveAt != 1500 || m.GroupID != "g" || m.DedupID != "d" {
		t.Errorf("message 42 after migration: %+v", m)
	}
	if snap.NextSeq != 43 || snap.NextID != 8 {
		t.Errorf("NextSeq %d NextID %d, want 43 and 8", snap.NextSeq, snap.NextID)
	}
	var version int
	if err := s.db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil || version != 3 {
		t.Errorf("user_version %d (%v), want 3", version, err)
	}
}
