package format_test

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/herald-dev/herald/publisher"
	"github.com/herald-dev/herald/publisher/format"
)

// A requester's subscription asks for the crowd-work event document; an
// integration asks for its own shape, declared in configuration.
func ExampleLookup() {
	ev := &publisher.Event{
		ID:         "3ba9b042-b8b8-4714-98e9-17915c2eeb95",
		Tenant:     "A1B2C3",
		EntityType: "hit",
		EntityID:   "GBHZVQX3EHXZ2AYDY2T0",
		Type:       "AssignmentSubmitted",
		OccurredAt: time.Date(2005, 1, 31, 23, 59, 59, 0, time.UTC),
		Sequence:   1,
		Data:       json.RawMessage(`{"HITTypeId": "T9MZXVGSTCN0NQHJNWY0", "AssignmentId": "GYFT"}`),
	}
	f, err := format.Lookup("mturk-event-doc")
	if err != nil {
		panic(err)
	}
	m, err := f.Render(ev, "")
	if err != nil {
		panic(err)
	}
	fmt.Println(m.ContentType)
	fmt.Println(string(m.Body))

	custom, err := format.NewTemplate("hit-done",
		`{"hit":{{json .EntityID}},"kind":{{json .Type}},"at":{{json (rfc3339 .OccurredAt)}},"type":{{json (field "HITTypeId")}}}`,
		format.WithSubject("{{.Type}} {{.EntityID}}"))
	if err != nil {
		panic(err)
	}
	m, err = custom.Render(ev, "")
	if err != nil {
		panic(err)
	}
	fmt.Println(m.Subject)
	fmt.Println(string(m.Body))
	// Output:
	// application/json
	// {"EventDocVersion":"2006-05-05","EventDocId":"3ba9b042-b8b8-4714-98e9-17915c2eeb95","CustomerId":"A1B2C3","Events":[{"EventType":"AssignmentSubmitted","EventTimestamp":"2005-01-31T23:59:59Z","HITTypeId":"T9MZXVGSTCN0NQHJNWY0","HITId":"GBHZVQX3EHXZ2AYDY2T0","AssignmentId":"GYFT"}]}
	// AssignmentSubmitted GBHZVQX3EHXZ2AYDY2T0
	// {"hit":"GBHZVQX3EHXZ2AYDY2T0","kind":"AssignmentSubmitted","at":"2005-01-31T23:59:59Z","type":"T9MZXVGSTCN0NQHJNWY0"}
}
