package publisher_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/herald-dev/herald/publisher"
)

func TestEventValidate(t *testing.T) {
	t.Parallel()
	ok := publisher.Event{Tenant: "acme", EntityType: "photo", EntityID: "1419977", Type: "photo.status",
		Status: "DOWNLOADED", OccurredAt: time.Now(), Data: json.RawMessage(`{"id":1419977}`)}
	if err := ok.Validate(); err != nil {
		t.Fatalf("valid event: %v", err)
	}
	err := (&publisher.Event{Data: json.RawMessage(`{`)}).Validate()
	if err == nil {
		t.Fatal("empty event accepted")
	}
	for _, want := range []string{"tenant is required", "entity_type is required", "entity_id is required",
		"type is required", "occurred_at is required", "data is not valid JSON"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q lacks %q", err, want)
		}
	}
}

func TestEventJSON(t *testing.T) {
	t.Parallel()
	in := `{"id":"e1","tenant":"acme","entity_type":"photo","entity_id":"7","type":"photo.status","status":"APPROVED","occurred_at":"2023-11-27T05:40:45Z","sequence":3,"data":{"id":7}}`
	var ev publisher.Event
	if err := json.Unmarshal([]byte(in), &ev); err != nil {
		t.Fatal(err)
	}
	if ev.Sequence != 3 || ev.EntityID != "7" || string(ev.Data) != `{"id":7}` || !ev.OccurredAt.Equal(time.Date(2023, 11, 27, 5, 40, 45, 0, time.UTC)) {
		t.Fatalf("%+v", ev)
	}
	out, _ := json.Marshal(&ev)
	if string(out) != in {
		t.Fatalf("round trip:\n%s\n%s", out, in)
	}
}

func TestValidateRefusesTextPostgreSQLCannotStore(t *testing.T) {
	ev := publisher.Event{Tenant: "acme\x00", EntityType: "photo", EntityID: "\xff", Type: "t", OccurredAt: time.Now()}
	err := ev.Validate()
	if err == nil || !strings.Contains(err.Error(), "tenant is not valid UTF-8") || !strings.Contains(err.Error(), "entity_id is not valid UTF-8") {
		t.Fatalf("Validate = %v", err)
	}
	ev = publisher.Event{Tenant: strings.Repeat("a", publisher.MaxFieldBytes+1), EntityType: "photo", EntityID: "1", Type: "t", OccurredAt: time.Now()}
	if err := ev.Validate(); err == nil || !strings.Contains(err.Error(), "tenant is 513 bytes") {
		t.Fatalf("Validate of a long tenant = %v", err)
	}
}
