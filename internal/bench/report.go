package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// Result is the outcome of one scenario.
type Result struct {
	Scenario     string
	Queue        string        // name of the queue it ran on
	Clients      int           // concurrent clients or senders
	Messages     int64         // messages sent, or received and deleted
	Elapsed      time.Duration // the time Messages took
	Errors       int64         // failed calls plus failed batch entries
	ErrorSamples []string      // the first distinct error messages
	Latency      *Histogram    // one sample per LatencyOf
	LatencyOf    string        // what one latency sample measures
	BatchSize    int           // entries per SendMessageBatch (batch-send)
	// CPU the benchmark process and the broker used while Messages were
	// measured; zero when unknown. BrokerLocal: the broker runs on this
	// machine, sharing its cores.
	ClientCPU, BrokerCPU time.Duration
	BrokerLocal          bool

	// receive-delete only.
	Prefill       *Phase
	Received      int64 // message ids received, repeats included
	Duplicates    int64 // ids received more than once
	Unknown       int64 // ids received that the prefill did not send
	EmptyReceives int64 // receives that waited 1 s and got nothing
	Drained       bool  // the queue ran dry before Duration passed
	QueueLeft     int64 // visible + in-flight messages at the end; -1 if unknown
	ExpectedLeft  int64 // prefilled minus deleted

	// consume only: the path an event takes.
	Parts string

	// fanout only.
	Deliveries    int64 // messages received (and deleted) from the subscribed queues
	Subscriptions int   // SQS subscriptions of the topic
	Raw           bool  // raw message delivery

	// publish only.
	DeliveryElapsed time.Duration // from the first POST to the last notification received
	DeliveryLatency *Histogram    // per event, from its POST to its receipt

	// latency only.
	TargetRate float64    // scheduled msgs/s
	StartLag   *Histogram // from due time to the start of the call: the client's own delay
	Service    *Histogram // from the start of the call to its end
}

// Phase is a preparatory step that was measured too.
type Phase struct {
	Messages  int64
	Elapsed   time.Duration
	Errors    int64
	BatchSize int
}

// Rate returns messages per second.
func (p *Phase) Rate() float64 { return rate(p.Messages, p.Elapsed) }

// Rate returns messages per second.
func (r *Result) Rate() float64 { return rate(r.Messages, r.Elapsed) }

func rate(n int64, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return float64(n) / d.Seconds()
}

