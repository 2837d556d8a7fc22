package relay

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/herald-dev/herald/publisher/store"
	"github.com/herald-dev/herald/publisher/subscription"
)

// Replay delivers the events again to the subscription: one new delivery
// each, due at once, whatever became of the earlier ones (delivered or
// dead). Events of another tenant than the subscription's are refused. It
// returns the new deliveries' ids.
func (r *Relay) Replay(ctx context.Context, subscriptionID string, eventIDs []string) ([]string, error) {
	sub, err := r.replayable(ctx, subscriptionID)
	if err != nil {
		return nil, err
	}
	if len(eventIDs) == 0 {
		return nil, invalid(errors.New("no events to replay"))
	}
	if len(eventIDs) > MaxBatch {
		return nil, invalid(fmt.Errorf("%d events in one replay; the most is %d", len(eventIDs), MaxBatch))
	}
	for _, id := range eventIDs {
		ev, err := r.st.GetEvent(ctx, id)
		if err != nil {
			return nil, fmt.Errorf("event %s: %w", id, err)
		}
		if ev.Tenant != sub.Tenant {
			return nil, invalid(fmt.Errorf("event %s belongs to tenant %q, the subscription to %q", id, ev.Tenant, sub.Tenant))
		}
	}
	ids, err := r.st.Enqueue(ctx, subscriptionID, eventIDs)
	if err != nil {
		return nil, err
	}
	r.notify()
	return ids, nil
}

// ReplayDelivery delivers a delivery's event again to its subscription (a
// dead delivery, typically, once its destination has recovered). It
// returns the new delivery's id.
func (r *Relay) ReplayDelivery(ctx context.Context, deliveryID string) (string, error) {
	d, err := r.st.GetDelivery(ctx, deliveryID)
	if err != nil {
		return "", err
	}
	ids, err := r.Replay(ctx, d.SubscriptionID, []string{d.EventID})
	if err != nil {
		return "", err
	}
	return ids[0], nil
}

// ReplayRange delivers again to the subscription every event of its tenant
// that occurred in [from, to) and that it matches now. It returns how many
// deliveries it created.
func (r *Relay) ReplayRange(ctx context.Context, subscriptionID string, from, to time.Time) (int, error) {
	sub, err := r.replayable(ctx, subscriptionID)
	if err != nil {
		return 0, err
	}
	if from.IsZero() || to.IsZero() || !from.Before(to) {
		return 0, invalid(errors.New("a replay range needs from and to, from before to"))
	}
	total := 0
	after := ""
	for {
		evs, err := r.st.ListEvents(ctx, store.EventFilter{Tenant: sub.Tenant, From: from, To: to, After: after, Limit: 500})
		if err != nil {
			return total, err
		}
		var ids []string
		for _, ev := range evs {
			if sub.Matches(ev) {
				ids = append(ids, ev.ID)
			}
		}
		if len(ids) > 0 {
			if _, err := r.st.Enqueue(ctx, subscriptionID, ids); err != nil {
				return total, err
			}
			total += len(ids)
			r.notify()
		}
		if len(evs) < 500 {
			return total, nil
		}
		after = evs[len(evs)-1].ID
	}
}

// replayable returns the subscription if deliveries to it can be made.
func (r *Relay) replayable(ctx context.Context, id string) (*subscription.Subscription, error) {
	sub, err := r.st.GetSubscription(ctx, id)
	if err != nil {
		return nil, err
	}
	if !sub.Active {
		return nil, invalid(fmt.Errorf("subscription %s is inactive; activate it to replay", id))
	}
	if err := sub.Validate(); err != nil {
		return nil, invalid(err)
	}
	return sub, nil
}
