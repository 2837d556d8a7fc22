// Package sqssource feeds an SQS queue into a consumer.Processor: long
// polling, several pollers, visibility heartbeats for slow messages,
// partial batch acknowledgement and a graceful shutdown that finishes or
// releases every in-flight message. It works against Herald's broker and any
// SQS-compatible endpoint, real AWS included.
package sqssource

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/herald-dev/herald/consumer"
	"github.com/herald-dev/herald/internal/httpx"
)

// DefaultConcurrency is the number of pollers when Config.Concurrency is 0.
const DefaultConcurrency = 4

// NewHTTPTransport returns a transport that keeps an idle connection to the
// queue's endpoint for each request that a Source with that many pollers
// may have in flight: each poller's receive, a delete or heartbeat of the
// batch it holds, and a few more for the backlog watcher and the sinks
// that share the client. With net/http's default of 2, 32 pollers lost
// over a quarter of their throughput to dialling (docs/benchmarks.md).
func NewHTTPTransport(pollers int) *http.Transport {
	if pollers <= 0 {
		pollers = DefaultConcurrency
	}
	return httpx.Transport(2*pollers + 8)
}

// Config configures a Source. Zero values mean the documented defaults.
type Config struct {
	// QueueURL is the queue to consume. Required.
	QueueURL string `json:"queue_url"`
	// Concurrency is the number of pollers; each holds at most one batch in
	// flight. Default 4.
	Concurrency int `json:"concurrency"`
	// BatchSize is MaxNumberOfMessages per receive, 1 to 10. Default 10.
	BatchSize int `json:"batch_size"`
	// WaitTime is the long-poll wait per receive, 0 to 20s. Default 20s.
	// Zero cannot be configured: use 1s for the shortest wait.
	WaitTime consumer.Duration `json:"wait_time"`
	// VisibilityTimeout, when set, is asked for on every receive and is the
	// heartbeat's extension; else the queue's own VisibilityTimeout is read
	// at start.
	VisibilityTimeout consumer.Duration `json:"visibility_timeout"`
	// ShutdownTimeout is how long, after a shutdown begins, in-flight
	// messages may take to finish before their sinks are cancelled and the
	// messages released (ChangeMessageVisibility 0). Default 30s.
	ShutdownTimeout consumer.Duration `json:"shutdown_timeout"`
	// BacklogInterval is how often the queue's approximate backlog is read
	// for metrics. Default 15s; negative disables it.
	BacklogInterval consumer.Duration `json:"backlog_interval"`
}

// Validate checks the configuration and fills in defaults.
func (c *Config) Validate() error {
	if c.QueueURL == "" {
		return errors.New("sqs source: queue_url is required")
	}
	if u, err := url.Parse(c.QueueURL); err != nil || u.Scheme == "" || u.Host == "" {
		return fmt.Errorf("sqs source: queue_url %q is not an absolute URL", c.QueueURL)
	}
	if c.Concurrency == 0 {
		c.Concurrency = DefaultConcurrency
	}
	if c.Concurrency < 0 || c.Concurrency > 1000 {
		return fmt.Errorf("sqs source: concurrency %d out of range 1..1000", c.Concurrency)
	}
	if c.BatchSize == 0 {
		c.BatchSize = 10
	}
	if c.BatchSize < 1 || c.BatchSize > 10 {
		return fmt.Errorf("sqs source: batch_size %d out of range 1..10", c.BatchSize)
	}
	if c.WaitTime == 0 {
		c.WaitTime = consumer.Duration(20 * time.Second)
	}
	if c.WaitTime < 0 || c.WaitTime.Std() > 20*time.Second {
		return fmt.Errorf("sqs source: wait_time %s out of range 0..20s", c.WaitTime.Std())
	}
	if c.VisibilityTimeout < 0 || c.VisibilityTimeout.Std() > 12*time.Hour {
		return fmt.Errorf("sqs source: visibility_timeout %s out of range 0..12h", c.VisibilityTimeout.Std())
	}
	if c.VisibilityTimeout != 0 && c.VisibilityTimeout.Std() < time.Second {
		return errors.New("sqs source: visibility_timeout must be at least 1s")
	}
	if c.ShutdownTimeout == 0 {
		c.ShutdownTimeout = consumer.Duration(30 * time.Second)
	}
	if c.BacklogInterval == 0 {
		c.BacklogInterval = consumer.Duration(15 * time.Second)
	}
	return nil
}