// Notes describes in a few words what the numbers of r mean and anything
// unusual about its run.
func (r *Result) Notes() string {
	var n []string
	switch r.Scenario {
	case ScenarioSend:
		n = append(n, fmt.Sprintf("%d clients; latency per call", r.Clients))
	case ScenarioBatchSend:
		n = append(n, fmt.Sprintf("%d clients; latency per %s", r.Clients, r.LatencyOf))
	case ScenarioFanout:
		kind := "enveloped"
		if r.Raw {
			kind = "raw"
		}
		n = append(n, fmt.Sprintf("%d publishers, %d %s SQS subscriptions; %s deliveries at %s/s; latency per delivery, publish to receive",
			r.Clients, r.Subscriptions, kind, groupDigits(r.Deliveries), groupDigits(int64(rate(r.Deliveries, r.Elapsed)+0.5))))
	case ScenarioReceiveDelete:
		n = append(n, fmt.Sprintf("%d workers; latency per cycle; %s duplicates", r.Clients, groupDigits(r.Duplicates)))
		if r.Unknown > 0 {
			n = append(n, fmt.Sprintf("%s ids never sent", groupDigits(r.Unknown)))
		}
		if p := r.Prefill; p != nil {
			n = append(n, fmt.Sprintf("prefill %s msgs at %s msgs/s", groupDigits(p.Messages), groupDigits(int64(p.Rate()+0.5))))
			if p.Errors > 0 {
				n = append(n, fmt.Sprintf("%s prefill errors", groupDigits(p.Errors)))
			}
		}
		if r.Drained {
			n = append(n, fmt.Sprintf("drained after %.1fs (raise --prefill)", r.Elapsed.Seconds()))
		}
		if r.QueueLeft >= 0 && r.QueueLeft != r.ExpectedLeft {
			n = append(n, fmt.Sprintf("queue holds %s, expected %s", groupDigits(r.QueueLeft), groupDigits(r.ExpectedLeft)))
		}
	case ScenarioConsume:
		n = append(n, fmt.Sprintf("%d pollers, %s; %s duplicates", r.Clients, r.Parts, groupDigits(r.Duplicates)))
		if p := r.Prefill; p != nil {
			n = append(n, fmt.Sprintf("prefill %s msgs at %s msgs/s", groupDigits(p.Messages), groupDigits(int64(p.Rate()+0.5))))
		}
		if r.Drained {
			n = append(n, fmt.Sprintf("drained after %.1fs", r.Elapsed.Seconds()))
		} else if r.ExpectedLeft > 0 {
			n = append(n, fmt.Sprintf("%s not consumed within --duration", groupDigits(r.ExpectedLeft)))
		}
		if r.QueueLeft > 0 {
			n = append(n, fmt.Sprintf("queue holds %s", groupDigits(r.QueueLeft)))
		}
	case ScenarioPublish:
		n = append(n, fmt.Sprintf("%d clients; latency per %s; %s of %s events delivered to SQS at %s/s",
			r.Clients, r.LatencyOf, groupDigits(r.Deliveries), groupDigits(r.Messages), groupDigits(int64(rate(r.Deliveries, r.DeliveryElapsed)+0.5))))
		if h := r.DeliveryLatency; h != nil && h.Count() > 0 {
			n = append(n, fmt.Sprintf("event to queue p50 %s p99 %s", fmtMillis(h.Percentile(50)), fmtMillis(h.Percentile(99))))
		}
	case ScenarioPublishLatency:
		n = append(n, fmt.Sprintf("open loop at %s events/s; latency from scheduled POST to receipt from the queue; %s of %s delivered",
			groupDigits(int64(r.TargetRate+0.5)), groupDigits(r.Deliveries), groupDigits(r.Messages)))
		if r.Service != nil && r.Service.Count() > 0 {
			n = append(n, fmt.Sprintf("POST alone p50 %s p99 %s", fmtMillis(r.Service.Percentile(50)), fmtMillis(r.Service.Percentile(99))))
		}
	case ScenarioLatency:
		n = append(n, fmt.Sprintf("open loop at %s msgs/s; latency from scheduled time", groupDigits(int64(r.TargetRate+0.5))))
		if r.Service != nil && r.Service.Count() > 0 {
			n = append(n, fmt.Sprintf("call alone p50 %s p99 %s", fmtMillis(r.Service.Percentile(50)), fmtMillis(r.Service.Percentile(99))))
		}
		if r.StartLag != nil && r.StartLag.Count() > 0 {
			n = append(n, "client start lag p99 "+fmtMillis(r.StartLag.Percentile(99)))
		}
	}
	if c := r.cpuNote(); c != "" {
		n = append(n, c)
	}
	return strings.Join(n, "; ")
}

// fmtMillis formats d in milliseconds with three significant decimals.
func fmtMillis(d time.Duration) string {
	ms := float64(d) / float64(time.Millisecond)
	switch {
	case ms < 10:
		return fmt.Sprintf("%.3fms", ms)
	case ms < 100:
		return fmt.Sprintf("%.2fms", ms)
	default:
		return fmt.Sprintf("%.1fms", ms)
	}
}

// WriteTable prints results as an aligned table: scenario, msgs/s, p50,
// p99, max, errors and notes.
func WriteTable(w io.Writer, results []*Result) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "scenario\tmsgs/s\tp50\tp99\tmax\terrors\tnotes")
	for _, r := range results {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Scenario, groupDigits(int64(r.Rate()+0.5)),
			fmtMillis(r.Latency.Percentile(50)), fmtMillis(r.Latency.Percentile(99)), fmtMillis(r.Latency.Max()),
			groupDigits(r.Errors), r.Notes())
	}
	tw.Flush()
}

// jsonLatency is a latency histogram summarised in milliseconds.
type jsonLatency struct {
	Of    string  `json:"of,omitempty"`
	Count uint64  `json:"count"`
	Min   float64 `json:"min_ms"`
	Mean  float64 `json:"mean_ms"`
	P50   float64 `json:"p50_ms"`
	P90   float64 `json:"p90_ms"`
	P99   float64 `json:"p99_ms"`
	P999  float64 `json:"p999_ms"`
	Max   float64 `json:"max_ms"`
}

func summarise(h *Histogram, of string) *jsonLatency {
	if h == nil {
		return nil
	}
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	return &jsonLatency{Of: of, Count: h.Count(), Min: ms(h.Min()), Mean: ms(h.Mean()),
		P50: ms(h.Percentile(50)), P90: ms(h.Percentile(90)), P99: ms(h.Percentile(99)),
		P999: ms(h.Percentile(99.9)), Max: ms(h.Max())}
}

// jsonPhase is a Phase in JSON.
type jsonPhase struct {
	Messages  int64   `json:"messages"`
	Seconds   float64 `json:"seconds"`
	MsgsPerS  float64 `json:"msgs_per_sec"`
	Errors    int64   `json:"errors"`
	BatchSize int     `json:"batch_size"`
}

