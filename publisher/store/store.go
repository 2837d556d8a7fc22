// Package store defines how the publisher keeps its state: subscriptions,
// accepted events, and the delivery queue with each delivery's attempts.
// The embedded implementation is publisher/store/sqlite; several publisher
// instances share work through publisher/store/postgres. Both pass the
// conformance suite in publisher/store/storetest.
//
// The store does no matching and no rendering: the relay decides which
// subscriptions an event goes to and hands the store the result, which the
// store writes atomically with the event.
//
// # Delivery order
//
// Deliveries of one subscription for one entity are handed out in the
// order of the entity's sequence numbers: Claim never returns a delivery
// while an earlier pending delivery of the same subscription and entity
// exists (claimed or not). Dead and delivered deliveries do not block.
// Deliveries of different entities, or of different subscriptions, never
// wait for each other.
package store

import (
	"context"
	"errors"
	"time"

	"github.com/herald-dev/herald/publisher"
	"github.com/herald-dev/herald/publisher/subscription"
)

// Errors.
var (
	// ErrNotFound is returned for an id that names nothing.
	ErrNotFound = errors.New("not found")
	// ErrConflict is returned by CreateSubscription for an id in use.
	ErrConflict = errors.New("already exists")
	// ErrClosed is returned by every method after Close.
	ErrClosed = errors.New("store closed")
)

// Delivery states.
const (
	// StatePending deliveries wait for their next attempt (or are being
	// attempted, while a relay holds their lease).
	StatePending = "pending"
	// StateDelivered deliveries reached their destination.
	StateDelivered = "delivered"
	// StateDead deliveries failed permanently or ran out of attempts.
	StateDead = "dead"
)

// Store is the publisher's storage. Every method is safe for concurrent
// use. Times are stored with at least microsecond precision.
type Store interface {
	// CreateSubscription stores a new subscription. It returns ErrConflict
	// when s.ID is in use.
	CreateSubscription(ctx context.Context, s *subscription.Subscription) error
	// UpdateSubscription replaces the stored subscription with s.ID; it
	// returns ErrNotFound when there is none.
	UpdateSubscription(ctx context.Context, s *subscription.Subscription) error
	// DeleteSubscription deletes a subscription. Its pending deliveries
	// stay and fail (the relay marks them dead) and its history stays. It
	// returns ErrNotFound when there is none.
	DeleteSubscription(ctx context.Context, id string) error
	// GetSubscription returns one subscription or ErrNotFound.
	GetSubscription(ctx context.Context, id string) (*subscription.Subscription, error)
	// ListSubscriptions returns subscriptions ordered by id.
	ListSubscriptions(ctx context.Context, f SubscriptionFilter) ([]*subscription.Subscription, error)

	// Append stores events atomically with their deliveries: for each
	// event a new sequence number for its entity (tenant, entity type,
	// entity id), the event, and one pending delivery per subscription id
	// in its Subscriptions, due at once. An event whose tenant and
	// IdempotencyKey name an event already stored is not stored again: its
	// result is the stored event, with Duplicate set. The whole call
	// succeeds or nothing of it is stored.
	Append(ctx context.Context, events []NewEvent) ([]Appended, error)
	// GetEvent returns one stored event or ErrNotFound.
	GetEvent(ctx context.Context, id string) (*publisher.Event, error)
	// ListEvents returns stored events ordered by id (the order in which
	// they were accepted).
	ListEvents(ctx context.Context, f EventFilter) ([]*publisher.Event, error)

	// Enqueue adds one new pending delivery, due at once, of each event to
	// the subscription (a replay). It returns the new deliveries' ids, or
	// ErrNotFound when an event or the subscription does not exist.
	Enqueue(ctx context.Context, subscriptionID string, eventIDs []string) ([]string, error)
	// Claim leases up to limit due pending deliveries (NextAttemptAt not
	// after now, and no lease unexpired at now) to owner until now+lease,
	// oldest due first, keeping per-entity order (see the package doc).
	// Each delivery's Event is filled in. A delivery is leased to one
	// owner at a time: concurrent Claims, in this process or another one
	// sharing the store, never return the same delivery while its lease
	// runs.
	Claim(ctx context.Context, owner string, lease time.Duration, limit int, now time.Time) ([]*Delivery, error)
	// Finish records attempts' outcomes and releases their leases. A
	// result for a delivery that owner no longer holds (its lease expired
	// and another owner claimed it, or it is no longer pending) is
	// skipped; Finish returns how many results it applied.
	Finish(ctx context.Context, owner string, results []Result) (int, error)
	// GetDelivery returns one delivery (without its Event) or ErrNotFound.
	GetDelivery(ctx context.Context, id string) (*Delivery, error)
	// ListDeliveries returns deliveries (without their Event) ordered by
	// id.
	ListDeliveries(ctx context.Context, f DeliveryFilter) ([]*Delivery, error)
	// Attempts returns a delivery's attempts, oldest first.
	Attempts(ctx context.Context, deliveryID string) ([]Attempt, error)
	// Stats counts deliveries by state.
	Stats(ctx context.Context) (Stats, error)

	// Close releases the store's resources.
	Close() error
}

