package webhook

import (
	"math"
	"testing"
	"time"
)

func TestBackoff(t *testing.T) {
	t.Parallel()
	fixed := func(f float64) func() float64 { return func() float64 { return f } }
	const s = time.Second
	tests := []struct {
		name      string
		attempt   int
		base, max time.Duration
		rnd       float64
		want      time.Duration
	}{
		{"first, half", 1, s, time.Minute, 0.5, s / 2},
		{"second, half", 2, s, time.Minute, 0.5, s},
		{"third, half", 3, s, time.Minute, 0.5, 2 * s},
		{"fourth, quarter", 4, s, time.Minute, 0.25, 2 * s},
		{"capped", 7, s, time.Minute, 0.5, 30 * s}, // 64s ceiling capped at 60s
		{"capped at exact power", 7, s, 64 * s, 0.5, 32 * s},
		{"huge attempt", math.MaxInt, s, time.Hour, 0.5, 30 * time.Minute},
		{"huge max does not overflow", 100, s, math.MaxInt64, 0.5, time.Duration(math.MaxInt64 / 2)},
		{"zero attempt is first", 0, s, time.Minute, 0.5, s / 2},
		{"negative attempt is first", -3, s, time.Minute, 0.5, s / 2},
		{"base above max", 1, time.Hour, time.Minute, 0.5, 30 * s},
		{"rnd zero", 5, s, time.Minute, 0, 0},
		{"rnd one clamps to ceiling", 2, s, time.Minute, 1, 2 * s},
		{"rnd above one", 2, s, time.Minute, 7, 2 * s},
		{"rnd negative", 2, s, time.Minute, -1, 0},
		{"rnd NaN", 2, s, time.Minute, math.NaN(), 0},
		{"zero base", 3, 0, time.Minute, 0.5, 0},
		{"zero max", 3, s, 0, 0.5, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := Backoff(tt.attempt, tt.base, tt.max, fixed(tt.rnd))
			// Allow for float rounding of very large durations.
			if diff := got - tt.want; diff < -time.Microsecond || diff > time.Microsecond {
				t.Errorf("Backoff(%d, %v, %v, %v) = %v, want %v", tt.attempt, tt.base, tt.max, tt.rnd, got, tt.want)
			}
		})
	}
}

func TestBackoffDefaultRandInRange(t *testing.T) {
	t.Parallel()
	for attempt := 1; attempt <= 10; attempt++ {
		ceiling := min(time.Second<<(attempt-1), 10*time.Second)
		for range 100 {
			if d := Backoff(attempt, time.Second, 10*time.Second, nil); d < 0 || d > ceiling {
				t.Fatalf("Backoff(%d) = %v, want in [0, %v]", attempt, d, ceiling)
			}
		}
	}
}
