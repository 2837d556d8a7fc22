package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/herald-dev/herald/publisher/store"
	"github.com/herald-dev/herald/publisher/subscription"
	"github.com/jackc/pgx/v5"
)

// Subscriptions are kept as their JSON encoding: every field of
// subscription.Subscription is exported and survives the round trip, and
// a field added to the type needs no migration.

func encodeSubscription(sub *subscription.Subscription) ([]byte, error) {
	if sub == nil {
		return nil, errors.New("nil subscription")
	}
	if sub.ID == "" {
		return nil, errors.New("subscription without id")
	}
	return json.Marshal(sub)
}

func decodeSubscription(doc []byte) (*subscription.Subscription, error) {
	sub := new(subscription.Subscription)
	if err := json.Unmarshal(doc, sub); err != nil {
		return nil, fmt.Errorf("stored subscription: %w", err)
	}
	return sub, nil
}

// CreateSubscription implements store.Store.
func (s *Store) CreateSubscription(ctx context.Context, sub *subscription.Subscription) error {
	doc, err := encodeSubscription(sub)
	if err != nil {
		return fmt.Errorf("postgres: create subscription: %w", err)
	}
	return s.run(ctx, "create subscription", write, func(c *pgx.Conn) error {
		tag, err := c.Exec(ctx, `INSERT INTO herald_pub_subscriptions (id, tenant, doc) VALUES ($1, $2, $3)
			ON CONFLICT (id) DO NOTHING`, sub.ID, sub.Tenant, doc)
		if err == nil && tag.RowsAffected() == 0 {
			return fmt.Errorf("subscription %q: %w", sub.ID, store.ErrConflict)
		}
		return err
	})
}

// UpdateSubscription implements store.Store.
func (s *Store) UpdateSubscription(ctx context.Context, sub *subscription.Subscription) error {
	doc, err := encodeSubscription(sub)
	if err != nil {
		return fmt.Errorf("postgres: update subscription: %w", err)
	}
	return s.run(ctx, "update subscription", write, func(c *pgx.Conn) error {
		tag, err := c.Exec(ctx, `UPDATE herald_pub_subscriptions SET tenant = $2, doc = $3 WHERE id = $1`,
			sub.ID, sub.Tenant, doc)
		if err == nil && tag.RowsAffected() == 0 {
			return notFound("subscription", sub.ID)
		}
		return err
	})
}

// DeleteSubscription implements store.Store. The subscription's
// deliveries and their attempts stay.
func (s *Store) DeleteSubscription(ctx context.Context, id string) error {
	return s.run(ctx, "delete subscription", write, func(c *pgx.Conn) error {
		tag, err := c.Exec(ctx, `DELETE FROM herald_pub_subscriptions WHERE id = $1`, id)
		if err == nil && tag.RowsAffected() == 0 {
			return notFound("subscription", id)
		}
		return err
	})
}

// GetSubscription implements store.Store.
func (s *Store) GetSubscription(ctx context.Context, id string) (*subscription.Subscription, error) {
	var sub *subscription.Subscription
	err := s.run(ctx, "get subscription", read, func(c *pgx.Conn) error {
		var doc []byte
		err := c.QueryRow(ctx, `SELECT doc FROM herald_pub_subscriptions WHERE id = $1`, id).Scan(&doc)
		if errors.Is(err, pgx.ErrNoRows) {
			return notFound("subscription", id)
		}
		if err != nil {
			return err
		}
		sub, err = decodeSubscription(doc)
		return err
	})
	return sub, err
}

// ListSubscriptions implements store.Store.
func (s *Store) ListSubscriptions(ctx context.Context, f store.SubscriptionFilter) ([]*subscription.Subscription, error) {
	var q query
	q.sql.WriteString(`SELECT doc FROM herald_pub_subscriptions`)
	if f.Tenant != "" {
		q.where("tenant =", f.Tenant)
	}
	if f.After != "" {
		q.where("id >", f.After)
	}
	q.orderLimit("id", f.Limit)
	var subs []*subscription.Subscription
	err := s.run(ctx, "list subscriptions", read, func(c *pgx.Conn) error {
		subs = subs[:0]
		rows, err := c.Query(ctx, q.sql.String(), q.args...)
		if err != nil {
			return err
		}
		for rows.Next() {
			var doc []byte
			if err := rows.Scan(&doc); err != nil {
				rows.Close()
				return err
			}
			sub, err := decodeSubscription(doc)
			if err != nil {
				rows.Close()
				return err
			}
			subs = append(subs, sub)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	return subs, nil
}

// query builds a SELECT with a WHERE clause of the filters that are set.
type query struct {
	sql   strings.Builder
	args  []any
	conds int
}

// where adds the condition "expr $n" with arg as $n, expr being a column
// and an operator ("tenant =").
func (q *query) where(expr string, arg any) {
	if q.conds == 0 {
		q.sql.WriteString(" WHERE ")
	} else {
		q.sql.WriteString(" AND ")
	}
	q.conds++
	q.args = append(q.args, arg)
	fmt.Fprintf(&q.sql, "%s $%d", expr, len(q.args))
}

// orderLimit orders by column and, when limit is positive, caps the rows.
func (q *query) orderLimit(column string, limit int) {
	q.sql.WriteString(" ORDER BY " + column)
	if limit > 0 {
		q.args = append(q.args, limit)
		fmt.Fprintf(&q.sql, " LIMIT $%d", len(q.args))
	}
}
