package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/herald-dev/herald/internal/metrics"
	"github.com/herald-dev/herald/internal/queue"
	"github.com/herald-dev/herald/internal/server"
	"github.com/herald-dev/herald/internal/snsmsg"
	"github.com/herald-dev/herald/internal/store/memstore"
	"github.com/herald-dev/herald/internal/topic"
)

// newStore returns the store of the servers that tests and benchmarks
// start: in memory, unless a build tag swaps it (see profile_sqlite_test.go).
var newStore = func(testing.TB) queue.Store { return memstore.New() }

// startServer runs a Herald server over newStore on a loopback port and
// returns its URL and engine.
func startServer(tb testing.TB) (string, *queue.Engine) {
	tb.Helper()
	e, err := queue.Open(context.Background(), queue.Options{Store: newStore(tb)})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(e.Close)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	h := &lateHandler{}
	srv := httptest.NewServer(h)
	tb.Cleanup(srv.Close)
	signer, err := snsmsg.Ephemeral()
	if err != nil {
		tb.Fatal(err)
	}
	topics, err := topic.Open(context.Background(), topic.Options{Queues: e, Signer: signer, BaseURL: srv.URL, Logger: log})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(topics.Close)
	reg := metrics.NewRegistry()
	reg.RegisterProcess() // in process, the broker's CPU is the test's
	h.h = server.New(server.Config{Engine: e, Topics: topics, Logger: log, Registry: reg})
	return srv.URL, e
}

// lateHandler serves h, set once the server's URL is known.
type lateHandler struct{ h http.Handler }

func (l *lateHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) { l.h.ServeHTTP(w, r) }

