package pubapi

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/herald-dev/herald/publisher"
	"github.com/herald-dev/herald/publisher/store"
	"github.com/herald-dev/herald/publisher/subscription"
)

// subscriptionInput is a subscription as a client sends it: a missing
// "active" means true. Id and times are Herald's and ignored.
type subscriptionInput struct {
	subscription.Subscription
	Active *bool `json:"active"`
}

func (a *api) decodeSubscription(w http.ResponseWriter, r *http.Request) (*subscription.Subscription, error) {
	body, err := a.readBody(w, r, false)
	if err != nil {
		return nil, err
	}
	var in subscriptionInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	s := in.Subscription
	s.Active = in.Active == nil || *in.Active
	return &s, nil
}

func subscriptionPath(id string) string { return "/v1/subscriptions/" + url.PathEscape(id) }

func (a *api) createSubscription(w http.ResponseWriter, r *http.Request) error {
	s, err := a.decodeSubscription(w, r)
	if err != nil {
		return err
	}
	s, err = a.relay.CreateSubscription(r.Context(), s)
	if err != nil {
		return err
	}
	w.Header().Set("Location", subscriptionPath(s.ID))
	return ok(w, http.StatusCreated, s)
}

func (a *api) updateSubscription(w http.ResponseWriter, r *http.Request) error {
	s, err := a.decodeSubscription(w, r)
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	s, err = a.relay.UpdateSubscription(r.Context(), id, s)
	if err != nil {
		return notFound("subscription", id, err)
	}
	return ok(w, http.StatusOK, s)
}

func (a *api) getSubscription(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	s, err := a.relay.GetSubscription(r.Context(), id)
	if err != nil {
		return notFound("subscription", id, err)
	}
	return ok(w, http.StatusOK, s)
}

func (a *api) deleteSubscription(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	if err := a.relay.DeleteSubscription(r.Context(), id); err != nil {
		return notFound("subscription", id, err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *api) listSubscriptions(w http.ResponseWriter, r *http.Request) error {
	after, limit, err := page(r)
	if err != nil {
		return err
	}
	subs, err := a.relay.ListSubscriptions(r.Context(), store.SubscriptionFilter{
		Tenant: r.URL.Query().Get("tenant"), After: after, Limit: limit + 1,
	})
	if err != nil {
		return err
	}
	subs, next := trim(subs, limit, func(s *subscription.Subscription) string { return s.ID })
	return ok(w, http.StatusOK, map[string]any{"subscriptions": nonNil(subs), "next": next})
}

// testSubscription sends a test notification. The destination's refusal
// is the report, not an error: the status is 200 either way.
func (a *api) testSubscription(w http.ResponseWriter, r *http.Request) error {
	body, err := a.readBody(w, r, true)
	if err != nil {
		return err
	}
	var in struct {
		Event *eventInput `json:"event"`
	}
	if body != nil {
		if err := decode(body, &in); err != nil {
			return err
		}
	}
	var ev *publisher.Event
	if in.Event != nil {
		ev = in.Event.event()
	}
	id := r.PathValue("id")
	res, err := a.relay.Test(r.Context(), id, ev)
	if err != nil {
		return notFound("subscription", id, err)
	}
	return ok(w, http.StatusOK, res)
}

// replaySubscription replays chosen events, or a time range of events, to
// the subscription.
func (a *api) replaySubscription(w http.ResponseWriter, r *http.Request) error {
	body, err := a.readBody(w, r, false)
	if err != nil {
		return err
	}
	var in struct {
		EventIDs []string   `json:"event_ids"`
		From     *time.Time `json:"from"`
		To       *time.Time `json:"to"`
	}
	if err := decode(body, &in); err != nil {
		return err
	}
	byIDs, byRange := in.EventIDs != nil, in.From != nil || in.To != nil
	id := r.PathValue("id")
	switch {
	case byIDs && byRange:
		return invalidf("give either event_ids or from and to, not both")
	case byIDs:
		ids, err := a.relay.Replay(r.Context(), id, in.EventIDs)
		if err != nil {
			return notFound("subscription", id, err)
		}
		return ok(w, http.StatusAccepted, map[string]any{"deliveries": nonNil(ids)})
	case byRange:
		if in.From == nil || in.To == nil {
			return invalidf("a replay range needs both from and to")
		}
		n, err := a.relay.ReplayRange(r.Context(), id, *in.From, *in.To)
		if err != nil {
			return notFound("subscription", id, err)
		}
		return ok(w, http.StatusAccepted, map[string]any{"replayed": n})
	}
	return invalidf("give event_ids, or from and to (RFC 3339 times)")
}

// notFound rewrites a store.ErrNotFound about the resource the path
// names as "<kind> <id> not found", leaving out the store's wording; an
// ErrNotFound about something else (an event named in a replay) is kept.
func notFound(kind, id string, err error) error {
	if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	if msg := err.Error(); msg == store.ErrNotFound.Error() || strings.Contains(msg, id) {
		return &notFoundError{kind: kind, id: id}
	}
	return err
}

type notFoundError struct{ kind, id string }

func (e *notFoundError) Error() string { return e.kind + " " + e.id + " not found" }
func (e *notFoundError) Unwrap() error { return store.ErrNotFound }
