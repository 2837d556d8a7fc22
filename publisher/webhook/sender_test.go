package webhook

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/herald-dev/herald/publisher/format"
)

// received is what a test endpoint saw.
type received struct {
	header http.Header
	body   []byte
	err    error // Verify's verdict
}

// verifyingServer is an endpoint that verifies each request with secrets
// and reports it on the returned channel, answering status.
func verifyingServer(t *testing.T, tls bool, status int, secrets []Secret) (*httptest.Server, <-chan received) {
	t.Helper()
	ch := make(chan received, 10)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		ch <- received{header: r.Header.Clone(), body: body, err: Verify(r.Header, body, secrets, time.Now(), 0)}
		w.WriteHeader(status)
		_, _ = io.WriteString(w, `{"ok":true}`)
	})
	var srv *httptest.Server
	if tls {
		srv = httptest.NewTLSServer(h)
	} else {
		srv = httptest.NewServer(h)
	}
	t.Cleanup(srv.Close)
	return srv, ch
}

func TestSendSignedRequest(t *testing.T) {
	t.Parallel()
	oldS, newS := testSecret(t, 1, 24), testSecret(t, 2, 24)
	for _, tc := range []struct {
		name     string
		verifier []Secret
	}{{"old", []Secret{oldS}}, {"new", []Secret{newS}}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv, ch := verifyingServer(t, true, http.StatusNoContent, tc.verifier)
			s := NewSender(Config{Client: srv.Client()})
			msg := &format.Message{
				Body:        []byte(`{"id":"evt_1"}`),
				Subject:     "Photo 7 downloaded",
				Attributes:  map[string]string{"event_type": "photo.status_changed", "tenant": "acme"},
				ContentType: format.ContentTypeCloudEvents,
			}
			res, err := s.Send(context.Background(), srv.URL+"/hook", "evt_1", msg, []Secret{newS, oldS})
			if err != nil {
				t.Fatalf("Send = %v", err)
			}
			if res.Status != http.StatusNoContent || res.Duration <= 0 {
				t.Errorf("Result = %+v", res)
			}
			got := <-ch
			if got.err != nil {
				t.Errorf("server-side Verify = %v", got.err)
			}
			if string(got.body) != string(msg.Body) {
				t.Errorf("body = %q", got.body)
			}
			for name, want := range map[string]string{
				"Content-Type":                   format.ContentTypeCloudEvents,
				"User-Agent":                     DefaultUserAgent,
				HeaderID:                         "evt_1",
				"Herald-Attribute-Event_type":    "photo.status_changed",
				AttributeHeaderPrefix + "tenant": "acme",
				SubjectHeader:                    "Photo 7 downloaded",
			} {
				if v := got.header.Get(name); v != want {
					t.Errorf("header %s = %q, want %q", name, v, want)
				}
			}
			if n := len(strings.Fields(got.header.Get(HeaderSignature))); n != 2 {
				t.Errorf("webhook-signature has %d entries, want 2", n)
			}
		})
	}
}

func TestSendDefaults(t *testing.T) {
	t.Parallel()
	sec := testSecret(t, 5, 24)
	srv, ch := verifyingServer(t, false, http.StatusOK, []Secret{sec})
	s := NewSender(Config{UserAgent: "custom/2"})
	res, err := s.Send(context.Background(), srv.URL, "evt_9", &format.Message{Body: []byte(`{}`)}, []Secret{sec})
	if err != nil {
		t.Fatalf("Send = %v", err)
	}
	if res.Response != `{"ok":true}` {
		t.Errorf("Response = %q", res.Response)
	}
	got := <-ch
	if got.err != nil || got.header.Get("Content-Type") != "application/json" || got.header.Get("User-Agent") != "custom/2" {
		t.Errorf("verify %v, Content-Type %q, User-Agent %q", got.err, got.header.Get("Content-Type"), got.header.Get("User-Agent"))
	}
	if got.header.Get(SubjectHeader) != "" {
		t.Errorf("Subject header sent for an empty subject")
	}
}