// NewEvent is an event to Append, with what the relay decided about it.
type NewEvent struct {
	// Event is the event, with ID set. Append sets Sequence.
	Event *publisher.Event
	// IdempotencyKey, when not empty, makes Append idempotent for the
	// event's tenant: a second event with the same key is not stored.
	IdempotencyKey string
	// Subscriptions are the ids of the subscriptions the event goes to.
	// Each gets a delivery whose id is the matching DeliveryIDs entry.
	Subscriptions []string
	DeliveryIDs   []string
}

// Appended is Append's result for one event.
type Appended struct {
	// Event is the stored event (for a duplicate: the one stored first).
	Event *publisher.Event
	// Duplicate tells that the event's idempotency key was known and
	// nothing was stored.
	Duplicate bool
}

// Delivery is one event on its way to one subscription.
type Delivery struct {
	ID             string `json:"id"`
	EventID        string `json:"event_id"`
	SubscriptionID string `json:"subscription_id"`
	Tenant         string `json:"tenant"`
	// EntityType, EntityID and Sequence are the event's.
	EntityType string `json:"entity_type"`
	EntityID   string `json:"entity_id"`
	Sequence   int64  `json:"sequence"`
	// State is StatePending, StateDelivered or StateDead.
	State string `json:"state"`
	// Attempts counts the attempts made so far.
	Attempts int `json:"attempts"`
	// NextAttemptAt is when a pending delivery is due.
	NextAttemptAt time.Time `json:"next_attempt_at"`
	// LastError is the last failed attempt's error ("" if none failed).
	LastError   string    `json:"last_error,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
	DeliveredAt time.Time `json:"delivered_at,omitzero"`
	// Event is filled in by Claim.
	Event *publisher.Event `json:"-"`
}

// Outcome is what one attempt came to.
type Outcome string

// Outcomes.
const (
	// Delivered: the destination accepted the notification.
	Delivered Outcome = "delivered"
	// Retry: the attempt failed; try again at Result.NextAttemptAt.
	Retry Outcome = "retry"
	// Dead: the attempt failed and no more will be made.
	Dead Outcome = "dead"
	// Released: no attempt was made (the relay is shutting down); the
	// delivery is due again at Result.NextAttemptAt and its attempt count
	// is unchanged.
	Released Outcome = "released"
)

// Result is the outcome of one attempt of a claimed delivery.
type Result struct {
	DeliveryID string
	Outcome    Outcome
	// NextAttemptAt is when a Retry or Released delivery is due again.
	NextAttemptAt time.Time
	// Error says why the attempt failed ("" for Delivered).
	Error string
	// StartedAt and Duration time the attempt.
	StartedAt time.Time
	Duration  time.Duration
	// Detail is what the destination said: an HTTP status, the SQS
	// message id, the Kafka partition and offset.
	Detail string
}

// Attempt is one recorded attempt of a delivery.
type Attempt struct {
	// N numbers a delivery's attempts from 1.
	N         int           `json:"n"`
	Outcome   Outcome       `json:"outcome"`
	Error     string        `json:"error,omitempty"`
	Detail    string        `json:"detail,omitempty"`
	StartedAt time.Time     `json:"started_at"`
	Duration  time.Duration `json:"duration_ns"`
}

// SubscriptionFilter selects subscriptions for ListSubscriptions.
type SubscriptionFilter struct {
	// Tenant, when set, selects that tenant's subscriptions only.
	Tenant string
	// After, when set, starts the list after this id (pagination).
	After string
	// Limit caps the list; 0 means no limit.
	Limit int
}

// EventFilter selects events for ListEvents.
type EventFilter struct {
	Tenant string
	// EntityType and EntityID, when set, select one entity's events.
	EntityType, EntityID string
	// From and To, when not zero, bound the events' OccurredAt:
	// From <= OccurredAt < To.
	From, To time.Time
	After    string
	Limit    int
}

// DeliveryFilter selects deliveries for ListDeliveries.
type DeliveryFilter struct {
	EventID        string
	SubscriptionID string
	// State, when set, selects deliveries in that state.
	State string
	After string
	Limit int
}

// Stats counts deliveries by state.
type Stats struct {
	Pending, Delivered, Dead int64
	// Events counts stored events.
	Events int64
	// OldestPending is the creation time of the oldest pending delivery
	// (zero when none is pending).
	OldestPending time.Time
}
