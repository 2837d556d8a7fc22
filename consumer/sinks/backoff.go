package sinks

import "time"

// backoff is the wait after the attempt-th failed attempt (1 for the
// first): base doubled per attempt, capped at ceiling, with jitter. jitter
// is a random number in [0, 1) that spreads the wait over [d/2, d) where d
// is the capped exponential delay, so that many deliveries failing together
// do not retry together, yet no wait is shorter than half its step. The
// function is pure: the caller supplies the randomness.
//
// A base or ceiling of zero or less gives zero; the result never exceeds
// ceiling and never overflows, however large attempt is.
func backoff(attempt int, base, ceiling time.Duration, jitter float64) time.Duration {
	if base <= 0 || ceiling <= 0 {
		return 0
	}
	if attempt < 1 {
		attempt = 1
	}
	d := base
	for i := 1; i < attempt && d < ceiling; i++ {
		if d > ceiling/2 {
			d = ceiling
			break
		}
		d *= 2
	}
	d = min(d, ceiling)
	switch {
	case jitter < 0:
		jitter = 0
	case jitter >= 1:
		jitter = 0.999999
	}
	half := d / 2
	return half + time.Duration(jitter*float64(d-half))
}