// TestMainAllScenarios runs every scenario for about a second through Main
// against an in-process server and checks the JSON results for sanity.
func TestMainAllScenarios(t *testing.T) {
	if testing.Short() {
		t.Skip("runs for several seconds")
	}
	url, e := startServer(t)
	var stdout, stderr bytes.Buffer
	err := Main(context.Background(), []string{
		"--endpoint", url, "--duration", "1s", "--concurrency", "4", "--rate", "200", "--json", "--queue-prefix", "t",
	}, &stdout, &stderr)
	t.Logf("stderr:\n%s", stderr.String())
	if err != nil {
		t.Fatalf("Main: %v\nstdout:\n%s", err, stdout.String())
	}
	out := stdout.String()
	t.Logf("stdout:\n%s", out)
	table, js, ok := strings.Cut(out, "\n{")
	if !ok {
		t.Fatalf("no JSON after the table")
	}
	for _, s := range allScenarios {
		if !strings.Contains(table, "\n"+s+" ") {
			t.Errorf("table lacks a %s row", s)
		}
	}
	if !strings.Contains(table, "CPU per msg: client ") || !strings.Contains(table, " msgs/s)") {
		t.Errorf("the table shows no CPU per message")
	}
	var got struct {
		Results []struct {
			Scenario   string   `json:"scenario"`
			Messages   int64    `json:"messages"`
			MsgsPerS   float64  `json:"msgs_per_sec"`
			Errors     int64    `json:"errors"`
			Samples    []string `json:"error_samples"`
			Duplicates *int64   `json:"duplicates"`
			Unknown    *int64   `json:"unknown_ids"`
			Received   *int64   `json:"received"`
			QueueLeft  *int64   `json:"queue_left"`
			Expected   *int64   `json:"expected_left"`
			ClientCPU  *float64 `json:"client_cpu_us_per_msg"`
			BrokerCPU  *float64 `json:"broker_cpu_us_per_msg"`
			Latency    struct {
				Count uint64  `json:"count"`
				P50   float64 `json:"p50_ms"`
				P99   float64 `json:"p99_ms"`
				Max   float64 `json:"max_ms"`
			} `json:"latency"`
			Prefill *struct {
				Messages int64 `json:"messages"`
				Errors   int64 `json:"errors"`
			} `json:"prefill"`
		} `json:"results"`
	}
	if err := json.Unmarshal([]byte("{"+js), &got); err != nil {
		t.Fatalf("JSON: %v", err)
	}
	if len(got.Results) != len(allScenarios) {
		t.Fatalf("%d results, want %d", len(got.Results), len(allScenarios))
	}
	for i, r := range got.Results {
		if r.Scenario != allScenarios[i] {
			t.Errorf("result %d is %s, want %s", i, r.Scenario, allScenarios[i])
		}
		if r.Messages <= 0 || r.MsgsPerS <= 0 {
			t.Errorf("%s: %d messages at %v msgs/s", r.Scenario, r.Messages, r.MsgsPerS)
		}
		if r.Errors != 0 {
			t.Errorf("%s: %d errors: %q", r.Scenario, r.Errors, r.Samples)
		}
		// The CPU figures of the closed loops (the latency scenario has
		// none): the broker is this process, so both read the same clock
		// a moment apart.
		if r.Scenario != ScenarioLatency {
			if r.ClientCPU == nil || r.BrokerCPU == nil || *r.ClientCPU <= 0 || *r.BrokerCPU < *r.ClientCPU/2 || *r.BrokerCPU > *r.ClientCPU*2 {
				t.Errorf("%s: CPU per msg: client %v, broker %v", r.Scenario, r.ClientCPU, r.BrokerCPU)
			}
		}
		l := r.Latency
		if l.Count == 0 || !(0 < l.P50 && l.P50 <= l.P99 && l.P99 <= l.Max) {
			t.Errorf("%s: latency %+v", r.Scenario, l)
		}
	}
	if rd := got.Results[2]; rd.Duplicates == nil || *rd.Duplicates != 0 || *rd.Unknown != 0 ||
		*rd.Received != rd.Messages || rd.Prefill == nil || rd.Prefill.Messages < rd.Messages || rd.Prefill.Errors != 0 ||
		rd.QueueLeft == nil || *rd.QueueLeft != *rd.Expected {
		t.Errorf("receive-delete: %+v", rd)
	}
	if lat := got.Results[3]; lat.Messages < 150 || lat.Messages > 200 {
		t.Errorf("latency sent %d messages at 200/s for 1s", lat.Messages)
	}
	if n := len(e.AllQueues()); n != 0 {
		t.Errorf("%d queues left behind", n)
	}
}

// TestReceiveDeleteDrains prefills a fixed count that the workers drain
// before the duration ends: every message must come back exactly once.
func TestReceiveDeleteDrains(t *testing.T) {
	url, _ := startServer(t)
	client, closeIdle := NewClient(url, 3)
	defer closeIdle()
	r := runOne(t, client, "--endpoint", url, "--scenario", "receive-delete", "--duration", "5s", "--concurrency", "3", "--prefill", "995")
	if r.Prefill.Messages != 995 || r.Messages != 995 || r.Received != 995 || r.Duplicates != 0 || r.Unknown != 0 ||
		r.Errors != 0 || !r.Drained || r.QueueLeft != 0 || r.ExpectedLeft != 0 {
		t.Errorf("result %+v prefill %+v", r, r.Prefill)
	}
	if r.Elapsed >= 5*time.Second {
		t.Errorf("drained run took the whole %v", r.Elapsed)
	}
}

