package relay

import "sync/atomic"

// Stats are the relay's counters since it started.
type Stats struct {
	accepted, delivered, retried, dead, released, held atomic.Uint64
	inFlight                                           atomic.Int64
}

// StatsSnapshot is a copy of the counters at one moment.
type StatsSnapshot struct {
	// Accepted counts events published through this relay.
	Accepted uint64
	// Delivered, Retried and Dead count attempts by outcome; Released
	// counts attempts cancelled by shutdown, Held deliveries postponed by
	// an open circuit.
	Delivered, Retried, Dead, Released, Held uint64
	// InFlight is the number of notifications being sent now.
	InFlight int64
	// OpenCircuits is the number of destinations whose circuit is open.
	OpenCircuits int
}

// Stats returns the relay's counters.
func (r *Relay) Stats() StatsSnapshot {
	return StatsSnapshot{
		Accepted:     r.stats.accepted.Load(),
		Delivered:    r.stats.delivered.Load(),
		Retried:      r.stats.retried.Load(),
		Dead:         r.stats.dead.Load(),
		Released:     r.stats.released.Load(),
		Held:         r.stats.held.Load(),
		InFlight:     r.stats.inFlight.Load(),
		OpenCircuits: r.breakers.openCount(),
	}
}
