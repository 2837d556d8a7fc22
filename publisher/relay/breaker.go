package relay

import (
	"context"
	"math/rand/v2"
	"sync"
	"time"
)

// BreakerPolicy configures the circuit breaker of each destination.
type BreakerPolicy struct {
	// Failures is how many retriable failures in a row open the circuit.
	// Default 5.
	Failures int
	// Cooldown is how long an open circuit holds deliveries before one
	// probe is let through. Default 30s.
	Cooldown time.Duration
}

type circuitState uint8

const (
	closed circuitState = iota
	open
	probing // half-open: one probe is out
)

// breaker is one destination's circuit and limits.
type breaker struct {
	state    circuitState
	failures int
	until    time.Time // open or probing: when to let a probe through
	lim      *limiter
}

// breakers holds every destination's breaker, created on first use.
type breakers struct {
	policy BreakerPolicy
	cap    int
	rate   float64

	mu sync.Mutex
	m  map[string]*breaker
}

func newBreakers(p BreakerPolicy, capacity int, rate float64) *breakers {
	return &breakers{policy: p, cap: capacity, rate: rate, m: map[string]*breaker{}}
}

func (bs *breakers) get(key string) *breaker {
	b := bs.m[key]
	if b == nil {
		b = &breaker{lim: newLimiter(bs.cap, bs.rate)}
		bs.m[key] = b
	}
	return b
}

// allow reports whether a delivery to key may be attempted at now; when
// not, until is when to try again (with jitter, so held deliveries do not
// all come back at once).
func (bs *breakers) allow(key string, now time.Time) (ok bool, until time.Time) {
	bs.mu.Lock()
	defer bs.mu.Unlock()
	b := bs.get(key)
	switch b.state {
	case closed:
		return true, time.Time{}
	case open:
		if !now.Before(b.until) {
			b.state, b.until = probing, now.Add(bs.policy.Cooldown)
			return true, time.Time{}
		}
	}
	jitter := time.Duration(rand.Int64N(int64(bs.policy.Cooldown/10) + 1))
	return false, b.until.Add(jitter)
}

// record feeds an attempt's result: a success closes the circuit; a
// retriable failure counts, and opens it after Failures in a row or when
// it was the probe.
func (bs *breakers) record(key string, success bool, now time.Time) {
	bs.mu.Lock()
	defer bs.mu.Unlock()
	b := bs.get(key)
	if success {
		b.state, b.failures = closed, 0
		return
	}
	b.failures++
	if b.state == probing || b.failures >= bs.policy.Failures {
		b.state, b.until = open, now.Add(bs.policy.Cooldown)
	}
}

// openCount returns how many circuits are open (or probing).
func (bs *breakers) openCount() int {
	bs.mu.Lock()
	defer bs.mu.Unlock()
	n := 0
	for _, b := range bs.m {
		if b.state != closed {
			n++
		}
	}
	return n
}

func (bs *breakers) limits(key string) *limiter {
	bs.mu.Lock()
	defer bs.mu.Unlock()
	return bs.get(key).lim
}

// limiter caps one destination's requests in flight (a weighted
// semaphore) and, optionally, its notifications per second (a schedule).
type limiter struct {
	capacity int
	rate     float64

	mu    sync.Mutex
	used  int
	freed chan struct{} // closed and replaced when slots are released
	next  time.Time     // rate: when the next notification may start
}

func newLimiter(capacity int, rate float64) *limiter {
	return &limiter{capacity: capacity, rate: rate, freed: make(chan struct{})}
}

// acquire waits for n slots (n <= capacity) and for the rate to allow
// count more notifications.
func (l *limiter) acquire(ctx context.Context, n, count int) error {
	n = min(n, l.capacity)
	for {
		l.mu.Lock()
		if l.used+n <= l.capacity {
			l.used += n
			var wait time.Duration
			if l.rate > 0 {
				now := time.Now()
				start := now
				if l.next.After(now) {
					start = l.next
				}
				l.next = start.Add(time.Duration(float64(count) / l.rate * float64(time.Second)))
				wait = start.Sub(now)
			}
			l.mu.Unlock()
			if wait > 0 {
				select {
				case <-ctx.Done():
					l.release(n)
					return ctx.Err()
				case <-time.After(wait):
				}
			}
			return nil
		}
		freed := l.freed
		l.mu.Unlock()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-freed:
		}
	}
}

func (l *limiter) release(n int) {
	n = min(n, l.capacity)
	l.mu.Lock()
	l.used -= n
	close(l.freed)
	l.freed = make(chan struct{})
	l.mu.Unlock()
}