// runOne runs the one scenario that args name with client and returns its
// result.
func runOne(t *testing.T, client *sqs.Client, args ...string) *Result {
	t.Helper()
	cfg, err := ParseFlags(args, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Run(context.Background(), cfg, client, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	return res[0]
}

// TestConsumeParts drains a prefilled queue through the consume scenario
// with each choice of store and sink: every message is delivered once and
// deleted, and the result names the parts it ran.
func TestConsumeParts(t *testing.T) {
	url, _ := startServer(t)
	client, closeIdle := NewClient(url, 4)
	defer closeIdle()
	for _, c := range []struct{ store, sink, parts string }{
		{"memory", "discard", "SQS → dedupe (memory) → discard → delete"},
		{"sqlite", "discard", "SQS → dedupe (SQLite) → discard → delete"},
		{"memory", "kafka", "SQS → dedupe (memory) → Kafka (kfake, acks=all) → delete"},
	} {
		t.Run(c.store+"-"+c.sink, func(t *testing.T) {
			r := runOne(t, client, "--endpoint", url, "--scenario", "consume", "--duration", "10s", "--concurrency", "4",
				"--prefill", "730", "--consume-store", c.store, "--consume-sink", c.sink)
			if r.Parts != c.parts || r.Messages != 730 || r.Duplicates != 0 || r.Errors != 0 || !r.Drained || r.QueueLeft != 0 {
				t.Errorf("result %+v", r)
			}
		})
	}
}

// TestClosedLoopCountsErrors checks that failed calls and failed batch
// entries are counted and take no latency sample.
func TestClosedLoopCountsErrors(t *testing.T) {
	var stderr bytes.Buffer
	r := &runner{cfg: &Config{}, progress: &stderr}
	var calls atomic.Int64
	lr := r.closedLoop(context.Background(), "test", 2, 5*time.Second, func(context.Context, int) outcome {
		switch n := calls.Add(1); {
		case n > 30:
			return outcome{skip: true, done: true}
		case n%3 == 0:
			return outcome{err: errors.New("boom")}
		default:
			return outcome{msgs: 2, failed: 1}
		}
	})
	// 30 calls: 10 errors, 20 successes of 2 messages and 1 failed entry.
	if lr.msgs != 40 || lr.errors != 30 || lr.hist.Count() != 20 {
		t.Errorf("msgs %d errors %d samples %d, want 40 30 20", lr.msgs, lr.errors, lr.hist.Count())
	}
	if len(lr.samples) != 2 || !strings.Contains(stderr.String(), "test: error: boom") {
		t.Errorf("samples %q stderr %q", lr.samples, stderr.String())
	}
	if lr.elapsed >= 5*time.Second {
		t.Errorf("loop ran %v after every worker was done", lr.elapsed)
	}
}

func TestCountIDs(t *testing.T) {
	sent := [][]string{{"a", "b"}, {"c"}}
	recv := [][]string{{"a", "c"}, {"a", "x", "b"}}
	received, dup, unknown := countIDs(sent, recv)
	if received != 5 || dup != 1 || unknown != 1 {
		t.Errorf("countIDs = %d %d %d, want 5 1 1", received, dup, unknown)
	}
}

func TestMainEndpointDown(t *testing.T) {
	srv := httptest.NewServer(nil)
	url := srv.URL
	srv.Close() // nothing listens there any more
	err := Main(context.Background(), []string{"--endpoint", url, "--duration", "100ms", "--scenario", "send"}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "create queue") {
		t.Fatalf("err %v, want a create queue error", err)
	}
}

// TestBufferedBody checks that the body workaround sends the same bytes from
// memory and leaves the caller's request alone.
func TestBufferedBody(t *testing.T) {
	var got *http.Request
	var body []byte
	next := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		got = r
		var err error
		body, err = io.ReadAll(r.Body)
		return &http.Response{StatusCode: 200, Body: http.NoBody}, err
	})
	orig := io.NopCloser(strings.NewReader(`{"a":1}`))
	req := httptest.NewRequest(http.MethodPost, "http://x/", orig)
	req.ContentLength = -1
	if _, err := (bufferedBody{next}).RoundTrip(req); err != nil {
		t.Fatal(err)
	}
	if string(body) != `{"a":1}` || got.ContentLength != 7 || got == req || req.Body != orig {
		t.Fatalf("sent %q, length %d; same request %v; caller's body replaced %v", body, got.ContentLength, got == req, req.Body != orig)
	}
	again, err := got.GetBody()
	if b, _ := io.ReadAll(again); err != nil || string(b) != `{"a":1}` {
		t.Fatalf("GetBody: %q, %v", b, err)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
