package topic

import (
	"bytes"
	"encoding/json"
	"math"
	"time"
)

// retryPolicy is an HTTP(S) delivery policy's healthyRetryPolicy.
type retryPolicy struct {
	MinDelayTarget     int    `json:"minDelayTarget"`
	MaxDelayTarget     int    `json:"maxDelayTarget"`
	NumRetries         int    `json:"numRetries"`
	NumMaxDelayRetries int    `json:"numMaxDelayRetries"`
	NumNoDelayRetries  int    `json:"numNoDelayRetries"`
	NumMinDelayRetries int    `json:"numMinDelayRetries"`
	BackoffFunction    string `json:"backoffFunction"`
}

// defaultContentType is the Content-Type of HTTP(S) deliveries unless a
// request policy says otherwise.
const defaultContentType = "text/plain; charset=UTF-8"

// defaultRetryPolicy is SNS's default for HTTP(S): three retries 20 s apart.
var defaultRetryPolicy = retryPolicy{MinDelayTarget: 20, MaxDelayTarget: 20, NumRetries: 3, BackoffFunction: "linear"}

type throttlePolicy struct {
	MaxReceivesPerSecond int `json:"maxReceivesPerSecond,omitempty"`
}

type requestPolicy struct {
	HeaderContentType string `json:"headerContentType,omitempty"`
}

// subDeliveryPolicy is a subscription's DeliveryPolicy attribute.
type subDeliveryPolicy struct {
	HealthyRetryPolicy *retryPolicy    `json:"healthyRetryPolicy,omitempty"`
	ThrottlePolicy     *throttlePolicy `json:"throttlePolicy,omitempty"`
	RequestPolicy      *requestPolicy  `json:"requestPolicy,omitempty"`
}

// topicHTTPPolicy is the "http" member of a topic's DeliveryPolicy.
type topicHTTPPolicy struct {
	DefaultHealthyRetryPolicy    *retryPolicy    `json:"defaultHealthyRetryPolicy,omitempty"`
	DisableSubscriptionOverrides bool            `json:"disableSubscriptionOverrides"`
	DefaultThrottlePolicy        *throttlePolicy `json:"defaultThrottlePolicy,omitempty"`
	DefaultRequestPolicy         *requestPolicy  `json:"defaultRequestPolicy,omitempty"`
}

type topicDeliveryPolicy struct {
	HTTP *topicHTTPPolicy `json:"http,omitempty"`
}

func strictUnmarshal(s string, v any) error {
	d := json.NewDecoder(bytes.NewReader([]byte(s)))
	d.DisallowUnknownFields()
	return d.Decode(v)
}

func (p *retryPolicy) validate() error {
	switch {
	case p.NumRetries < 0 || p.NumRetries > 100:
		return invalid("DeliveryPolicy: numRetries must be between 0 and 100")
	case p.MinDelayTarget < 1 || p.MinDelayTarget > 3600:
		return invalid("DeliveryPolicy: minDelayTarget must be between 1 and 3600")
	case p.MaxDelayTarget < 1 || p.MaxDelayTarget > 3600:
		return invalid("DeliveryPolicy: maxDelayTarget must be between 1 and 3600")
	case p.MinDelayTarget > p.MaxDelayTarget:
		return invalid("DeliveryPolicy: minDelayTarget must be less than or equal to maxDelayTarget")
	case p.NumNoDelayRetries < 0 || p.NumMinDelayRetries < 0 || p.NumMaxDelayRetries < 0:
		return invalid("DeliveryPolicy: retry counts must not be negative")
	case p.NumNoDelayRetries+p.NumMinDelayRetries+p.NumMaxDelayRetries > p.NumRetries:
		return invalid("DeliveryPolicy: numNoDelayRetries + numMinDelayRetries + numMaxDelayRetries must not exceed numRetries")
	}
	switch p.BackoffFunction {
	case "":
		p.BackoffFunction = "linear"
	case "linear", "arithmetic", "geometric", "exponential":
	default:
		return invalid("DeliveryPolicy: backoffFunction must be one of linear, arithmetic, geometric, exponential")
	}
	return nil
}

func parseSubDeliveryPolicy(s string) (*subDeliveryPolicy, error) {
	var p subDeliveryPolicy
	if err := strictUnmarshal(s, &p); err != nil {
		return nil, invalid("DeliveryPolicy: failed to parse JSON. %v", err)
	}
	if p.HealthyRetryPolicy != nil {
		if err := p.HealthyRetryPolicy.validate(); err != nil {
			return nil, err
		}
	}
	return &p, nil
}

func parseTopicDeliveryPolicy(s string) (*topicDeliveryPolicy, error) {
	var p topicDeliveryPolicy
	d := json.NewDecoder(bytes.NewReader([]byte(s)))
	if err := d.Decode(&p); err != nil {
		return nil, invalid("DeliveryPolicy: failed to parse JSON. %v", err)
	}
	if p.HTTP != nil && p.HTTP.DefaultHealthyRetryPolicy != nil {
		if err := p.HTTP.DefaultHealthyRetryPolicy.validate(); err != nil {
			return nil, err
		}
	}
	return &p, nil
}

// effectiveTopicDeliveryPolicy is the EffectiveDeliveryPolicy attribute of
// a topic whose DeliveryPolicy is set (or "").
func effectiveTopicDeliveryPolicy(set string) string {
	hp := effectiveTopicHTTP(set)
	b, _ := json.Marshal(topicDeliveryPolicy{HTTP: &hp})
	return string(b)
}

