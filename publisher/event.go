// Package publisher is Herald's publisher: applications hand it
// status-change events; it turns each into notifications for the
// subscriptions that match, in the subscriber's message format, and
// delivers them at least once.
//
// This is the beginning of the package: the event model. Formats live in
// publisher/format; subscriptions, the outbox and delivery follow.
package publisher

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Event is one status change of one entity, as the application reports it
// and as Herald stamps it.
type Event struct {
	// ID is the event's unique id, stamped by Herald (a UUID). Consumers
	// deduplicate on it.
	ID string `json:"id"`
	// Tenant is the organization or customer the entity belongs to.
	Tenant string `json:"tenant"`
	// EntityType and EntityID name the entity ("photo", "1419977").
	EntityType string `json:"entity_type"`
	EntityID   string `json:"entity_id"`
	// Type is the event type ("photo.status_changed", "AssignmentSubmitted",
	// "job-completed").
	Type string `json:"type"`
	// Status is the entity's new status ("DOWNLOADED", "COMPLETED").
	Status string `json:"status,omitempty"`
	// OccurredAt is when the change happened, as the application says.
	OccurredAt time.Time `json:"occurred_at"`
	// Sequence is the entity's event number, stamped by Herald: 1 for its
	// first event, then increasing by one, so that consumers can drop stale
	// updates.
	Sequence int64 `json:"sequence"`
	// Data is the entity's state or the event's details: any JSON value.
	Data json.RawMessage `json:"data,omitempty"`
}

// Limits of an event's fields.
const (
	// MaxFieldBytes bounds tenant, entity_type, entity_id, type and status.
	MaxFieldBytes = 512
	// MaxDataBytes bounds data: an SQS message's limit (1 MiB) less room
	// for the envelope a format wraps around it.
	MaxDataBytes = 1000 * 1024
)

// Validate checks the fields an application must supply: the required
// ones present, text fields valid UTF-8 without NUL characters (which
// PostgreSQL cannot store) and within MaxFieldBytes, data valid JSON
// within MaxDataBytes.
func (e *Event) Validate() error {
	var errs []error
	if e.Tenant == "" {
		errs = append(errs, errors.New("tenant is required"))
	}
	if e.EntityType == "" {
		errs = append(errs, errors.New("entity_type is required"))
	}
	if e.EntityID == "" {
		errs = append(errs, errors.New("entity_id is required"))
	}
	if e.Type == "" {
		errs = append(errs, errors.New("type is required"))
	}
	if e.OccurredAt.IsZero() {
		errs = append(errs, errors.New("occurred_at is required"))
	}
	for _, f := range []struct {
		name, v string
	}{{"tenant", e.Tenant}, {"entity_type", e.EntityType}, {"entity_id", e.EntityID}, {"type", e.Type}, {"status", e.Status}} {
		switch {
		case len(f.v) > MaxFieldBytes:
			errs = append(errs, fmt.Errorf("%s is %d bytes; the most is %d", f.name, len(f.v), MaxFieldBytes))
		case !utf8.ValidString(f.v) || strings.ContainsRune(f.v, 0):
			errs = append(errs, fmt.Errorf("%s is not valid UTF-8 text without NUL characters", f.name))
		}
	}
	if len(e.Data) > MaxDataBytes {
		errs = append(errs, fmt.Errorf("data is %d bytes; the most is %d", len(e.Data), MaxDataBytes))
	} else if len(e.Data) > 0 && !json.Valid(e.Data) {
		errs = append(errs, errors.New("data is not valid JSON"))
	}
	if len(errs) > 0 {
		return fmt.Errorf("event: %w", errors.Join(errs...))
	}
	return nil
}