// statusServer answers every request with status, headers and body.
func statusServer(t *testing.T, status int, header map[string]string, body string) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/elsewhere" {
			hits.Add(1)
		}
		for k, v := range header {
			w.Header().Set(k, v)
		}
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}

func TestSendClassifiesStatus(t *testing.T) {
	t.Parallel()
	future := time.Now().Add(20 * time.Minute).UTC().Format(http.TimeFormat)
	tests := []struct {
		name       string
		status     int
		header     map[string]string
		maxRA      time.Duration
		retriable  bool
		cause      error
		retryAfter time.Duration // exact, or with raTol for dates
		raTol      time.Duration
	}{
		{"201", 201, nil, 0, false, nil, 0, 0},
		{"400", 400, nil, 0, false, ErrStatus, 0, 0},
		{"404", 404, nil, 0, false, ErrStatus, 0, 0},
		{"408", 408, nil, 0, true, ErrStatus, 0, 0},
		{"410 gone", 410, nil, 0, false, ErrEndpointGone, 0, 0},
		{"429 seconds", 429, map[string]string{"Retry-After": "42"}, 0, true, ErrStatus, 42 * time.Second, 0},
		{"429 date capped by config", 429, map[string]string{"Retry-After": future}, 10 * time.Minute, true, ErrStatus, 10 * time.Minute, 0},
		{"429 date", 429, map[string]string{"Retry-After": future}, 0, true, ErrStatus, 20 * time.Minute, 5 * time.Second},
		{"500", 500, nil, 0, true, ErrStatus, 0, 0},
		{"503 retry after", 503, map[string]string{"Retry-After": "5"}, 0, true, ErrStatus, 5 * time.Second, 0},
		{"301 not followed", 301, map[string]string{"Location": "/elsewhere"}, 0, false, ErrRedirect, 0, 0},
		{"307 not followed", 307, map[string]string{"Location": "/elsewhere"}, 0, false, ErrRedirect, 0, 0},
	}
	sec := testSecret(t, 1, 24)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv, hits := statusServer(t, tt.status, tt.header, "reason\nhere")
			s := NewSender(Config{MaxRetryAfter: tt.maxRA, MaxResponseBytes: 6})
			res, err := s.Send(context.Background(), srv.URL, "evt_1", &format.Message{Body: []byte("{}")}, []Secret{sec})
			if res == nil || res.Status != tt.status || res.Response != "reason" {
				t.Fatalf("Result = %+v, want status %d, response %q", res, tt.status, "reason")
			}
			if hits.Load() != 0 {
				t.Errorf("redirect was followed")
			}
			if tt.cause == nil {
				if err != nil {
					t.Fatalf("Send = %v, want success", err)
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Send = %v, want *Error", err)
			}
			if e.Status != tt.status || e.Retriable != tt.retriable || !errors.Is(err, tt.cause) || e.Gone() != (tt.status == 410) {
				t.Errorf("Send = %+v (%v), want retriable %v, cause %v", e, err, tt.retriable, tt.cause)
			}
			if d := e.RetryAfter - tt.retryAfter; d < -tt.raTol || d > tt.raTol {
				t.Errorf("RetryAfter = %v, want %v ± %v", e.RetryAfter, tt.retryAfter, tt.raTol)
			}
		})
	}
}

func TestSendFollowsNoRedirectEvenWithCustomClient(t *testing.T) {
	t.Parallel()
	srv, hits := statusServer(t, http.StatusFound, map[string]string{"Location": "/elsewhere"}, "")
	client := &http.Client{} // follows redirects by default
	_, err := NewSender(Config{Client: client}).Send(context.Background(), srv.URL, "evt_1", &format.Message{}, []Secret{testSecret(t, 1, 24)})
	if !errors.Is(err, ErrRedirect) || IsRetriable(err) || hits.Load() != 0 {
		t.Errorf("Send = %v, hits %d; want a permanent ErrRedirect and no hit", err, hits.Load())
	}
	if client.CheckRedirect != nil {
		t.Error("NewSender modified the caller's client")
	}
}

