package pubapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/herald-dev/herald/publisher"
	"github.com/herald-dev/herald/publisher/relay"
	"github.com/herald-dev/herald/publisher/store"
)

// eventInput is an event as a client sends it. Id and sequence are
// Herald's: accepted (any JSON) and ignored.
type eventInput struct {
	ID         json.RawMessage `json:"id"`
	Sequence   json.RawMessage `json:"sequence"`
	Tenant     string          `json:"tenant"`
	EntityType string          `json:"entity_type"`
	EntityID   string          `json:"entity_id"`
	Type       string          `json:"type"`
	Status     string          `json:"status"`
	OccurredAt time.Time       `json:"occurred_at"`
	Data       json.RawMessage `json:"data"`
	// IdempotencyKey makes publishing the event idempotent for its tenant.
	IdempotencyKey string `json:"idempotency_key"`
}

func (in *eventInput) event() *publisher.Event {
	ev := &publisher.Event{
		Tenant: in.Tenant, EntityType: in.EntityType, EntityID: in.EntityID,
		Type: in.Type, Status: in.Status, OccurredAt: in.OccurredAt, Data: in.Data,
	}
	if string(ev.Data) == "null" {
		ev.Data = nil
	}
	return ev
}

// publishBody is the body of POST /v1/events: one event, or a batch in
// "events". Decoding both shapes into one type takes a single pass.
type publishBody struct {
	eventInput
	Events *[]eventInput `json:"events"`
}

// published is a stored event as POST /v1/events returns it.
type published struct {
	*publisher.Event
	Duplicate bool `json:"duplicate"`
}

// publishEvents accepts one event or a batch.
func (a *api) publishEvents(w http.ResponseWriter, r *http.Request) error {
	body, err := a.readBody(w, r, false)
	if err != nil {
		return err
	}
	var in publishBody
	if err := decode(body, &in); err != nil {
		return err
	}
	header := r.Header.Get("Idempotency-Key")
	if in.Events == nil {
		key := in.IdempotencyKey
		switch {
		case key == "":
			key = header
		case header != "" && header != key:
			return invalidf("the Idempotency-Key header %q and idempotency_key %q differ", header, key)
		}
		ev := in.event()
		if err := ev.Validate(); err != nil {
			// Validated here too so that the problems do not name the
			// event "events[0]".
			return fmt.Errorf("%w: %w", relay.ErrInvalid, err)
		}
		out, err := a.relay.Publish(r.Context(), []relay.Input{{Event: ev, IdempotencyKey: key}})
		if err != nil {
			return err
		}
		return ok(w, http.StatusAccepted, published{out[0].Event, out[0].Duplicate})
	}
	if !in.onlyIgnored() {
		return invalidf("a batch body has only \"events\"; put the event fields in its elements")
	}
	if header != "" {
		return invalidf("the Idempotency-Key header applies to a single event; in a batch give each event an idempotency_key")
	}
	evs := *in.Events
	if len(evs) > relay.MaxBatch {
		return invalidf("%d events in one batch; the most is %d", len(evs), relay.MaxBatch)
	}
	inputs := make([]relay.Input, len(evs))
	for i := range evs {
		inputs[i] = relay.Input{Event: evs[i].event(), IdempotencyKey: evs[i].IdempotencyKey}
	}
	out, err := a.relay.Publish(r.Context(), inputs)
	if err != nil {
		return err
	}
	res := make([]published, len(out))
	for i, x := range out {
		res[i] = published{x.Event, x.Duplicate}
	}
	return ok(w, http.StatusAccepted, map[string]any{"events": res})
}

// onlyIgnored reports whether the top-level event fields of a batch body
// hold nothing but ignored ones.
func (in *publishBody) onlyIgnored() bool {
	e := &in.eventInput
	return e.Tenant == "" && e.EntityType == "" && e.EntityID == "" && e.Type == "" && e.Status == "" &&
		e.OccurredAt.IsZero() && e.Data == nil && e.IdempotencyKey == ""
}

func (a *api) getEvent(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	ev, err := a.relay.Store().GetEvent(r.Context(), id)
	if err != nil {
		return notFound("event", id, err)
	}
	return ok(w, http.StatusOK, ev)
}

func (a *api) listEvents(w http.ResponseWriter, r *http.Request) error {
	after, limit, err := page(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f := store.EventFilter{
		Tenant: q.Get("tenant"), EntityType: q.Get("entity_type"), EntityID: q.Get("entity_id"),
		After: after, Limit: limit + 1,
	}
	if f.From, err = queryTime(r, "from"); err != nil {
		return err
	}
	if f.To, err = queryTime(r, "to"); err != nil {
		return err
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To) {
		return invalidf("from must be before to")
	}
	evs, err := a.relay.Store().ListEvents(r.Context(), f)
	if err != nil {
		return err
	}
	evs, next := trim(evs, limit, func(e *publisher.Event) string { return e.ID })
	return ok(w, http.StatusOK, map[string]any{"events": nonNil(evs), "next": next})
}

// eventDeliveries lists an event's deliveries, each with its attempts.
func (a *api) eventDeliveries(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	st := r.Context()
	if _, err := a.relay.Store().GetEvent(st, id); err != nil {
		return notFound("event", id, err)
	}
	var all []*deliveryView
	after := ""
	for {
		ds, err := a.relay.Store().ListDeliveries(st, store.DeliveryFilter{EventID: id, After: after, Limit: maxLimit})
		if err != nil {
			return err
		}
		for _, d := range ds {
			v, err := a.withAttempts(st, d)
			if err != nil {
				return fmt.Errorf("delivery %s: %w", d.ID, err)
			}
			all = append(all, v)
		}
		if len(ds) < maxLimit {
			break
		}
		after = ds[len(ds)-1].ID
	}
	return ok(w, http.StatusOK, map[string]any{"deliveries": nonNil(all)})
}
