package relay

import (
	"testing"

	"github.com/herald-dev/herald/publisher/format"
	"github.com/herald-dev/herald/publisher/store"
	"github.com/herald-dev/herald/publisher/subscription"
)

// Every built-in format renders the generated test event.
func TestGeneratedTestEventRendersInEveryFormat(t *testing.T) {
	for _, name := range format.Names() {
		sub := &subscription.Subscription{Tenant: "acme", Format: name}
		ev := testEvent(sub, fixedNow)
		ev.ID = "test-id"
		if _, err := render(sub, &store.Delivery{EventID: ev.ID, Event: ev}); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}
