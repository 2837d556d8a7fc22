package webhook

import (
	"math/rand/v2"
	"time"
)

// Backoff returns how long to wait before the next attempt after attempt
// failed attempts (1 after the first failure): a uniformly random
// duration in [0, c], "full jitter", where c is base doubled for each
// failure after the first, base·2^(attempt-1), capped at max.
//
// rnd returns values in [0, 1) (nil means math/rand/v2.Float64); values
// outside are clamped. attempt < 1 counts as 1. Backoff returns 0 when
// base <= 0 or max <= 0. It is a pure function of its arguments and rnd.
//
// Wait at least an *Error's RetryAfter when it is longer.
func Backoff(attempt int, base, max time.Duration, rnd func() float64) time.Duration {
	if base <= 0 || max <= 0 {
		return 0
	}
	if rnd == nil {
		rnd = rand.Float64
	}
	ceiling := min(base, max)
	for i := 1; i < attempt && ceiling < max; i++ {
		if ceiling > max/2 {
			ceiling = max
			break
		}
		ceiling *= 2
	}
	f := rnd()
	if !(f > 0) { // also catches NaN
		return 0
	}
	if f >= 1 {
		return ceiling
	}
	return time.Duration(f * float64(ceiling))
}
