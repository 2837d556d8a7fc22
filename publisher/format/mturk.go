package format

import (
	"time"

	"github.com/herald-dev/herald/publisher"
)

// mturkEventDoc renders the crowd-work marketplace's event document, with
// one event:
//
//	{"EventDocVersion":<version>,"EventDocId":<event ID>,"CustomerId":<tenant>,
//	 "Events":[{"EventType":<event type>,"EventTimestamp":"2005-01-31T23:59:59Z",
//	            "HITTypeId":<data.HITTypeId>,"HITId":<entity ID>,
//	            "AssignmentId":<data.AssignmentId>}]}
//
// The version is the EventDocVersion the subscriber requested, a date of
// the form "2006-05-05" (the default). EventTimestamp is the occurred-at
// time in UTC to the second. Data must be an object with a HITTypeId
// string; AssignmentId (a string) is omitted when Data lacks it or it is
// null. Consumers deduplicate on EventDocId, which is the event ID, so a
// redelivery repeats it.
type mturkEventDoc struct{}

func (mturkEventDoc) Name() string { return "mturk-event-doc" }

func (f mturkEventDoc) Render(ev *publisher.Event, version string) (*Message, error) {
	if version == "" {
		version = "2006-05-05"
	}
	if _, err := time.Parse(time.DateOnly, version); err != nil {
		return nil, checkVersionErr(f.Name(), version, "a date such as 2006-05-05")
	}
	if err := checkEvent(f.Name(), ev, "id", "tenant", "entity_id", "type", "occurred_at"); err != nil {
		return nil, err
	}
	if len(ev.Data) == 0 {
		return nil, cannot(f.Name(), "data is required: at least HITTypeId")
	}
	data, err := parseObject(ev.Data)
	if err != nil {
		return nil, cannot(f.Name(), "data must be an object: %v", err)
	}
	hitType, ok, err := data.stringField("HITTypeId")
	if err != nil {
		return nil, cannot(f.Name(), "%v", err)
	}
	if !ok || hitType == "" {
		return nil, cannot(f.Name(), "data.HITTypeId is required")
	}
	assignment, hasAssignment, err := data.stringField("AssignmentId")
	if err != nil {
		return nil, cannot(f.Name(), "%v", err)
	}
	event := object{}.
		add("EventType", jsonString(ev.Type)).
		add("EventTimestamp", jsonString(ev.OccurredAt.UTC().Format("2006-01-02T15:04:05Z"))).
		add("HITTypeId", jsonString(hitType)).
		add("HITId", jsonString(ev.EntityID))
	if hasAssignment {
		event = event.add("AssignmentId", jsonString(assignment))
	}
	events := append([]byte{'['}, mustRaw(event)...)
	events = append(events, ']')
	doc := object{}.
		add("EventDocVersion", jsonString(version)).
		add("EventDocId", jsonString(ev.ID)).
		add("CustomerId", jsonString(ev.Tenant)).
		add("Events", events)
	return &Message{Body: mustRaw(doc), ContentType: ContentTypeJSON}, nil
}
