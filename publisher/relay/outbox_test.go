package relay_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/herald-dev/herald/publisher"
	"github.com/herald-dev/herald/publisher/relay"
	"github.com/herald-dev/herald/publisher/store"
	"github.com/herald-dev/herald/publisher/subscription"
)

// The application's own database, with its own table and Herald's outbox.
func appDB(t *testing.T) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(t.TempDir(), "app.db")+"?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	ctx := context.Background()
	if _, err := db.ExecContext(ctx, `CREATE TABLE photos (id TEXT PRIMARY KEY, status TEXT)`); err != nil {
		t.Fatal(err)
	}
	if err := publisher.CreateOutbox(ctx, db, publisher.SQLite); err != nil {
		t.Fatal(err)
	}
	return db
}

// setStatus changes a photo's status and enqueues the event in one
// transaction, committed or rolled back.
func setStatus(t *testing.T, db *sql.DB, id, status string, commit bool) {
	t.Helper()
	ctx := context.Background()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO photos (id, status) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET status = excluded.status`, id, status); err != nil {
		t.Fatal(err)
	}
	if err := publisher.Enqueue(ctx, tx, publisher.SQLite, event("acme", id, status), ""); err != nil {
		t.Fatal(err)
	}
	if commit {
		err = tx.Commit()
	} else {
		err = tx.Rollback()
	}
	if err != nil {
		t.Fatal(err)
	}
}

func TestOutboxDeliversCommittedEventsOnly(t *testing.T) {
	e := newEnv(t, nil)
	url := e.broker.CreateQueue(t, "photos", nil)
	sub := e.subscribe(subscription.Subscription{Tenant: "acme",
		Destination: subscription.Destination{Type: subscription.DestinationSQS, URL: url}})
	db := appDB(t)
	setStatus(t, db, "1", "APPROVED", true)
	setStatus(t, db, "2", "APPROVED", false) // rolled back: never published
	setStatus(t, db, "1", "DOWNLOADED", true)

	e.run()
	ctx, cancel := context.WithCancel(context.Background())
	drained := make(chan error, 1)
	go func() {
		drained <- e.relay.DrainOutbox(ctx, relay.Outbox{DB: db, Dialect: publisher.SQLite, Poll: 10 * time.Millisecond})
	}()
	defer func() {
		cancel()
		if err := <-drained; err != nil {
			t.Error(err)
		}
	}()

	deadline := time.Now().Add(5 * time.Second)
	for {
		ds, err := e.store.ListDeliveries(context.Background(), store.DeliveryFilter{SubscriptionID: sub.ID, State: store.StateDelivered})
		if err != nil {
			t.Fatal(err)
		}
		if len(ds) == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d deliveries delivered, want 2", len(ds))
		}
		time.Sleep(10 * time.Millisecond)
	}
	evs, _ := e.store.ListEvents(context.Background(), store.EventFilter{Tenant: "acme"})
	if len(evs) != 2 || evs[0].EntityID != "1" || evs[0].Sequence != 1 || evs[1].Sequence != 2 || evs[1].Status != "DOWNLOADED" {
		t.Fatalf("stored events = %+v, want photo 1's two committed events", evs)
	}
	var left int
	if err := db.QueryRow(`SELECT count(*) FROM ` + publisher.OutboxTable).Scan(&left); err != nil || left != 0 {
		t.Errorf("outbox rows left: %d, %v", left, err)
	}
}

func TestOutboxRowTakenTwiceIsPublishedOnce(t *testing.T) {
	// A relay that stored an outbox row's event and died before deleting
	// the row: the next relay takes the row again and must not store a
	// second event.
	e := newEnv(t, nil)
	db := appDB(t)
	setStatus(t, db, "1", "APPROVED", true)
	var id int64
	var body string
	if err := db.QueryRow(`SELECT id, event FROM `+publisher.OutboxTable).Scan(&id, &body); err != nil {
		t.Fatal(err)
	}
	ev := event("acme", "1", "APPROVED")
	if _, err := e.relay.Publish(context.Background(), []relay.Input{{Event: ev, IdempotencyKey: "outbox:default:" + itoa(id)}}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	if err := e.relay.DrainOutbox(ctx, relay.Outbox{DB: db, Dialect: publisher.SQLite, Poll: 10 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	evs, _ := e.store.ListEvents(context.Background(), store.EventFilter{Tenant: "acme"})
	if len(evs) != 1 {
		t.Fatalf("%d events stored, want 1", len(evs))
	}
	var left int
	_ = db.QueryRow(`SELECT count(*) FROM ` + publisher.OutboxTable).Scan(&left)
	if left != 0 {
		t.Errorf("%d outbox rows left", left)
	}
}

func TestOutboxLeavesABadRowAndGoesOn(t *testing.T) {
	e := newEnv(t, nil)
	db := appDB(t)
	if _, err := db.Exec(`INSERT INTO ` + publisher.OutboxTable + ` (event) VALUES ('{"tenant":"acme"}')`); err != nil {
		t.Fatal(err)
	}
	setStatus(t, db, "1", "APPROVED", true)
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	if err := e.relay.DrainOutbox(ctx, relay.Outbox{DB: db, Dialect: publisher.SQLite, Poll: 10 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	evs, _ := e.store.ListEvents(context.Background(), store.EventFilter{Tenant: "acme"})
	if len(evs) != 1 {
		t.Fatalf("%d events stored, want the good one", len(evs))
	}
	var left int
	_ = db.QueryRow(`SELECT count(*) FROM ` + publisher.OutboxTable).Scan(&left)
	if left != 1 {
		t.Errorf("%d outbox rows left, want the bad one", left)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
