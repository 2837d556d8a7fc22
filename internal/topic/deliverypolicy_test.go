package topic

import (
	"testing"
	"time"
)

func TestRetryDelaySchedule(t *testing.T) {
	p := retryPolicy{MinDelayTarget: 2, MaxDelayTarget: 10, NumRetries: 7, NumNoDelayRetries: 1, NumMinDelayRetries: 1, NumMaxDelayRetries: 2, BackoffFunction: "linear"}
	want := []time.Duration{0, 2 * time.Second, 2 * time.Second, 6 * time.Second, 10 * time.Second, 10 * time.Second, 10 * time.Second}
	for i, w := range want {
		got, ok := p.delay(i + 1)
		if !ok || got != w {
			t.Errorf("retry %d: %v (%v), want %v", i+1, got, ok, w)
		}
	}
	if _, ok := p.delay(8); ok {
		t.Errorf("retry 8 allowed by a policy of 7 retries")
	}
	if d, ok := defaultRetryPolicy.delay(3); !ok || d != 20*time.Second {
		t.Errorf("default retry 3: %v %v", d, ok)
	}
	// Every backoff function rises from the minimum to the maximum.
	for _, fn := range []string{"linear", "arithmetic", "geometric", "exponential"} {
		p := retryPolicy{MinDelayTarget: 1, MaxDelayTarget: 100, NumRetries: 5, BackoffFunction: fn}
		prev := time.Duration(0)
		for i := 1; i <= 5; i++ {
			d, _ := p.delay(i)
			if d < prev || d < time.Second || d > 100*time.Second {
				t.Errorf("%s retry %d: %v after %v", fn, i, d, prev)
			}
			prev = d
		}
		if prev != 100*time.Second {
			t.Errorf("%s: last retry %v, want the maximum", fn, prev)
		}
	}
}

func TestDeliveryPolicyValidation(t *testing.T) {
	bad := []string{
		`{"healthyRetryPolicy":{"minDelayTarget":0,"maxDelayTarget":1,"numRetries":1}}`,
		`{"healthyRetryPolicy":{"minDelayTarget":5,"maxDelayTarget":1,"numRetries":1}}`,
		`{"healthyRetryPolicy":{"minDelayTarget":1,"maxDelayTarget":1,"numRetries":101}}`,
		`{"healthyRetryPolicy":{"minDelayTarget":1,"maxDelayTarget":1,"numRetries":1,"numNoDelayRetries":2}}`,
		`{"healthyRetryPolicy":{"minDelayTarget":1,"maxDelayTarget":1,"numRetries":1,"backoffFunction":"cubic"}}`,
		`{"healthyRetryPolicy":`,
		`{"unknown":1}`,
	}
	for _, s := range bad {
		if _, err := parseSubDeliveryPolicy(s); err == nil {
			t.Errorf("accepted %s", s)
		}
	}
	ep := resolvePolicy(`{"http":{"defaultHealthyRetryPolicy":{"minDelayTarget":3,"maxDelayTarget":3,"numRetries":2},"disableSubscriptionOverrides":true}}`,
		`{"healthyRetryPolicy":{"minDelayTarget":1,"maxDelayTarget":1,"numRetries":9}}`)
	if ep.Retry.NumRetries != 2 {
		t.Errorf("subscription overrode a topic that disables overrides: %+v", ep.Retry)
	}
	ep = resolvePolicy(`{"http":{"defaultHealthyRetryPolicy":{"minDelayTarget":3,"maxDelayTarget":3,"numRetries":2}}}`,
		`{"healthyRetryPolicy":{"minDelayTarget":1,"maxDelayTarget":1,"numRetries":9}}`)
	if ep.Retry.NumRetries != 9 {
		t.Errorf("subscription policy ignored: %+v", ep.Retry)
	}
}
