package consumer

import (
	"context"
	"time"
)

// ClaimState is the answer to a claim on one deduplication key.
type ClaimState int

const (
	// Claimed: the caller now holds the key until its lease expires, and
	// must Complete or Release it.
	Claimed ClaimState = iota
	// Done: the key was completed earlier; the event is a duplicate.
	Done
	// Busy: another owner holds a live claim on the key; the event is being
	// processed elsewhere right now.
	Busy
)

var claimStateNames = [...]string{"claimed", "done", "busy"}

func (c ClaimState) String() string {
	if int(c) < len(claimStateNames) {
		return claimStateNames[c]
	}
	return "unknown"
}

// EntityVersion is an entity's version as the ordering step reads it from an
// event: a sequence number, or a time as Unix nanoseconds.
type EntityVersion struct {
	Entity  string
	Version int64
}

// Store is the consumer's durable state: two-phase deduplication claims and
// the newest applied version of each entity. Implementations (embedded
// SQLite, PostgreSQL shared by several listeners) pass the conformance suite
// in consumer/store/storetest.
//
// Every method takes a batch so that a whole received batch costs one
// transaction; the slices may be empty. Keys within one call are distinct.
// Keys and entities are valid UTF-8 without NUL bytes (the pipeline hashes
// any key that is not). Every method returns an error for a done context,
// an empty owner or a lease that is not positive, and changes nothing then.
// Close may be called twice.
type Store interface {
	// Claim tries to take each key for owner until now+lease. A key that is
	// absent, released, or claimed by anyone with an expired lease becomes
	// Claimed by owner; a key claimed by owner itself is re-claimed (its lease
	// renewed). A completed key is Done; a key with another owner's live
	// claim is Busy. The result has one state per key, in order.
	Claim(ctx context.Context, owner string, lease time.Duration, keys []string) ([]ClaimState, error)

	// Complete marks owner's claimed keys done and, in the same transaction,
	// raises each entity's newest applied version to at least the given one.
	// Keys owner does not hold (its lease expired and someone else took
	// them) are marked done all the same: the work was done.
	Complete(ctx context.Context, owner string, keys []string, versions []EntityVersion) error

	// Release drops owner's claims on keys so that a redelivery may claim
	// them at once. Keys owner does not hold are left alone.
	Release(ctx context.Context, owner string, keys []string) error

	// Extend renews the lease of owner's live claims on keys to now+lease.
	Extend(ctx context.Context, owner string, lease time.Duration, keys []string) error

	// Versions returns the newest applied version of each entity that has
	// one; entities never completed are absent from the map.
	Versions(ctx context.Context, entities []string) (map[string]int64, error)

	// Purge forgets done keys completed before the cutoff and expired claims,
	// and returns how many keys it removed. Entity versions are kept.
	Purge(ctx context.Context, before time.Time) (int64, error)

	// Close releases the store's resources.
	Close() error
}
