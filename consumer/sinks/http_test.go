package sinks

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/herald-dev/herald/consumer"
	"github.com/herald-dev/herald/internal/nettest"
)

// fastRetries keeps retry waits short in tests.
func fastRetries(cfg HTTPConfig) HTTPConfig {
	cfg.RetryBackoff = consumer.Duration(time.Millisecond)
	cfg.MaxBackoff = consumer.Duration(5 * time.Millisecond)
	return cfg
}

func newHTTP(t *testing.T, cfg HTTPConfig) *HTTP {
	t.Helper()
	h, err := NewHTTP(cfg, nil)
	if err != nil {
		t.Fatalf("NewHTTP: %v", err)
	}
	t.Cleanup(func() { _ = h.Close() })
	return h
}

// recorded is one request as the test server saw it.
type recorded struct {
	method, path string
	header       http.Header
	body         string
}

func TestHTTPDeliverSendsBodyAndHeaders(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		cfg       HTTPConfig
		body, key string
		attrs     map[string]string
		wantPath  string
		wantMeth  string
		want      map[string]string // header: value ("" means absent)
	}{
		{
			name: "json body", cfg: HTTPConfig{URL: "/hooks/photos"},
			body: `{"id":1419977,"status":"DOWNLOADED"}`, key: "1419977:DOWNLOADED",
			wantPath: "/hooks/photos", wantMeth: "POST",
			want: map[string]string{
				"Content-Type": "application/json", "Idempotency-Key": "1419977:DOWNLOADED",
				"X-Herald-Message-Id": "msg-1", "User-Agent": userAgent,
			},
		},
		{
			name: "binary body", cfg: HTTPConfig{URL: "/raw", Method: "put"},
			body: "not json", key: "k1",
			wantPath: "/raw", wantMeth: "PUT",
			want: map[string]string{"Content-Type": "application/octet-stream", "Idempotency-Key": "k1"},
		},
		{
			name: "templates", body: `{"person":{"org":"acme"}}`, key: "k2", attrs: map[string]string{"type": "photo"},
			cfg: HTTPConfig{
				URL:  `/{{.Vars.env}}/{{field "person.org" .Event}}`,
				Vars: map[string]string{"env": "qa"},
				Headers: map[string]string{
					"X-Event-Type":  `{{index .Attributes "type"}}`,
					"authorization": "Bearer static",
					"Content-Type":  "application/vnd.photo+json",
				},
			},
			wantPath: "/qa/acme", wantMeth: "POST",
			want: map[string]string{
				"X-Event-Type": "photo", "Authorization": "Bearer static",
				"Content-Type": "application/vnd.photo+json", "Idempotency-Key": "k2",
			},
		},
		{
			name: "no key", cfg: HTTPConfig{URL: "/"}, body: `{}`, key: "",
			wantPath: "/", wantMeth: "POST",
			want: map[string]string{"Idempotency-Key": ""},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := make(chan recorded, 1)
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				b, _ := io.ReadAll(r.Body)
				got <- recorded{r.Method, r.URL.Path, r.Header, string(b)}
				w.WriteHeader(http.StatusAccepted)
			}))
			t.Cleanup(srv.Close)
			cfg := tt.cfg
			cfg.URL = srv.URL + cfg.URL
			h := newHTTP(t, cfg)
			ev := event(t, tt.body, tt.key)
			if tt.attrs != nil {
				ev.Attributes = tt.attrs
			}
			if err := h.Deliver(context.Background(), ev); err != nil {
				t.Fatalf("Deliver: %v", err)
			}
			r := <-got
			if r.method != tt.wantMeth || r.path != tt.wantPath || r.body != tt.body {
				t.Errorf("got %s %s %q, want %s %s %q", r.method, r.path, r.body, tt.wantMeth, tt.wantPath, tt.body)
			}
			for name, want := range tt.want {
				if v := r.header.Get(name); v != want {
					t.Errorf("header %s = %q, want %q", name, v, want)
				}
			}
		})
	}
}

