package bench

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"
)

// Scenario names, in the order "all" runs them.
const (
	ScenarioSend          = "send"
	ScenarioBatchSend     = "batch-send"
	ScenarioReceiveDelete = "receive-delete"
	ScenarioLatency       = "latency"
	ScenarioFanout        = "fanout"
	ScenarioConsume       = "consume"
	// The publisher's scenarios: they need herald serve's /v1/ API.
	ScenarioPublish        = "publish"
	ScenarioPublishLatency = "publish-latency"
)

// allScenarios is what --scenario all runs.
var allScenarios = []string{ScenarioSend, ScenarioBatchSend, ScenarioReceiveDelete, ScenarioLatency, ScenarioFanout, ScenarioConsume}

// publisherScenarios is what --scenario publisher runs: they need the
// publisher's API, which only herald serve has.
var publisherScenarios = []string{ScenarioPublish, ScenarioPublishLatency}

// maxMessageSize is SQS's limit on one message and on one batch's payload.
const maxMessageSize = 256 * 1024

// Config is a parsed command line.
type Config struct {
	Endpoint    string        // base URL of the broker
	Scenarios   []string      // scenarios to run, in order
	Duration    time.Duration // measured time of each scenario
	Concurrency int           // concurrent clients (goroutines)
	BodySize    int           // message body size in bytes
	Rate        float64       // messages per second of the latency scenario
	QueuePrefix string        // prefix of the queues the benchmark creates
	Prefill     int           // messages to prefill for receive-delete; 0 = fill for Duration
	JSON        bool          // also print the results as JSON
	RawDelivery bool          // fanout subscribes with RawMessageDelivery=true
	CPUProfile  string        // write this process's CPU profile here
	// ConsumeStore and ConsumeSink pick the consume scenario's dedupe store
	// and sink; the other values take one part out, so that the parts'
	// costs can be told apart.
	ConsumeStore string // "sqlite" (the default) or "memory"
	ConsumeSink  string // "kafka" (the default) or "discard"
}

const usageText = `Usage: herald bench [flags]

Measures a running Herald broker (or any SQS-compatible endpoint) through the
AWS SDK for Go v2 over real sockets. Every scenario runs on a queue of its
own, created at its start and deleted at its end. SDK retries are off, so
every failed call is counted as an error.

Scenarios:
  send            SendMessage from --concurrency clients in a closed loop:
                  msgs/s and per-call latency.
  batch-send      SendMessageBatch of 10 from --concurrency clients: msgs/s
                  and per-call latency.
  receive-delete  prefills the queue with batch sends (its rate is reported
                  too), then --concurrency workers loop ReceiveMessage
                  (MaxNumberOfMessages=10, WaitTimeSeconds=1) and
                  DeleteMessageBatch: msgs/s, latency per receive+delete
                  cycle, and messages received more than once.
  latency         open-loop SendMessage paced at --rate msgs/s; latency is
                  measured from each send's scheduled time, so a slow
                  server cannot hide its stalls (no coordinated omission).
  fanout          SNS: one topic with 10 SQS subscriptions; --concurrency
                  clients Publish in a closed loop while 2 workers per queue
                  receive and delete: publishes/s, deliveries/s, and latency
                  per delivery from Publish to ReceiveMessage.
  consume         the consumer (herald listen's pipeline, in this process):
                  prefills the queue, then --concurrency pollers drain it
                  through two-phase dedupe in an embedded SQLite store into
                  an in-process Kafka (kfake), deleting after each ack:
                  events/s delivered. --consume-store memory and
                  --consume-sink discard take a part out, to tell the
                  parts' costs apart.
  publish         the publisher (herald serve's /v1/ API): --concurrency
                  clients POST batches of 500 events for one subscription
                  routing them to an SQS queue that 8 workers drain: events
                  accepted/s, latency per POST, and deliveries/s from the
                  first POST to the last notification received.
  publish-latency the publisher, open loop: single-event POSTs paced at
                  --rate events/s; latency per event from its scheduled
                  POST to its receipt from the queue.
  all             the first six (the broker and the consumer), in that order.
  publisher       publish and publish-latency.

Progress goes to stderr once per second; the results table to stdout.
The benchmark runs with GOGC=400 unless GOGC is set, so that its own garbage
collection takes less CPU from a broker on the same machine.

Flags:
`

