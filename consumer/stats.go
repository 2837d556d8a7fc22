package consumer

import (
	"sync"
	"sync/atomic"
	"time"
)

// Stats are the pipeline's counters, safe for concurrent use. Read them with
// Snapshot.
type Stats struct {
	messages    atomic.Uint64
	events      atomic.Uint64
	outcomes    [Failed + 1]atomic.Uint64
	inFlight    atomic.Int64
	lastLagNano atomic.Int64
	busyWaits   atomic.Uint64

	mu    sync.Mutex
	sinks map[string]*sinkStats
}

type sinkStats struct {
	delivered, failed, permanent atomic.Uint64
	nanos                        atomic.Uint64
}

// StatsSnapshot is a copy of the counters at one moment.
type StatsSnapshot struct {
	// Messages received and events they held.
	Messages, Events uint64
	// Events by outcome.
	Delivered, Duplicates, Stale, Quarantined, Unrouted, Failed uint64
	// InFlight is the number of messages being processed now.
	InFlight int64
	// Lag is how long the most recently received message waited between
	// being sent and being received (zero when the source does not say).
	Lag time.Duration
	// BusyWaits counts events that found their key claimed elsewhere.
	BusyWaits uint64
	// Sinks are per-sink counts, by sink name.
	Sinks map[string]SinkSnapshot
}

// SinkSnapshot counts one sink's deliveries.
type SinkSnapshot struct {
	Delivered, Failed, Permanent uint64
	// Seconds is the total time spent in Deliver.
	Seconds float64
}

// Snapshot copies the counters.
func (s *Stats) Snapshot() StatsSnapshot {
	snap := StatsSnapshot{
		Messages:    s.messages.Load(),
		Events:      s.events.Load(),
		Delivered:   s.outcomes[Delivered].Load(),
		Duplicates:  s.outcomes[Duplicate].Load(),
		Stale:       s.outcomes[Stale].Load(),
		Quarantined: s.outcomes[Quarantined].Load(),
		Unrouted:    s.outcomes[Unrouted].Load(),
		Failed:      s.outcomes[Failed].Load(),
		InFlight:    s.inFlight.Load(),
		Lag:         time.Duration(s.lastLagNano.Load()),
		BusyWaits:   s.busyWaits.Load(),
		Sinks:       map[string]SinkSnapshot{},
	}
	s.mu.Lock()
	for name, ss := range s.sinks {
		snap.Sinks[name] = SinkSnapshot{
			Delivered: ss.delivered.Load(), Failed: ss.failed.Load(), Permanent: ss.permanent.Load(),
			Seconds: float64(ss.nanos.Load()) / 1e9,
		}
	}
	s.mu.Unlock()
	return snap
}

func (s *Stats) sink(name string) *sinkStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sinks == nil {
		s.sinks = map[string]*sinkStats{}
	}
	ss := s.sinks[name]
	if ss == nil {
		ss = &sinkStats{}
		s.sinks[name] = ss
	}
	return ss
}