// jsonResult is a Result in JSON.
type jsonResult struct {
	Scenario      string       `json:"scenario"`
	Queue         string       `json:"queue"`
	Clients       int          `json:"clients"`
	Messages      int64        `json:"messages"`
	Seconds       float64      `json:"seconds"`
	MsgsPerS      float64      `json:"msgs_per_sec"`
	Errors        int64        `json:"errors"`
	ErrorSamples  []string     `json:"error_samples,omitempty"`
	Latency       *jsonLatency `json:"latency"`
	BatchSize     int          `json:"batch_size,omitempty"`
	Prefill       *jsonPhase   `json:"prefill,omitempty"`
	Received      *int64       `json:"received,omitempty"`
	Duplicates    *int64       `json:"duplicates,omitempty"`
	Unknown       *int64       `json:"unknown_ids,omitempty"`
	EmptyReceives *int64       `json:"empty_receives,omitempty"`
	Drained       bool         `json:"drained,omitempty"`
	QueueLeft     *int64       `json:"queue_left,omitempty"`
	ExpectedLeft  *int64       `json:"expected_left,omitempty"`
	TargetRate    float64      `json:"target_rate,omitempty"`
	StartLag      *jsonLatency `json:"start_lag,omitempty"`
	Service       *jsonLatency `json:"service,omitempty"`
	Parts         string       `json:"parts,omitempty"`
	// fanout and the publisher's scenarios.
	Deliveries      int64        `json:"deliveries,omitempty"`
	DeliveriesPerS  float64      `json:"deliveries_per_sec,omitempty"`
	DeliveryLatency *jsonLatency `json:"delivery_latency,omitempty"`
	// CPU per message, in microseconds, of the benchmark process and of the
	// broker; absent when unknown.
	ClientCPUPerMsg *float64 `json:"client_cpu_us_per_msg,omitempty"`
	BrokerCPUPerMsg *float64 `json:"broker_cpu_us_per_msg,omitempty"`
}

// WriteJSON prints cfg and results as one indented JSON object.
func WriteJSON(w io.Writer, cfg *Config, results []*Result) error {
	out := struct {
		Endpoint    string        `json:"endpoint"`
		Duration    float64       `json:"duration_s"`
		Concurrency int           `json:"concurrency"`
		BodySize    int           `json:"body_size"`
		Rate        float64       `json:"rate"`
		Results     []*jsonResult `json:"results"`
	}{cfg.Endpoint, cfg.Duration.Seconds(), cfg.Concurrency, cfg.BodySize, cfg.Rate, nil}
	for _, r := range results {
		j := &jsonResult{
			Scenario: r.Scenario, Queue: r.Queue, Clients: r.Clients, Messages: r.Messages,
			Seconds: r.Elapsed.Seconds(), MsgsPerS: r.Rate(), Errors: r.Errors, ErrorSamples: r.ErrorSamples,
			Latency: summarise(r.Latency, r.LatencyOf), BatchSize: r.BatchSize, Drained: r.Drained,
			TargetRate: r.TargetRate, StartLag: summarise(r.StartLag, "due time to call start"),
			Service: summarise(r.Service, "call start to call end"), Parts: r.Parts,
		}
		j.ClientCPUPerMsg, j.BrokerCPUPerMsg = microsPerMsg(r.ClientCPU, r.Messages), microsPerMsg(r.BrokerCPU, r.Messages)
		if r.Deliveries > 0 {
			j.Deliveries = r.Deliveries
			elapsed := r.Elapsed
			if r.DeliveryElapsed > 0 {
				elapsed = r.DeliveryElapsed
			}
			j.DeliveriesPerS = rate(r.Deliveries, elapsed)
			j.DeliveryLatency = summarise(r.DeliveryLatency, "event, from its POST to its receipt from the queue")
		}
		if p := r.Prefill; p != nil {
			j.Prefill = &jsonPhase{p.Messages, p.Elapsed.Seconds(), p.Rate(), p.Errors, p.BatchSize}
			j.Received, j.Duplicates, j.Unknown = &r.Received, &r.Duplicates, &r.Unknown
			j.EmptyReceives, j.ExpectedLeft = &r.EmptyReceives, &r.ExpectedLeft
			if r.QueueLeft >= 0 {
				j.QueueLeft = &r.QueueLeft
			}
		}
		out.Results = append(out.Results, j)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// microsPerMsg is d per message in microseconds, or nil when unknown.
func microsPerMsg(d time.Duration, n int64) *float64 {
	p := perMsg(d, n)
	if p < 0 {
		return nil
	}
	us := float64(p) / float64(time.Microsecond)
	return &us
}