// effectiveTopicHTTP is a topic's DeliveryPolicy (or "") merged over SNS's
// defaults.
func effectiveTopicHTTP(set string) topicHTTPPolicy {
	hp := topicHTTPPolicy{DefaultHealthyRetryPolicy: &defaultRetryPolicy, DefaultRequestPolicy: &requestPolicy{HeaderContentType: defaultContentType}}
	if set == "" {
		return hp
	}
	p, err := parseTopicDeliveryPolicy(set)
	if err != nil || p.HTTP == nil {
		return hp
	}
	hp.DisableSubscriptionOverrides = p.HTTP.DisableSubscriptionOverrides
	if p.HTTP.DefaultHealthyRetryPolicy != nil {
		hp.DefaultHealthyRetryPolicy = p.HTTP.DefaultHealthyRetryPolicy
	}
	if p.HTTP.DefaultThrottlePolicy != nil {
		hp.DefaultThrottlePolicy = p.HTTP.DefaultThrottlePolicy
	}
	if p.HTTP.DefaultRequestPolicy != nil {
		hp.DefaultRequestPolicy = p.HTTP.DefaultRequestPolicy
	}
	return hp
}

// effectivePolicy is what governs deliveries to one HTTP(S) subscription.
type effectivePolicy struct {
	Retry       retryPolicy
	MaxPerSec   int
	ContentType string
}

// resolvePolicy combines a topic's and a subscription's delivery policies
// as SNS does: the subscription's override the topic's defaults unless the
// topic disables overrides.
func resolvePolicy(topicPolicy, subPolicy string) effectivePolicy {
	hp := effectiveTopicHTTP(topicPolicy)
	ep := effectivePolicy{Retry: *hp.DefaultHealthyRetryPolicy, ContentType: defaultContentType}
	if t := hp.DefaultThrottlePolicy; t != nil {
		ep.MaxPerSec = t.MaxReceivesPerSecond
	}
	if r := hp.DefaultRequestPolicy; r.HeaderContentType != "" {
		ep.ContentType = r.HeaderContentType
	}
	override := !hp.DisableSubscriptionOverrides
	if override && subPolicy != "" {
		if p, err := parseSubDeliveryPolicy(subPolicy); err == nil {
			if p.HealthyRetryPolicy != nil {
				ep.Retry = *p.HealthyRetryPolicy
			}
			if p.ThrottlePolicy != nil {
				ep.MaxPerSec = p.ThrottlePolicy.MaxReceivesPerSecond
			}
			if p.RequestPolicy != nil && p.RequestPolicy.HeaderContentType != "" {
				ep.ContentType = p.RequestPolicy.HeaderContentType
			}
		}
	}
	return ep
}

// effectiveSubDeliveryPolicy is the EffectiveDeliveryPolicy attribute of an
// HTTP(S) subscription.
func effectiveSubDeliveryPolicy(topicPolicy, subPolicy string) string {
	ep := resolvePolicy(topicPolicy, subPolicy)
	// AWS's shape, nulls included.
	p := struct {
		HealthyRetryPolicy *retryPolicy    `json:"healthyRetryPolicy"`
		SicklyRetryPolicy  *retryPolicy    `json:"sicklyRetryPolicy"`
		ThrottlePolicy     *throttlePolicy `json:"throttlePolicy"`
		RequestPolicy      *requestPolicy  `json:"requestPolicy"`
		Guaranteed         bool            `json:"guaranteed"`
	}{HealthyRetryPolicy: &ep.Retry, RequestPolicy: &requestPolicy{HeaderContentType: ep.ContentType}}
	if ep.MaxPerSec > 0 {
		p.ThrottlePolicy = &throttlePolicy{MaxReceivesPerSecond: ep.MaxPerSec}
	}
	b, _ := json.Marshal(p)
	return string(b)
}

// delay returns how long to wait before retry number n (1 for the first
// retry), and false when the policy allows no retry n. The retries go
// through SNS's four phases in order: immediate retries, retries at the
// minimum delay, a backoff phase from the minimum to the maximum delay
// shaped by the backoff function, and retries at the maximum delay.
func (p retryPolicy) delay(n int) (time.Duration, bool) {
	if n < 1 || n > p.NumRetries {
		return 0, false
	}
	sec := func(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }
	minD, maxD := float64(p.MinDelayTarget), float64(p.MaxDelayTarget)
	if n <= p.NumNoDelayRetries {
		return 0, true
	}
	n -= p.NumNoDelayRetries
	if n <= p.NumMinDelayRetries {
		return sec(minD), true
	}
	n -= p.NumMinDelayRetries
	backoff := p.NumRetries - p.NumNoDelayRetries - p.NumMinDelayRetries - p.NumMaxDelayRetries
	if n > backoff {
		return sec(maxD), true
	}
	if backoff == 1 {
		return sec(minD), true
	}
	x := float64(n-1) / float64(backoff-1) // 0 at the first backoff retry, 1 at the last
	var f float64
	switch p.BackoffFunction {
	case "arithmetic":
		f = x * x
	case "geometric":
		f = x * x * x
	case "exponential":
		f = (math.Pow(2, 10*x) - 1) / (math.Pow(2, 10) - 1)
	default: // linear
		f = x
	}
	return sec(minD + (maxD-minD)*f), true
}