// statusServer answers the i-th request with codes[i] (the last code
// repeating), and counts requests.
func statusServer(t *testing.T, codes ...int) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := int(n.Add(1)) - 1
		code := codes[min(i, len(codes)-1)]
		if code/100 == 3 {
			w.Header().Set("Location", "/moved")
		}
		w.WriteHeader(code)
		_, _ = io.WriteString(w, "answer "+strconv.Itoa(code)+" from the hook")
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func TestHTTPStatusClassification(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		codes     []int
		retries   int
		wantErr   bool
		permanent bool
		wantReqs  int64
		wantText  string
	}{
		{"2xx", []int{200}, 0, false, false, 1, ""},
		{"404 at once", []int{404}, 0, true, true, 1, "404"},
		{"400 body quoted", []int{400}, 0, true, true, 1, "answer 400 from the hook"},
		{"302 not followed", []int{302}, 0, true, true, 1, "redirects are not followed"},
		{"308 not followed", []int{308}, 0, true, true, 1, "redirects are not followed"},
		{"5xx exhausts retries", []int{500}, 0, true, false, 3, "attempt 3 of 3"},
		{"503 then ok", []int{503, 200}, 0, false, false, 2, ""},
		{"408 then ok", []int{408, 204}, 0, false, false, 2, ""},
		{"429 twice then ok", []int{429, 429, 200}, 0, false, false, 3, ""},
		{"retries disabled", []int{500}, -1, true, false, 1, "attempt 1 of 1"},
		{"more retries", []int{502, 502, 502, 502, 201}, 4, false, false, 5, ""},
		{"5xx then 4xx", []int{500, 410}, 0, true, true, 2, "410"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv, n := statusServer(t, tt.codes...)
			h := newHTTP(t, fastRetries(HTTPConfig{URL: srv.URL + "/hook", Retries: tt.retries}))
			err := h.Deliver(context.Background(), event(t, `{"a":1}`, "k"))
			if tt.wantErr {
				wantClass(t, err, tt.permanent)
				if !strings.Contains(err.Error(), tt.wantText) {
					t.Errorf("error %q does not contain %q", err, tt.wantText)
				}
			} else if err != nil {
				t.Fatalf("Deliver: %v", err)
			}
			if got := n.Load(); got != tt.wantReqs {
				t.Errorf("server saw %d requests, want %d", got, tt.wantReqs)
			}
		})
	}
}

func TestHTTPRetryAfterIsHonouredAndCapped(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var arrivals []time.Time
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		arrivals = append(arrivals, time.Now())
		first := len(arrivals) == 1
		mu.Unlock()
		if first {
			w.Header().Set("Retry-After", "3")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(srv.Close)
	const ceiling = 150 * time.Millisecond
	h := newHTTP(t, HTTPConfig{
		URL:          srv.URL,
		RetryBackoff: consumer.Duration(time.Millisecond),
		MaxBackoff:   consumer.Duration(ceiling),
	})
	if err := h.Deliver(context.Background(), event(t, `{}`, "k")); err != nil {
		t.Fatalf("Deliver: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(arrivals) != 2 {
		t.Fatalf("server saw %d requests, want 2", len(arrivals))
	}
	// The 1ms backoff alone would retry at once; Retry-After: 3 alone would
	// wait 3s; capped, the wait is the 150ms ceiling.
	if gap := arrivals[1].Sub(arrivals[0]); gap < ceiling || gap > 2*time.Second {
		t.Errorf("retry came %v after the 429, want the capped Retry-After of %v", gap, ceiling)
	}
}

// blockingServer holds the first request until the client gives up on it,
// then answers every later request with 204.
func blockingServer(t *testing.T) (*httptest.Server, *atomic.Int64, <-chan struct{}) {
	t.Helper()
	var n atomic.Int64
	gaveUp := make(chan struct{})
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Reading the body lets the server notice the client hanging up.
		_, _ = io.Copy(io.Discard, r.Body)
		if n.Add(1) == 1 {
			select {
			case <-r.Context().Done():
				close(gaveUp)
			case <-release:
			}
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) }) // runs before srv.Close
	return srv, &n, gaveUp
}

