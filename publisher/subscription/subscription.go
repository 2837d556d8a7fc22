// Package subscription holds the publisher's subscriptions: which events a
// subscriber wants (tenant, event types, statuses and conditions on the
// event's data), where to deliver them and in which message format.
//
// Validate checks a subscription and compiles its filter; Matches and Match
// decide which subscriptions an event goes to. Matching is cheap once a
// subscription has been validated: filter paths are parsed once, and Match
// decodes an event's data at most once however many subscriptions it tests.
package subscription

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/herald-dev/herald/consumer"
	"github.com/herald-dev/herald/publisher"
	"github.com/herald-dev/herald/publisher/format"
)

// Subscription is one subscriber's wish to be notified of some events.
//
// A Subscription is not safe for concurrent mutation: Validate stores the
// compiled filter, so do not call it while other goroutines call Matches on
// the same value. Concurrent calls of Matches and Match are safe.
type Subscription struct {
	// ID is the subscription's unique id, stamped by Herald.
	ID string `json:"id"`
	// Tenant is the organization or customer whose events the subscription
	// receives; only events of this tenant match. Required.
	Tenant string `json:"tenant"`
	// EventTypes lists the event types wanted; empty means all. An entry
	// matches a type exactly, or, when it ends in "*", every type that
	// starts with the text before the "*" ("photo.*", or "*" for all).
	EventTypes []string `json:"event_types"`
	// Statuses lists the statuses wanted, matched exactly; empty means all.
	Statuses []string `json:"statuses"`
	// Filter lists conditions on the event's data; all must hold.
	Filter []Condition `json:"filter"`
	// Destination is where notifications go.
	Destination Destination `json:"destination"`
	// Format is the name of the message format (see format.Names); ""
	// means format.Default.
	Format string `json:"format"`
	// FormatVersion is the format's version; "" means the format's default.
	FormatVersion string `json:"format_version"`
	// Active tells whether the subscription receives events at all; an
	// inactive subscription never matches.
	Active bool `json:"active"`
	// CreatedAt and UpdatedAt are stamped by Herald.
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`

	// paths are Filter's parsed paths, index for index, stored by Validate.
	// Matches uses them while each still reads as its condition's Path,
	// and parses afresh otherwise, so a stale cache is never used.
	paths []consumer.Path
}

// Validate checks every field and returns all problems found, joined (nil
// when there are none): an empty tenant, malformed event type patterns or
// statuses, filter conditions that cannot be parsed, a bad destination, an
// unknown format (wrapping format.ErrUnknownFormat) or format version
// (wrapping format.ErrUnknownVersion).
//
// When every filter path parses, Validate also caches the parsed paths so
// that Matches need not parse them again.
func (s *Subscription) Validate() error {
	var errs []error
	if s.Tenant == "" {
		errs = append(errs, errors.New("tenant is required"))
	}
	for i, t := range s.EventTypes {
		switch {
		case t == "":
			errs = append(errs, fmt.Errorf("event_types[%d] is empty", i))
		case strings.Contains(strings.TrimSuffix(t, "*"), "*"):
			errs = append(errs, fmt.Errorf("event_types[%d] %q: \"*\" is allowed only at the end", i, t))
		}
	}
	for i, st := range s.Statuses {
		if st == "" {
			errs = append(errs, fmt.Errorf("statuses[%d] is empty", i))
		}
	}
	paths, ferrs := compile(s.Filter)
	errs = append(errs, ferrs...)
	if len(ferrs) == 0 {
		s.paths = paths
	}
	if err := s.Destination.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("destination: %w", err))
	}
	if err := checkFormat(s.Format, s.FormatVersion); err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return fmt.Errorf("subscription: %w", errors.Join(errs...))
	}
	return nil
}

// checkFormat checks the format name and, as far as the format can tell
// without a real event, the version.
func checkFormat(name, version string) error {
	f, err := format.Lookup(name)
	if err != nil {
		return err
	}
	if version == "" {
		return nil
	}
	// The built-in formats check the version before the event, so an empty
	// event reveals an unknown version; any other error says nothing about
	// the version and is ignored.
	if _, err := f.Render(&publisher.Event{}, version); errors.Is(err, format.ErrUnknownVersion) {
		return fmt.Errorf("format_version: %w", err)
	}
	return nil
}

// Matches reports whether ev should be sent to s: s is active, ev's tenant
// is s's tenant, and ev's type, status and data pass s's event types,
// statuses and filter. A nil event never matches, nor does a subscription
// whose filter is invalid. Data that is absent or not valid JSON has no
// values: only "exists": false conditions hold on it.
func (s *Subscription) Matches(ev *publisher.Event) bool {
	if ev == nil {
		return false
	}
	d := eventData{raw: ev.Data}
	return s.matches(ev, &d)
}

// Match returns the subscriptions that ev matches, in the order of subs;
// several may match one event. It returns nil when none does.
func Match(subs []*Subscription, ev *publisher.Event) []*Subscription {
	if ev == nil {
		return nil
	}
	d := eventData{raw: ev.Data}
	var out []*Subscription
	for _, s := range subs {
		if s != nil && s.matches(ev, &d) {
			out = append(out, s)
		}
	}
	return out
}

func (s *Subscription) matches(ev *publisher.Event, d *eventData) bool {
	if !s.Active || s.Tenant != ev.Tenant {
		return false
	}
	if len(s.EventTypes) > 0 && !typeMatches(s.EventTypes, ev.Type) {
		return false
	}
	if len(s.Statuses) > 0 && !contains(s.Statuses, ev.Status) {
		return false
	}
	if len(s.Filter) == 0 {
		return true
	}
	paths := s.paths
	if !current(paths, s.Filter) {
		var errs []error
		if paths, errs = compile(s.Filter); len(errs) > 0 {
			return false
		}
	}
	doc, ok := d.doc()
	for i := range s.Filter {
		if !s.Filter[i].holds(paths[i], doc, ok) {
			return false
		}
	}
	return true
}

// typeMatches reports whether typ matches one of the patterns.
func typeMatches(patterns []string, typ string) bool {
	for _, p := range patterns {
		if prefix, ok := strings.CutSuffix(p, "*"); ok {
			if strings.HasPrefix(typ, prefix) {
				return true
			}
		} else if p == typ {
			return true
		}
	}
	return false
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// eventData decodes an event's data once, on first use.
type eventData struct {
	raw     []byte
	decoded bool
	value   any
	ok      bool
}

// doc returns the decoded data, and false when the event has no data or
// its data is not valid JSON (then no path selects anything).
func (d *eventData) doc() (any, bool) {
	if !d.decoded {
		d.decoded = true
		if len(d.raw) > 0 {
			v, err := consumer.DecodeJSON(d.raw)
			d.value, d.ok = v, err == nil
		}
	}
	return d.value, d.ok
}
