package relay

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/herald-dev/herald/publisher"
	"github.com/herald-dev/herald/publisher/store"
	"github.com/herald-dev/herald/publisher/subscription"
	"github.com/herald-dev/herald/publisher/webhook"
)

// ErrInvalid wraps every error about a caller's input: an event or a
// subscription that does not validate, a bad replay range.
var ErrInvalid = errors.New("invalid input")

func invalid(err error) error { return fmt.Errorf("%w: %w", ErrInvalid, err) }

// subCache holds the subscriptions in memory, indexed by id and tenant.
type subCache struct {
	mu       sync.RWMutex
	byID     map[string]*subscription.Subscription
	byTenant map[string][]*subscription.Subscription
}

func newSubCache() *subCache {
	return &subCache{byID: map[string]*subscription.Subscription{}, byTenant: map[string][]*subscription.Subscription{}}
}

func (c *subCache) get(id string) *subscription.Subscription {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.byID[id]
}

// match returns the subscriptions ev goes to.
func (c *subCache) match(ev *publisher.Event) []*subscription.Subscription {
	c.mu.RLock()
	subs := c.byTenant[ev.Tenant]
	c.mu.RUnlock()
	return subscription.Match(subs, ev)
}

// replace installs a complete list.
func (c *subCache) replace(all []*subscription.Subscription) {
	byID := make(map[string]*subscription.Subscription, len(all))
	byTenant := map[string][]*subscription.Subscription{}
	for _, s := range all {
		byID[s.ID] = s
		byTenant[s.Tenant] = append(byTenant[s.Tenant], s)
	}
	c.mu.Lock()
	c.byID, c.byTenant = byID, byTenant
	c.mu.Unlock()
}

// put adds or replaces one subscription; nil s with id removes it.
func (c *subCache) put(id string, s *subscription.Subscription) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if old := c.byID[id]; old != nil {
		list := c.byTenant[old.Tenant]
		out := make([]*subscription.Subscription, 0, len(list))
		for _, x := range list {
			if x.ID != id {
				out = append(out, x)
			}
		}
		c.byTenant[old.Tenant] = out
		delete(c.byID, id)
	}
	if s != nil {
		c.byID[id] = s
		c.byTenant[s.Tenant] = append(c.byTenant[s.Tenant], s)
	}
}

// reload reads every subscription from the store. Each is validated
// (which compiles its filter); one that no longer validates (a custom
// format was removed from the configuration) is kept out of matching and
// logged.
func (r *Relay) reload(ctx context.Context) error {
	var all []*subscription.Subscription
	after := ""
	for {
		page, err := r.st.ListSubscriptions(ctx, store.SubscriptionFilter{After: after, Limit: 1000})
		if err != nil {
			return fmt.Errorf("relay: loading subscriptions: %w", err)
		}
		for _, s := range page {
			if err := s.Validate(); err != nil {
				r.log.Warn("publisher: subscription does not validate; it receives nothing", "subscription", s.ID, "err", err)
				continue
			}
			all = append(all, s)
		}
		if len(page) < 1000 {
			break
		}
		after = page[len(page)-1].ID
	}
	r.subs.replace(all)
	return nil
}

// CreateSubscription validates s, stamps its id and times, gives an https
// destination without secrets a new signing secret, and stores it. s is
// updated in place and returned.
func (r *Relay) CreateSubscription(ctx context.Context, s *subscription.Subscription) (*subscription.Subscription, error) {
	s.ID = publisher.NewID()
	now := r.cfg.Now().UTC()
	s.CreatedAt, s.UpdatedAt = now, now
	if s.Destination.Type == subscription.DestinationHTTPS && len(s.Destination.Secrets) == 0 {
		if err := addSecret(s); err != nil {
			return nil, err
		}
	}
	if err := s.Validate(); err != nil {
		return nil, invalid(err)
	}
	if err := r.st.CreateSubscription(ctx, s); err != nil {
		return nil, err
	}
	r.subs.put(s.ID, s)
	return s, nil
}

// UpdateSubscription replaces subscription id with s, keeping its id and
// creation time. Events already accepted keep their deliveries; new events
// are matched against s.
func (r *Relay) UpdateSubscription(ctx context.Context, id string, s *subscription.Subscription) (*subscription.Subscription, error) {
	old, err := r.st.GetSubscription(ctx, id)
	if err != nil {
		return nil, err
	}
	s.ID, s.CreatedAt, s.UpdatedAt = id, old.CreatedAt, r.cfg.Now().UTC()
	if s.Destination.Type == subscription.DestinationHTTPS && len(s.Destination.Secrets) == 0 {
		// An https destination is always signed: without new secrets, the
		// old ones stay (or a first one is made).
		if old.Destination.Type == subscription.DestinationHTTPS && len(old.Destination.Secrets) > 0 {
			s.Destination.Secrets = old.Destination.Secrets
		} else if err := addSecret(s); err != nil {
			return nil, err
		}
	}
	if err := s.Validate(); err != nil {
		return nil, invalid(err)
	}
	if err := r.st.UpdateSubscription(ctx, s); err != nil {
		return nil, err
	}
	r.subs.put(id, s)
	return s, nil
}

// DeleteSubscription deletes a subscription; its pending deliveries die.
func (r *Relay) DeleteSubscription(ctx context.Context, id string) error {
	if err := r.st.DeleteSubscription(ctx, id); err != nil {
		return err
	}
	r.subs.put(id, nil)
	return nil
}

// GetSubscription returns one subscription (store.ErrNotFound if none).
func (r *Relay) GetSubscription(ctx context.Context, id string) (*subscription.Subscription, error) {
	return r.st.GetSubscription(ctx, id)
}

// ListSubscriptions lists subscriptions.
func (r *Relay) ListSubscriptions(ctx context.Context, f store.SubscriptionFilter) ([]*subscription.Subscription, error) {
	return r.st.ListSubscriptions(ctx, f)
}

// addSecret gives s's https destination a new signing secret.
func addSecret(s *subscription.Subscription) error {
	sec, err := webhook.NewSecret()
	if err != nil {
		return err
	}
	s.Destination.Secrets = []string{sec.String()}
	return nil
}