func TestSendTimeout(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })
	s := NewSender(Config{Timeout: 50 * time.Millisecond})
	res, err := s.Send(context.Background(), srv.URL, "evt_1", &format.Message{}, []Secret{testSecret(t, 1, 24)})
	if !IsRetriable(err) || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Send = %v, want a retriable deadline error", err)
	}
	if res == nil || res.Status != 0 || res.Duration < 50*time.Millisecond {
		t.Errorf("Result = %+v, want no status and the attempt's duration", res)
	}
}

func TestSendContextCancel(t *testing.T) {
	t.Parallel()
	arrived := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(arrived)
		<-r.Context().Done()
	}))
	t.Cleanup(srv.Close)
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-arrived
		cancel()
	}()
	_, err := NewSender(Config{}).Send(ctx, srv.URL, "evt_1", &format.Message{}, []Secret{testSecret(t, 1, 24)})
	if !IsRetriable(err) || !errors.Is(err, context.Canceled) {
		t.Errorf("Send = %v, want a retriable context.Canceled error", err)
	}
}

func TestSendNetworkError(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	res, err := NewSender(Config{}).Send(context.Background(), url, "evt_1", &format.Message{}, []Secret{testSecret(t, 1, 24)})
	var e *Error
	if !errors.As(err, &e) || !e.Retriable || e.Status != 0 || res == nil {
		t.Errorf("Send = %v, %v; want a retriable *Error without status and a Result", res, err)
	}
}

func TestSendInvalidRequest(t *testing.T) {
	t.Parallel()
	sec := []Secret{testSecret(t, 1, 24)}
	msg := &format.Message{Body: []byte("{}")}
	tests := []struct {
		name    string
		url, id string
		msg     *format.Message
		secrets []Secret
	}{
		{"nil message", "https://example.test/", "evt_1", nil, sec},
		{"empty id", "https://example.test/", "", msg, sec},
		{"id with newline", "https://example.test/", "evt\n1", msg, sec},
		{"no secrets", "https://example.test/", "evt_1", msg, nil},
		{"zero secret only", "https://example.test/", "evt_1", msg, []Secret{{}}},
		{"bad url", "https://exa mple.test/%zz", "evt_1", msg, sec},
		{"ftp scheme", "ftp://example.test/", "evt_1", msg, sec},
		{"relative url", "/hook", "evt_1", msg, sec},
		{"credentials", "https://user:pw@example.test/", "evt_1", msg, sec},
		{"bad attribute name", "https://example.test/", "evt_1", &format.Message{Attributes: map[string]string{"a b": "x"}}, sec},
		{"bad attribute value", "https://example.test/", "evt_1", &format.Message{Attributes: map[string]string{"a": "x\r\nInjected: 1"}}, sec},
		{"bad subject", "https://example.test/", "evt_1", &format.Message{Subject: "x\ny"}, sec},
		{"bad content type", "https://example.test/", "evt_1", &format.Message{ContentType: "a\x00b"}, sec},
	}
	s := NewSender(Config{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res, err := s.Send(context.Background(), tt.url, tt.id, tt.msg, tt.secrets)
			if res != nil || !errors.Is(err, ErrInvalidRequest) || IsRetriable(err) {
				t.Errorf("Send = %v, %v; want nil and a permanent ErrInvalidRequest", res, err)
			}
		})
	}
}

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	if err := (&Config{}).Validate(); err != nil {
		t.Errorf("zero Config: %v", err)
	}
	err := (&Config{Timeout: -1, MaxResponseBytes: -1, MaxRetryAfter: -1}).Validate()
	for _, field := range []string{"Timeout", "MaxResponseBytes", "MaxRetryAfter"} {
		if err == nil || !strings.Contains(err.Error(), field) {
			t.Errorf("Validate = %v, want it to name %s", err, field)
		}
	}
}

func TestReadSnippetKeepsRunesWhole(t *testing.T) {
	t.Parallel()
	// "é" is two bytes; a 3-byte limit cuts the second one in half.
	if got := readSnippet(strings.NewReader("aéé"), 4); got != "aé" {
		t.Errorf("readSnippet = %q, want %q", got, "aé")
	}
	if got := readSnippet(strings.NewReader("aé"), 2); got != "a" {
		t.Errorf("readSnippet = %q, want %q", got, "a")
	}
}
