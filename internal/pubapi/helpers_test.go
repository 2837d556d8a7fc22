package pubapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/herald-dev/herald/internal/brokertest"
	"github.com/herald-dev/herald/internal/pubapi"
	"github.com/herald-dev/herald/publisher/deliver"
	"github.com/herald-dev/herald/publisher/relay"
	"github.com/herald-dev/herald/publisher/store/sqlite"
)

// env is an API server over a real relay on an SQLite store, delivering
// to an in-process broker.
type env struct {
	t      testing.TB
	srv    *httptest.Server
	relay  *relay.Relay
	broker *brokertest.Broker
	logs   *lockedWriter
}

type envOptions struct {
	maxBody int64
	run     bool // run the relay's delivery loop
}

func newEnv(t testing.TB, o envOptions) *env {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "publisher.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	b := brokertest.Start(t)
	d, err := deliver.New(deliver.Config{
		AWS: aws.Config{
			Region:      brokertest.Region,
			Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""),
		},
		Endpoint: b.URL,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	logs := &lockedWriter{}
	log := slog.New(slog.NewTextHandler(logs, nil))
	r, err := relay.New(ctx, relay.Config{
		Store: st, Sender: d, Logger: slog.New(slog.DiscardHandler),
		Poll: 20 * time.Millisecond, Retry: relay.RetryPolicy{Base: 10 * time.Millisecond, Max: 50 * time.Millisecond},
	})
	if err != nil {
		t.Fatal(err)
	}
	if o.run {
		rctx, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { r.Run(rctx); close(done) }()
		t.Cleanup(func() { cancel(); <-done })
	}
	srv := httptest.NewServer(pubapi.New(pubapi.Config{Relay: r, Logger: log, MaxBody: o.maxBody}))
	t.Cleanup(srv.Close)
	return &env{t: t, srv: srv, relay: r, broker: b, logs: logs}
}

// with returns a copy of e that reports to t.
func (e *env) with(t testing.TB) *env {
	c := *e
	c.t = t
	return &c
}

// response is an HTTP answer, read whole.
type response struct {
	status int
	header http.Header
	body   []byte
}

// do sends a request; a string or []byte body goes as is with
// Content-Type application/json, anything else is marshalled.
func (e *env) do(method, path string, body any, header ...string) *response {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return &response{status: resp.StatusCode, header: resp.Header, body: data}
}

// json decodes the body into v, failing the test on a wrong status.
func (r *response) json(t testing.TB, status int, v any) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.body)
	}
	if ct := r.header.Get("Content-Type"); v != nil && ct != "application/json" {
		t.Fatalf("Content-Type %q, want application/json", ct)
	}
	if v != nil {
		if err := json.Unmarshal(r.body, v); err != nil {
			t.Fatalf("decoding %s: %v", r.body, err)
		}
	}
}

// problem checks that the answer is a well-formed problem document with
// the status, and returns it.
func (r *response) problem(t testing.TB, status int) *pubapi.Problem {
	t.Helper()
	p, err := parseProblem(r)
	if err != nil {
		t.Fatal(err)
	}
	if p.Status != status {
		t.Fatalf("status %d, want %d: %s", p.Status, status, r.body)
	}
	return p
}

// parseProblem checks a problem document's shape.
func parseProblem(r *response) (*pubapi.Problem, error) {
	if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
		return nil, errorf("Content-Type %q, want application/problem+json (status %d: %s)", ct, r.status, r.body)
	}
	dec := json.NewDecoder(bytes.NewReader(r.body))
	dec.DisallowUnknownFields()
	var p pubapi.Problem
	if err := dec.Decode(&p); err != nil {
		return nil, errorf("problem %s: %v", r.body, err)
	}
	switch {
	case p.Status != r.status:
		return nil, errorf("problem status %d, HTTP status %d", p.Status, r.status)
	case p.Type != "about:blank" && !strings.HasPrefix(p.Type, pubapi.ProblemBase):
		return nil, errorf("problem type %q", p.Type)
	case p.Title == "" || p.Detail == "":
		return nil, errorf("problem without title or detail: %s", r.body)
	}
	return &p, nil
}

// createQueueSubscription creates a queue and a subscription of tenant
// to it, and returns the queue URL and the subscription's id.
func (e *env) createQueueSubscription(tenant, queue string) (string, string) {
	e.t.Helper()
	qurl := e.broker.CreateQueue(e.t, queue, nil)
	var sub struct{ ID string }
	e.do("POST", "/v1/subscriptions", map[string]any{
		"tenant": tenant, "destination": map[string]any{"type": "sqs", "url": qurl},
	}).json(e.t, http.StatusCreated, &sub)
	return qurl, sub.ID
}

// receive waits for a message on the queue and deletes it.
func (e *env) receive(qurl string) string {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for ctx.Err() == nil {
		out, err := e.broker.SQS.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(qurl), WaitTimeSeconds: 1})
		if err != nil {
			e.t.Fatal(err)
		}
		for _, m := range out.Messages {
			e.broker.SQS.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(qurl), ReceiptHandle: m.ReceiptHandle})
			return aws.ToString(m.Body)
		}
	}
	e.t.Fatalf("nothing received on %s", qurl)
	return ""
}

// eventually retries f until it returns true or 10s pass.
func eventually(t testing.TB, what string, f func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !f() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func event(tenant, entity string) map[string]any {
	return map[string]any{
		"tenant": tenant, "entity_type": "photo", "entity_id": entity, "type": "photo.status_changed",
		"status": "DOWNLOADED", "occurred_at": "2026-03-01T10:00:00Z", "data": map[string]any{"size": 3},
	}
}
