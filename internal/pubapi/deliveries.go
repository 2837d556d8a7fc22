package pubapi

import (
	"context"
	"net/http"

	"github.com/herald-dev/herald/publisher/store"
)

// deliveryView is a delivery as the API shows it: its attempt count is
// "attempt_count", so that "attempts" can list the attempts themselves
// (in the views of one delivery; lists leave them out).
type deliveryView struct {
	*store.Delivery
	AttemptCount int             `json:"attempt_count"`
	Attempts     []store.Attempt `json:"attempts,omitzero"`
}

func views(ds []*store.Delivery) []deliveryView {
	out := make([]deliveryView, len(ds))
	for i, d := range ds {
		out[i] = deliveryView{Delivery: d, AttemptCount: d.Attempts}
	}
	return out
}

func (a *api) withAttempts(ctx context.Context, d *store.Delivery) (*deliveryView, error) {
	at, err := a.relay.Store().Attempts(ctx, d.ID)
	if err != nil {
		return nil, err
	}
	return &deliveryView{Delivery: d, AttemptCount: d.Attempts, Attempts: nonNil(at)}, nil
}

// deliveryFilter reads state, after and limit.
func deliveryFilter(r *http.Request) (store.DeliveryFilter, int, error) {
	after, limit, err := page(r)
	if err != nil {
		return store.DeliveryFilter{}, 0, err
	}
	state := r.URL.Query().Get("state")
	switch state {
	case "", store.StatePending, store.StateDelivered, store.StateDead:
	default:
		return store.DeliveryFilter{}, 0, invalidf("state %q: want %s, %s or %s", state, store.StatePending, store.StateDelivered, store.StateDead)
	}
	return store.DeliveryFilter{State: state, After: after, Limit: limit + 1}, limit, nil
}

func (a *api) listDeliveries(w http.ResponseWriter, r *http.Request) error {
	f, limit, err := deliveryFilter(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f.SubscriptionID, f.EventID = q.Get("subscription_id"), q.Get("event_id")
	return a.writeDeliveries(w, r, f, limit)
}

// subscriptionDeliveries lists a subscription's deliveries. A deleted
// subscription's deliveries are still listed; an id that never named a
// subscription is 404.
func (a *api) subscriptionDeliveries(w http.ResponseWriter, r *http.Request) error {
	f, limit, err := deliveryFilter(r)
	if err != nil {
		return err
	}
	f.SubscriptionID = r.PathValue("id")
	return a.writeDeliveries(w, r, f, limit)
}

func (a *api) writeDeliveries(w http.ResponseWriter, r *http.Request, f store.DeliveryFilter, limit int) error {
	ds, err := a.relay.Store().ListDeliveries(r.Context(), f)
	if err != nil {
		return err
	}
	if len(ds) == 0 && f.After == "" && r.PathValue("id") != "" {
		// Nothing at all: say whether the subscription exists.
		if _, err := a.relay.GetSubscription(r.Context(), f.SubscriptionID); err != nil {
			return notFound("subscription", f.SubscriptionID, err)
		}
	}
	ds, next := trim(ds, limit, func(d *store.Delivery) string { return d.ID })
	return ok(w, http.StatusOK, map[string]any{"deliveries": views(ds), "next": next})
}

func (a *api) getDelivery(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	d, err := a.relay.Store().GetDelivery(r.Context(), id)
	if err != nil {
		return notFound("delivery", id, err)
	}
	v, err := a.withAttempts(r.Context(), d)
	if err != nil {
		return err
	}
	return ok(w, http.StatusOK, v)
}

// replayDelivery delivers a delivery's event again; the body is ignored.
func (a *api) replayDelivery(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	d, err := a.relay.Store().GetDelivery(r.Context(), id)
	if err != nil {
		return notFound("delivery", id, err)
	}
	nid, err := a.relay.ReplayDelivery(r.Context(), id)
	if err != nil {
		return notFound("subscription", d.SubscriptionID, err)
	}
	return ok(w, http.StatusAccepted, map[string]string{"delivery": nid})
}
