package sinks

import (
	"testing"
	"time"
)

func TestBackoff(t *testing.T) {
	t.Parallel()
	const ms = time.Millisecond
	tests := []struct {
		name          string
		attempt       int
		base, ceiling time.Duration
		jitter        float64
		want          time.Duration
	}{
		{"first, no jitter", 1, 200 * ms, 5 * time.Second, 0, 100 * ms},
		{"first, most jitter", 1, 200 * ms, 5 * time.Second, 0.5, 150 * ms},
		{"second doubles", 2, 200 * ms, 5 * time.Second, 0, 200 * ms},
		{"third doubles again", 3, 200 * ms, 5 * time.Second, 0, 400 * ms},
		{"capped", 6, 200 * ms, 5 * time.Second, 0, 2500 * ms},
		{"capped, full jitter stays under the cap", 6, 200 * ms, 5 * time.Second, 0.999999, 5*time.Second - 2500*time.Nanosecond},
		{"huge attempt does not overflow", 1 << 30, 200 * ms, 5 * time.Second, 0, 2500 * ms},
		{"jitter 1 is clamped below the step", 1, 200 * ms, 5 * time.Second, 1, 200*ms - 100*time.Nanosecond},
		{"negative jitter is clamped", 1, 200 * ms, 5 * time.Second, -3, 100 * ms},
		{"attempt 0 is the first", 0, 200 * ms, 5 * time.Second, 0, 100 * ms},
		{"base above cap", 1, time.Minute, 5 * time.Second, 0, 2500 * ms},
		{"zero base", 3, 0, 5 * time.Second, 0.5, 0},
		{"zero cap", 3, 200 * ms, 0, 0.5, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := backoff(tt.attempt, tt.base, tt.ceiling, tt.jitter)
			if got != tt.want {
				t.Errorf("backoff(%d, %v, %v, %v) = %v, want %v", tt.attempt, tt.base, tt.ceiling, tt.jitter, got, tt.want)
			}
		})
	}
}

func TestBackoffBounds(t *testing.T) {
	t.Parallel()
	base, ceiling := 7*time.Millisecond, 3*time.Second
	prevLow := time.Duration(0)
	for attempt := 1; attempt < 80; attempt++ {
		low := backoff(attempt, base, ceiling, 0)
		high := backoff(attempt, base, ceiling, 0.999999)
		if low <= 0 || high < low || high > ceiling || low < prevLow {
			t.Fatalf("attempt %d: range [%v, %v] (previous low %v), cap %v", attempt, low, high, prevLow, ceiling)
		}
		prevLow = low
	}
}
