package format

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/herald-dev/herald/publisher"
)

// eventDoc is what a requester's consumer reads from the message body.
type eventDoc struct {
	EventDocVersion string
	EventDocId      string
	CustomerId      string
	Events          []struct {
		EventType      string
		EventTimestamp string
		HITTypeId      string
		HITId          string
		AssignmentId   *string
	}
}

func TestMTurkEventDoc(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, version, data string
		wantVersion         string
		wantAssignment      *string
	}{
		{"assignment", "", `{"HITTypeId":"T1","AssignmentId":"A1","extra":1}`, "2006-05-05", ptr("A1")},
		{"no assignment", "", `{"HITTypeId":"T1"}`, "2006-05-05", nil},
		{"requested version", "2014-08-15", `{"HITTypeId":"T1","AssignmentId":null}`, "2014-08-15", nil},
	}
	for _, tt := range tests {
		ev := event(func(ev *publisher.Event) {
			ev.EntityID, ev.Type, ev.Data = "H1", "AssignmentSubmitted", json.RawMessage(tt.data)
		})
		m := render(t, "mturk-event-doc", tt.version, ev)
		want := []string{"EventDocVersion", "EventDocId", "CustomerId", "Events"}
		if got := keys(t, m.Body); !slices.Equal(got, want) {
			t.Errorf("%s: keys = %v, want %v", tt.name, got, want)
		}
		var doc eventDoc
		if err := json.Unmarshal(m.Body, &doc); err != nil {
			t.Fatal(err)
		}
		if doc.EventDocVersion != tt.wantVersion || doc.EventDocId != ev.ID || doc.CustomerId != "acme" || len(doc.Events) != 1 {
			t.Fatalf("%s: doc = %+v", tt.name, doc)
		}
		e := doc.Events[0]
		if e.EventType != "AssignmentSubmitted" || e.EventTimestamp != "2023-11-27T10:40:45Z" || e.HITTypeId != "T1" || e.HITId != "H1" {
			t.Errorf("%s: event = %+v", tt.name, e)
		}
		if (e.AssignmentId == nil) != (tt.wantAssignment == nil) || (e.AssignmentId != nil && *e.AssignmentId != *tt.wantAssignment) {
			t.Errorf("%s: AssignmentId = %v, want %v", tt.name, e.AssignmentId, tt.wantAssignment)
		}
		var events []json.RawMessage
		if err := json.Unmarshal(valueOf(t, m.Body, "Events"), &events); err != nil {
			t.Fatal(err)
		}
		wantEvent := []string{"EventType", "EventTimestamp", "HITTypeId", "HITId"}
		if tt.wantAssignment != nil {
			wantEvent = append(wantEvent, "AssignmentId")
		}
		if got := keys(t, events[0]); !slices.Equal(got, wantEvent) {
			t.Errorf("%s: event keys = %v, want %v", tt.name, got, wantEvent)
		}
	}
}

func ptr(s string) *string { return &s }
