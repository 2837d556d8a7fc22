package relay

import (
	"context"
	"errors"
	"fmt"

	"github.com/herald-dev/herald/publisher"
	"github.com/herald-dev/herald/publisher/store"
)

// MaxBatch is the most events one Publish call accepts.
const MaxBatch = 1000

// Input is one event to publish.
type Input struct {
	Event *publisher.Event
	// IdempotencyKey, when set, makes publishing the event idempotent for
	// its tenant: an event published again under the same key is not
	// stored or delivered again; Publish returns the first one.
	IdempotencyKey string
}

// Publish validates the events, stamps each with an id and (in the store)
// its entity's sequence number, and stores them with one delivery per
// matching subscription, all or nothing. It returns the stored events in
// the order given. Events are not modified.
//
// Invalid input fails the whole call with an error wrapping ErrInvalid
// that names the first bad event's index.
func (r *Relay) Publish(ctx context.Context, in []Input) ([]store.Appended, error) {
	if len(in) == 0 {
		return nil, invalid(errors.New("no events"))
	}
	if len(in) > MaxBatch {
		return nil, invalid(fmt.Errorf("%d events in one call; the most is %d", len(in), MaxBatch))
	}
	evs := make([]store.NewEvent, len(in))
	for i, x := range in {
		if x.Event == nil {
			return nil, invalid(fmt.Errorf("events[%d]: missing", i))
		}
		if err := x.Event.Validate(); err != nil {
			return nil, invalid(fmt.Errorf("events[%d]: %w", i, err))
		}
		ev := *x.Event
		ev.ID, ev.Sequence = publisher.NewID(), 0
		ev.OccurredAt = ev.OccurredAt.UTC()
		ne := store.NewEvent{Event: &ev, IdempotencyKey: x.IdempotencyKey}
		for _, s := range r.subs.match(&ev) {
			ne.Subscriptions = append(ne.Subscriptions, s.ID)
			ne.DeliveryIDs = append(ne.DeliveryIDs, publisher.NewID())
		}
		evs[i] = ne
	}
	out, err := r.st.Append(ctx, evs)
	if err != nil {
		return nil, err
	}
	r.stats.accepted.Add(uint64(len(in)))
	r.notify()
	return out, nil
}