func TestHTTPPerAttemptTimeout(t *testing.T) {
	t.Parallel()
	t.Run("retry succeeds", func(t *testing.T) {
		t.Parallel()
		srv, n, gaveUp := blockingServer(t)
		h := newHTTP(t, fastRetries(HTTPConfig{URL: srv.URL, Timeout: consumer.Duration(100 * time.Millisecond)}))
		if err := h.Deliver(context.Background(), event(t, `{}`, "k")); err != nil {
			t.Fatalf("Deliver: %v", err)
		}
		<-gaveUp
		if got := n.Load(); got != 2 {
			t.Errorf("server saw %d requests, want 2", got)
		}
	})
	t.Run("no retries", func(t *testing.T) {
		t.Parallel()
		srv, n, gaveUp := blockingServer(t)
		h := newHTTP(t, HTTPConfig{URL: srv.URL, Timeout: consumer.Duration(100 * time.Millisecond), Retries: -1})
		err := h.Deliver(context.Background(), event(t, `{}`, "k"))
		wantClass(t, err, false)
		if !strings.Contains(err.Error(), "no answer within 100ms") {
			t.Errorf("error %q does not name the timeout", err)
		}
		<-gaveUp
		if got := n.Load(); got != 1 {
			t.Errorf("server saw %d requests, want 1", got)
		}
	})
}

func TestHTTPStopsRetryingWhenContextEnds(t *testing.T) {
	t.Parallel()
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	t.Cleanup(srv.Close)
	// The sink logs each failed attempt just before it waits: the signal that
	// it is waiting.
	waiting := &recordSignal{msg: "http sink attempt failed", ch: make(chan struct{}, 8)}
	h, err := NewHTTP(HTTPConfig{
		URL: srv.URL, Retries: 5,
		RetryBackoff: consumer.Duration(time.Hour), MaxBackoff: consumer.Duration(time.Hour),
	}, slog.New(waiting))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = h.Close() })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- h.Deliver(ctx, event(t, `{}`, "k")) }()
	<-waiting.ch
	cancel()
	select {
	case err := <-done:
		wantClass(t, err, false)
		if !strings.Contains(err.Error(), "context canceled") || !strings.Contains(err.Error(), "503") {
			t.Errorf("error %q should name the cancellation and the last status", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Deliver kept waiting after its context was canceled")
	}
	if got := n.Load(); got != 1 {
		t.Errorf("server saw %d requests, want 1", got)
	}
}

// recordSignal is a slog.Handler that signals ch for each record whose
// message is msg.
type recordSignal struct {
	msg string
	ch  chan struct{}
}

func (h *recordSignal) Enabled(context.Context, slog.Level) bool { return true }
func (h *recordSignal) Handle(_ context.Context, r slog.Record) error {
	if r.Message == h.msg {
		h.ch <- struct{}{}
	}
	return nil
}
func (h *recordSignal) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *recordSignal) WithGroup(string) slog.Handler      { return h }

func TestHTTPNetworkErrorIsRetriable(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close() // nothing listens there any more
	h := newHTTP(t, fastRetries(HTTPConfig{URL: url}))
	wantClass(t, h.Deliver(context.Background(), event(t, `{}`, "k")), false)
}