// ParseFlags parses the arguments of "herald bench". It returns flag.ErrHelp
// after printing the usage for --help, and an error naming the flag for a bad
// value.
func ParseFlags(args []string, stderr io.Writer) (*Config, error) {
	c := &Config{}
	fs := flag.NewFlagSet("herald bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, usageText)
		fs.PrintDefaults()
	}
	var scenario string
	fs.StringVar(&c.Endpoint, "endpoint", "http://127.0.0.1:9324", "base `URL` of the broker to measure")
	fs.StringVar(&scenario, "scenario", "all", "`scenarios` to run: send, batch-send, receive-delete, latency, fanout, consume, publish, publish-latency, all, publisher, or a comma-separated list")
	fs.DurationVar(&c.Duration, "duration", 10*time.Second, "measured `time` of each scenario (receive-delete's prefill comes on top)")
	fs.IntVar(&c.Concurrency, "concurrency", 16, "concurrent clients (goroutines) in the send, batch-send, receive-delete and fanout scenarios")
	fs.IntVar(&c.BodySize, "body-size", 256, "message body size in `bytes` (1 to 262144; batches shrink below 10 entries when 10 bodies exceed 256 KiB)")
	fs.Float64Var(&c.Rate, "rate", 1000, "paced send `rate` in msgs/s of the latency and publish-latency scenarios")
	fs.StringVar(&c.QueuePrefix, "queue-prefix", "herald-bench", "`prefix` of the queue names the benchmark creates (letters, digits, - and _)")
	fs.IntVar(&c.Prefill, "prefill", 0, "`messages` to put in the receive-delete and consume queues before measuring; 0 means batch-send for --duration")
	fs.BoolVar(&c.RawDelivery, "raw-delivery", false, "fanout subscriptions deliver the raw message (no signed JSON envelope)")
	fs.StringVar(&c.CPUProfile, "cpuprofile", "", "write the benchmark process's CPU profile to `file` (the consume scenario runs the consumer in this process)")
	fs.StringVar(&c.ConsumeStore, "consume-store", "sqlite", "the consume scenario's dedupe `store`: sqlite (durable, the default) or memory")
	fs.StringVar(&c.ConsumeSink, "consume-sink", "kafka", "the consume scenario's `sink`: kafka (kfake, acks=all, the default) or discard")
	fs.BoolVar(&c.JSON, "json", false, "also print the results as one JSON object on stdout, after the table")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("bench takes no arguments, got %q", fs.Args())
	}
	var err error
	if c.Scenarios, err = parseScenarios(scenario); err != nil {
		return nil, err
	}
	return c, c.validate()
}

// parseScenarios turns the --scenario value into a list without repeats.
func parseScenarios(s string) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	for _, name := range strings.Split(s, ",") {
		name = strings.TrimSpace(name)
		var names []string
		switch name {
		case "all":
			names = allScenarios
		case "publisher":
			names = publisherScenarios
		case ScenarioSend, ScenarioBatchSend, ScenarioReceiveDelete, ScenarioLatency, ScenarioFanout, ScenarioConsume, ScenarioPublish, ScenarioPublishLatency:
			names = []string{name}
		default:
			return nil, fmt.Errorf("--scenario: unknown scenario %q (want send, batch-send, receive-delete, latency, fanout, consume, publish, publish-latency, all or publisher)", name)
		}
		for _, n := range names {
			if !seen[n] {
				seen[n] = true
				out = append(out, n)
			}
		}
	}
	return out, nil
}

func (c *Config) validate() error {
	u, err := url.Parse(c.Endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("--endpoint: want an http:// or https:// URL, got %q", c.Endpoint)
	}
	switch {
	case c.Duration <= 0:
		return errors.New("--duration must be positive")
	case c.Concurrency < 1 || c.Concurrency > 4096:
		return fmt.Errorf("--concurrency must be between 1 and 4096, got %d", c.Concurrency)
	case c.BodySize < 1 || c.BodySize > maxMessageSize:
		return fmt.Errorf("--body-size must be between 1 and %d, got %d", maxMessageSize, c.BodySize)
	case !(c.Rate > 0) || c.Rate > 1e6:
		return fmt.Errorf("--rate must be above 0 and at most 1000000, got %v", c.Rate)
	case c.ConsumeStore != "sqlite" && c.ConsumeStore != "memory":
		return fmt.Errorf("--consume-store must be sqlite or memory, got %q", c.ConsumeStore)
	case c.ConsumeSink != "kafka" && c.ConsumeSink != "discard":
		return fmt.Errorf("--consume-sink must be kafka or discard, got %q", c.ConsumeSink)
	case c.Prefill < 0:
		return fmt.Errorf("--prefill must not be negative, got %d", c.Prefill)
	case c.QueuePrefix == "" || len(c.QueuePrefix) > 40 || strings.Trim(c.QueuePrefix, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") != "":
		return fmt.Errorf("--queue-prefix must be 1 to 40 letters, digits, - or _, got %q", c.QueuePrefix)
	}
	return nil
}

// batchSize is the number of entries per SendMessageBatch: 10, or fewer when
// ten bodies would exceed the 256 KiB batch payload limit.
func (c *Config) batchSize() int {
	return min(10, max(1, maxMessageSize/c.BodySize))
}
