package deliver

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/herald-dev/herald/internal/nettest"
	"github.com/herald-dev/herald/publisher/format"
	"github.com/herald-dev/herald/publisher/subscription"
	"github.com/herald-dev/herald/publisher/webhook"
)

// hook is what a test endpoint received.
type hook struct {
	header http.Header
	body   []byte
	verify error
}

// endpoint starts a server that verifies each request's signature with
// secret, reports it on the channel and answers with respond.
func endpoint(t *testing.T, secret webhook.Secret, respond func(w http.ResponseWriter)) (*httptest.Server, <-chan hook) {
	t.Helper()
	ch := make(chan hook, 100)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		ch <- hook{r.Header.Clone(), body, webhook.Verify(r.Header, body, []webhook.Secret{secret}, time.Now(), time.Minute)}
		respond(w)
	}))
	t.Cleanup(srv.Close)
	return srv, ch
}

func status(code int, header ...string) func(http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		for i := 0; i+1 < len(header); i += 2 {
			w.Header().Set(header[i], header[i+1])
		}
		w.WriteHeader(code)
		_, _ = io.WriteString(w, http.StatusText(code))
	}
}

func newSecret(t *testing.T) webhook.Secret {
	t.Helper()
	s, err := webhook.NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func httpsDest(url string, secrets ...webhook.Secret) subscription.Destination {
	d := subscription.Destination{Type: subscription.DestinationHTTPS, URL: url}
	for _, s := range secrets {
		d.Secrets = append(d.Secrets, s.String())
	}
	return d
}

func TestHTTPSDeliversSigned(t *testing.T) {
	t.Parallel()
	sec := newSecret(t)
	srv, ch := endpoint(t, sec, status(http.StatusNoContent))
	d := newDispatcher(t, nil, Config{})

	m := &format.Message{Body: []byte(`{"id":"evt_1"}`), Subject: "Photo 7", Attributes: map[string]string{"event_type": "photo.ready"}, ContentType: format.ContentTypeCloudEvents}
	res := d.Send(testCtx(t), []*Job{{ID: "evt_1", Destination: httpsDest(srv.URL+"/hooks", newSecret(t), sec), Message: m}})
	if res[0].Err != nil || res[0].Detail != "HTTP 204" {
		t.Fatalf("got %+v", res[0])
	}
	h := <-ch
	if h.verify != nil {
		t.Errorf("signature: %v", h.verify)
	}
	if string(h.body) != `{"id":"evt_1"}` || h.header.Get("webhook-id") != "evt_1" {
		t.Errorf("body %q webhook-id %q", h.body, h.header.Get("webhook-id"))
	}
	if h.header.Get("Content-Type") != format.ContentTypeCloudEvents || h.header.Get(webhook.SubjectHeader) != "Photo 7" ||
		h.header.Get(webhook.AttributeHeaderPrefix+"event_type") != "photo.ready" {
		t.Errorf("headers %v", h.header)
	}
	if n := len(strings.Fields(h.header.Get("webhook-signature"))); n != 2 {
		t.Errorf("%d signatures, want one per secret (2)", n)
	}
}

func TestHTTPSClassifiesStatus(t *testing.T) {
	t.Parallel()
	sec := newSecret(t)
	d := newDispatcher(t, nil, Config{})
	for _, tc := range []struct {
		respond    func(http.ResponseWriter)
		permanent  bool
		code       string
		retryAfter time.Duration
	}{
		{status(http.StatusInternalServerError), false, "HTTP 500", 0},
		{status(http.StatusGone), true, "HTTP 410", 0},
		{status(http.StatusBadRequest), true, "HTTP 400", 0},
		{status(http.StatusConflict), false, "HTTP 409", 0},
		{status(http.StatusTooManyRequests, "Retry-After", "120"), false, "HTTP 429", 2 * time.Minute},
		{status(http.StatusServiceUnavailable, "Retry-After", "7"), false, "HTTP 503", 7 * time.Second},
		{status(http.StatusFound, "Location", "https://elsewhere.example/"), true, "HTTP 302", 0},
	} {
		t.Run(tc.code, func(t *testing.T) {
			t.Parallel()
			srv, ch := endpoint(t, sec, tc.respond)
			res := d.Send(testCtx(t), []*Job{{ID: "evt", Destination: httpsDest(srv.URL, sec), Message: msg("{}", nil)}})
			e := asError(t, res[0])
			if e.Permanent != tc.permanent || e.Code != tc.code || e.RetryAfter != tc.retryAfter {
				t.Errorf("got Permanent %v Code %q RetryAfter %v, want %v %q %v", e.Permanent, e.Code, e.RetryAfter, tc.permanent, tc.code, tc.retryAfter)
			}
			if !strings.HasPrefix(e.Error(), "https POST to "+srv.URL+": ") {
				t.Errorf("message %q", e.Error())
			}
			if h := <-ch; h.verify != nil {
				t.Errorf("signature: %v", h.verify)
			}
		})
	}
}

func TestHTTPSNetworkErrorIsRetriable(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	d := newDispatcher(t, nil, Config{})
	res := d.Send(testCtx(t), []*Job{{ID: "evt", Destination: httpsDest(url, newSecret(t)), Message: msg("{}", nil)}})
	if e := asError(t, res[0]); e.Permanent || e.Code != "" {
		t.Errorf("got Permanent %v Code %q: %v", e.Permanent, e.Code, e)
	}
}

func TestHTTPSPerHostLimit(t *testing.T) {
	t.Parallel()
	var inFlight, peak atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		time.Sleep(20 * time.Millisecond)
		inFlight.Add(-1)
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(srv.Close)
	d := newDispatcher(t, nil, Config{HTTPSPerHost: 3})
	sec := newSecret(t)
	jobs := make([]*Job, 20)
	for i := range jobs {
		jobs[i] = &Job{ID: fmt.Sprint(i), Destination: httpsDest(srv.URL, sec), Message: msg("{}", nil)}
	}
	res := d.Send(testCtx(t), jobs)
	mustSucceed(t, res)
	if p := peak.Load(); p > 3 || p < 2 {
		t.Errorf("peak concurrency %d, want 3 at most (and some)", p)
	}
}

// TestHTTPSReusesConnections: rounds of as many concurrent requests to one
// host as HTTPSPerHost allows reuse the first round's connections.
func TestHTTPSReusesConnections(t *testing.T) {
	t.Parallel()
	srv := nettest.NewRoundServer(t, DefaultHTTPSPerHost, "text/plain", "ok")
	d := newDispatcher(t, nil, Config{})
	job := &Job{ID: "1", Destination: httpsDest(srv.URL, newSecret(t)), Message: msg("{}", nil)}
	srv.Rounds(t, 3, func() error { return d.Send(testCtx(t), []*Job{job})[0].Err })
}