func TestHTTPRenderErrorsArePermanent(t *testing.T) {
	t.Parallel()
	srv, n := statusServer(t, 200)
	tests := []struct {
		name string
		cfg  HTTPConfig
		key  string
	}{
		{"url renders to another scheme", HTTPConfig{URL: "{{.Vars.scheme}}://example.com/", Vars: map[string]string{"scheme": "ftp"}}, "k"},
		{"url renders without host", HTTPConfig{URL: "http://{{.Vars.host}}/x", Vars: map[string]string{"host": ""}}, "k"},
		{"missing attribute in header", HTTPConfig{URL: srv.URL, Headers: map[string]string{"X-T": `{{.Attributes.nope}}`}}, "k"},
		{"missing var in url", HTTPConfig{URL: srv.URL + "/{{.Vars.env}}"}, "k"},
		{"header value with newline", HTTPConfig{URL: srv.URL, Headers: map[string]string{"X-Body": "{{.Body}}"}}, "k"},
		{"key with newline", HTTPConfig{URL: srv.URL}, "bad\nkey"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHTTP(t, tt.cfg)
			ev := event(t, "{\n}", tt.key)
			ev.Attributes = map[string]string{"type": "x"}
			wantClass(t, h.Deliver(context.Background(), ev), true)
		})
	}
	if got := n.Load(); got != 0 {
		t.Errorf("server saw %d requests, want none", got)
	}
}

func TestHTTPConcurrentDeliveries(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	keys := map[string]int{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		keys[r.Header.Get("Idempotency-Key")]++
		mu.Unlock()
	}))
	t.Cleanup(srv.Close)
	h := newHTTP(t, HTTPConfig{URL: srv.URL})
	var wg sync.WaitGroup
	for i := range 32 {
		wg.Go(func() {
			if err := h.Deliver(context.Background(), event(t, `{}`, "key-"+strconv.Itoa(i))); err != nil {
				t.Errorf("Deliver %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	if len(keys) != 32 {
		t.Errorf("server saw %d distinct idempotency keys, want 32", len(keys))
	}
}

// TestHTTPReusesConnections: rounds of 32 concurrent deliveries to one host
// reuse the first round's connections.
func TestHTTPReusesConnections(t *testing.T) {
	t.Parallel()
	srv := nettest.NewRoundServer(t, 32, "text/plain", "ok")
	h := newHTTP(t, HTTPConfig{URL: srv.URL})
	ev := event(t, `{}`, "key")
	srv.Rounds(t, 3, func() error { return h.Deliver(context.Background(), ev) })
}

func TestHTTPConfigValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		cfg     HTTPConfig
		wantErr string
	}{
		{"ok", HTTPConfig{URL: "https://example.com/hook"}, ""},
		{"template url", HTTPConfig{URL: "https://{{.Vars.host}}/hook"}, ""},
		{"no url", HTTPConfig{}, "url is required"},
		{"relative url", HTTPConfig{URL: "/hook"}, "scheme must be http or https"},
		{"ftp url", HTTPConfig{URL: "ftp://example.com/"}, "scheme must be http or https"},
		{"bad template", HTTPConfig{URL: "https://{{.Vars.host/"}, "template"},
		{"bad method", HTTPConfig{URL: "https://e.com", Method: "GO T"}, "method"},
		{"bad header name", HTTPConfig{URL: "https://e.com", Headers: map[string]string{"X Y": "v"}}, "header name"},
		{"bad header template", HTTPConfig{URL: "https://e.com", Headers: map[string]string{"X-Y": "{{"}}, "template"},
		{"negative timeout", HTTPConfig{URL: "https://e.com", Timeout: -1}, "timeout"},
		{"negative backoff", HTTPConfig{URL: "https://e.com", RetryBackoff: -1}, "retry_backoff"},
		{"negative cap", HTTPConfig{URL: "https://e.com", MaxBackoff: -1}, "max_backoff"},
		{"retries below -1", HTTPConfig{URL: "https://e.com", Retries: -2}, "retries"},
	}
	for _, tt := range tests {
		err := tt.cfg.Validate()
		if tt.wantErr == "" && err != nil {
			t.Errorf("%s: %v", tt.name, err)
		}
		if tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
			t.Errorf("%s: error %v, want one containing %q", tt.name, err, tt.wantErr)
		}
	}
}
