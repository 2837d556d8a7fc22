package snshttp_test

import (
	"bytes"
	"fmt"
	"io"
	"maps"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/herald-dev/herald/consumer"
	"github.com/herald-dev/herald/consumer/snshttp"
	"github.com/herald-dev/herald/internal/snsmsg"
)

// request is what a test case sends.
type request struct {
	method string // default POST
	body   []byte
	header http.Header
	// chunked sends the body without a Content-Length.
	chunked bool
}

// signedNotification builds, signs and returns a notification as SNS
// sends it, after applying edit to the message before signing.
func signedNotification(t *testing.T, f *fakeSNS, edit func(*snsmsg.Message)) (request, *snsmsg.Message) {
	m := f.notification()
	if edit != nil {
		edit(m)
	}
	body := f.sign(t, m)
	return request{body: body, header: headers(m)}, m
}

func TestHandlerNotification(t *testing.T) {
	t.Parallel()
	noReason := snshttp.Reason(-1)
	tests := []struct {
		name    string
		cfg     func(*snshttp.Config)
		req     func(t *testing.T, f *fakeSNS) request
		outcome consumer.Outcome
		status  int
		reason  snshttp.Reason // the rejection counted, or noReason
		// check, when set, is the message the processor must have got
		// (exactly one); when nil the processor must not have been called.
		check func(t *testing.T, got *consumer.Message, req request)
		// noCertFetch: the certificate must not have been fetched.
		noCertFetch bool
	}{
		{
			name: "SignatureVersion 1",
			req: func(t *testing.T, f *fakeSNS) request {
				r, _ := signedNotification(t, f, nil)
				return r
			},
			status: 200, reason: noReason, check: wantEnvelope,
		},
		{
			name: "SignatureVersion 2",
			req: func(t *testing.T, f *fakeSNS) request {
				r, _ := signedNotification(t, f, func(m *snsmsg.Message) { m.SignatureVersion = "2" })
				return r
			},
			status: 200, reason: noReason, check: wantEnvelope,
		},
		{
			name: "no message type header",
			req: func(t *testing.T, f *fakeSNS) request {
				r, _ := signedNotification(t, f, nil)
				r.header.Del(snshttp.HeaderMessageType)
				return r
			},
			status: 200, reason: noReason, check: wantEnvelope,
		},
		{
			name: "attributes: String and Number kept, Binary left out",
			req: func(t *testing.T, f *fakeSNS) request {
				r, _ := signedNotification(t, f, func(m *snsmsg.Message) {
					m.MessageAttributes = map[string]snsmsg.Attribute{
						"kind":   {Type: "String", Value: "created"},
						"amount": {Type: "Number", Value: "99.12"},
						"tags":   {Type: "String.Array", Value: `["a","b"]`},
						"custom": {Type: "Number.float", Value: "1.5"},
						"blob":   {Type: "Binary", Value: "AgME"},
						"blob2":  {Type: "Binary.png", Value: "AgME"},
					}
				})
				return r
			},
			status: 200, reason: noReason,
			check: func(t *testing.T, got *consumer.Message, req request) {
				wantEnvelope(t, got, req)
				want := map[string]string{"kind": "created", "amount": "99.12", "tags": `["a","b"]`, "custom": "1.5"}
				if !maps.Equal(got.Attributes, want) {
					t.Errorf("Attributes = %v, want %v", got.Attributes, want)
				}
			},
		},
		{
			name: "topic in allow-list",
			cfg:  func(c *snshttp.Config) { c.TopicArns = []string{"arn:aws:sns:us-east-1:123456789012:other", testTopic} },
			req: func(t *testing.T, f *fakeSNS) request {
				r, _ := signedNotification(t, f, nil)
				return r
			},
			status: 200, reason: noReason, check: wantEnvelope,
		},
		{
			name: "topic not in allow-list",
			cfg:  func(c *snshttp.Config) { c.TopicArns = []string{"arn:aws:sns:us-east-1:123456789012:other"} },
			req: func(t *testing.T, f *fakeSNS) request {
				r, _ := signedNotification(t, f, nil)
				return r
			},
			status: 403, reason: snshttp.ReasonTopic,
		},
		{
			name: "tampered Message",
			req: func(t *testing.T, f *fakeSNS) request {
				r, m := signedNotification(t, f, nil)
				m.Message = `{"order":43}`
				r.body = m.Marshal()
				return r
			},
			status: 403, reason: snshttp.ReasonUnauthenticated,
		},
		{
			name: "tampered TopicArn",
			req: func(t *testing.T, f *fakeSNS) request {
				r, m := signedNotification(t, f, nil)
				m.TopicArn = "arn:aws:sns:us-east-1:123456789012:other"
				r.body = m.Marshal()
				return r
			},
			status: 403, reason: snshttp.ReasonUnauthenticated,
		},
		{
			name: "unsigned",
			req: func(t *testing.T, f *fakeSNS) request {
				m := f.notification()
				return request{body: m.Marshal(), header: headers(m)}
			},
			status: 403, reason: snshttp.ReasonUnauthenticated, noCertFetch: true,
		},
		{
			name: "signing certificate on a host not allowed",
			req: func(t *testing.T, f *fakeSNS) request {
				r, _ := signedNotification(t, f, func(m *snsmsg.Message) {
					m.SigningCertURL = strings.Replace(m.SigningCertURL, "127.0.0.1", "localhost", 1)
				})
				return r
			},
			status: 403, reason: snshttp.ReasonUnauthenticated, noCertFetch: true,
		},
		{
			name: "http certificate without AllowHTTPCerts",
			cfg:  func(c *snshttp.Config) { c.AllowHTTPCerts = false },
			req: func(t *testing.T, f *fakeSNS) request {
				r, _ := signedNotification(t, f, nil)
				return r
			},
			status: 403, reason: snshttp.ReasonUnauthenticated, noCertFetch: true,
		},
		{
			name: "default host pattern refuses a local broker",
			cfg:  func(c *snshttp.Config) { c.CertHostPattern = "" },
			req: func(t *testing.T, f *fakeSNS) request {
				r, _ := signedNotification(t, f, nil)
				return r
			},
			status: 403, reason: snshttp.ReasonUnauthenticated, noCertFetch: true,
		},
		{
			name: "certificate cannot be fetched: retriable",
			req: func(t *testing.T, f *fakeSNS) request {
				r, _ := signedNotification(t, f, func(m *snsmsg.Message) {
					m.SigningCertURL = f.srv.URL + "/SimpleNotificationService-missing.pem"
				})
				return r
			},
			status: 502, reason: snshttp.ReasonCertUnavailable,
		},
		{
			name: "certificate fetch times out: retriable",
			cfg:  func(c *snshttp.Config) { c.CertFetchTimeout = consumer.Duration(100 * time.Millisecond) },
			req: func(t *testing.T, f *fakeSNS) request {
				r, _ := signedNotification(t, f, func(m *snsmsg.Message) { m.SigningCertURL = f.srv.URL + hangPath })
				return r
			},
			status: 502, reason: snshttp.ReasonCertUnavailable,
		},
		{
			name: "bad JSON",
			req: func(t *testing.T, f *fakeSNS) request {
				return request{body: []byte(`{"Type":"Notification",`)}
			},
			status: 400, reason: snshttp.ReasonMalformed,
		},
		{
			name: "not JSON at all",
			req: func(t *testing.T, f *fakeSNS) request {
				return request{body: []byte(`order 42 created`)}
			},
			status: 400, reason: snshttp.ReasonMalformed,
		},
		{
			name: "signed but missing Timestamp",
			req: func(t *testing.T, f *fakeSNS) request {
				r, _ := signedNotification(t, f, nil)
				r.body = dropLine(t, r.body, `"Timestamp"`)
				return r
			},
			status: 400, reason: snshttp.ReasonMalformed, noCertFetch: true,
		},
		{
			name: "unknown Type",
			req: func(t *testing.T, f *fakeSNS) request {
				return request{body: []byte(`{"Type":"Greeting","MessageId":"1","Signature":"AA=="}`)}
			},
			status: 400, reason: snshttp.ReasonMalformed,
		},
		{
			name: "type header disagrees with the body",
			req: func(t *testing.T, f *fakeSNS) request {
				r, _ := signedNotification(t, f, nil)
				r.header.Set(snshttp.HeaderMessageType, snsmsg.TypeSubscriptionConfirmation)
				return r
			},
			status: 400, reason: snshttp.ReasonMalformed,
		},
		{
			name:    "processor fails: SNS must retry",
			outcome: consumer.Failed,
			req: func(t *testing.T, f *fakeSNS) request {
				r, _ := signedNotification(t, f, nil)
				return r
			},
			status: 500, reason: noReason, check: wantEnvelope,
		},
		{
			name:    "processor quarantines: acknowledged",
			outcome: consumer.Quarantined,
			req: func(t *testing.T, f *fakeSNS) request {
				r, _ := signedNotification(t, f, nil)
				return r
			},
			status: 200, reason: noReason, check: wantEnvelope,
		},
		{
			name: "GET",
			req: func(t *testing.T, f *fakeSNS) request {
				return request{method: http.MethodGet}
			},
			status: 405, reason: snshttp.ReasonMethod,
		},
		{
			name: "body over MaxBodyBytes",
			cfg:  func(c *snshttp.Config) { c.MaxBodyBytes = 1024 },
			req: func(t *testing.T, f *fakeSNS) request {
				r, _ := signedNotification(t, f, func(m *snsmsg.Message) { m.Message = strings.Repeat("x", 1024) })
				return r
			},
			status: 413, reason: snshttp.ReasonTooLarge,
		},
		{
			name: "body over MaxBodyBytes, without Content-Length",
			cfg:  func(c *snshttp.Config) { c.MaxBodyBytes = 1024 },
			req: func(t *testing.T, f *fakeSNS) request {
				r, _ := signedNotification(t, f, func(m *snsmsg.Message) { m.Message = strings.Repeat("x", 1024) })
				r.chunked = true
				return r
			},
			status: 413, reason: snshttp.ReasonTooLarge,
		},
		{
			name: "body under MaxBodyBytes, without Content-Length",
			cfg:  func(c *snshttp.Config) { c.MaxBodyBytes = 4096 },
			req: func(t *testing.T, f *fakeSNS) request {
				r, _ := signedNotification(t, f, nil)
				r.chunked = true
				return r
			},
			status: 200, reason: noReason, check: wantEnvelope,
		},
		{
			name: "body over the default limit",
			req: func(t *testing.T, f *fakeSNS) request {
				r, _ := signedNotification(t, f, func(m *snsmsg.Message) { m.Message = strings.Repeat("x", snshttp.DefaultMaxBodyBytes) })
				return r
			},
			status: 413, reason: snshttp.ReasonTooLarge,
		},
		{
			name: "largest SNS message fits the default limit",
			req: func(t *testing.T, f *fakeSNS) request {
				r, _ := signedNotification(t, f, func(m *snsmsg.Message) { m.Message = strings.Repeat("x", 256<<10) })
				return r
			},
			status: 200, reason: noReason, check: wantEnvelope,
		},
		{
			name: "raw delivery refused by default",
			req: func(t *testing.T, f *fakeSNS) request {
				return rawRequest(`{"order":42}`, "m-1", testTopic)
			},
			status: 403, reason: snshttp.ReasonRaw,
		},
		{
			name: "raw delivery allowed",
			cfg:  func(c *snshttp.Config) { c.AllowRaw = true },
			req: func(t *testing.T, f *fakeSNS) request {
				return rawRequest(`{"order":42}`, "m-1", testTopic)
			},
			status: 200, reason: noReason,
			check: func(t *testing.T, got *consumer.Message, req request) {
				if got.ID != "m-1" || string(got.Body) != `{"order":42}` || got.Source != "sns" || got.Attributes != nil {
					t.Errorf("got %+v, want ID m-1, the raw body, source sns, no attributes", got)
				}
			},
		},
		{
			name: "raw delivery without a message id",
			cfg:  func(c *snshttp.Config) { c.AllowRaw = true },
			req: func(t *testing.T, f *fakeSNS) request {
				return rawRequest(`{"order":42}`, "", testTopic)
			},
			status: 400, reason: snshttp.ReasonMalformed,
		},
		{
			name: "raw delivery of a topic not allowed",
			cfg: func(c *snshttp.Config) {
				c.AllowRaw = true
				c.TopicArns = []string{"arn:aws:sns:us-east-1:123456789012:other"}
			},
			req: func(t *testing.T, f *fakeSNS) request {
				return rawRequest(`{"order":42}`, "m-1", testTopic)
			},
			status: 403, reason: snshttp.ReasonTopic,
		},
		{
			name: "raw delivery that says it is a confirmation",
			cfg:  func(c *snshttp.Config) { c.AllowRaw = true },
			req: func(t *testing.T, f *fakeSNS) request {
				r := rawRequest(`{}`, "m-1", testTopic)
				r.header.Set(snshttp.HeaderMessageType, snsmsg.TypeSubscriptionConfirmation)
				return r
			},
			status: 400, reason: snshttp.ReasonMalformed,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFakeSNS(t)
			cfg := localConfig()
			if tt.cfg != nil {
				tt.cfg(&cfg)
			}
			rec := newRecorder()
			rec.outcome.Store(int32(tt.outcome))
			ep := newEndpoint(t, cfg, rec)
			req := tt.req(t, f)
			method := req.method
			if method == "" {
				method = http.MethodPost
			}
			var status int
			if req.chunked {
				status, _ = postReader(t, method, ep.url, struct{ io.Reader }{bytes.NewReader(req.body)}, req.header)
			} else {
				status, _ = post(t, method, ep.url, req.body, req.header)
			}
			if status != tt.status {
				t.Errorf("status = %d, want %d", status, tt.status)
			}
			st := ep.h.Stats()
			if got := st.Received.Load(); got != 1 {
				t.Errorf("Received = %d, want 1", got)
			}
			if tt.reason == noReason {
				if n := rejected(st); n != 0 {
					t.Errorf("%d rejections counted, want none", n)
				}
			} else if got := st.Rejected[tt.reason].Load(); got != 1 || rejected(st) != 1 {
				t.Errorf("Rejected[%s] = %d (of %d), want 1 (of 1)", tt.reason, got, rejected(st))
			}
			if tt.status == 405 {
				if got, _ := ep.log.find("rejected"); got.attrs["reason"] != "method" {
					t.Errorf("log = %+v, want a rejection with reason method", got)
				}
			}
			msgs := rec.messages()
			switch {
			case tt.check == nil && len(msgs) != 0:
				t.Fatalf("processor got %d messages, want none", len(msgs))
			case tt.check != nil && len(msgs) != 1:
				t.Fatalf("processor got %d messages, want 1", len(msgs))
			case tt.check != nil:
				tt.check(t, msgs[0], req)
			}
			processed, failed := st.Processed.Load(), st.Failed.Load()
			switch {
			case tt.check == nil && processed+failed != 0,
				tt.check != nil && tt.status == 200 && (processed != 1 || failed != 0),
				tt.check != nil && tt.status == 500 && (processed != 0 || failed != 1):
				t.Errorf("Processed = %d, Failed = %d for status %d", processed, failed, tt.status)
			}
			if tt.noCertFetch && f.certHits.Load() != 0 {
				t.Errorf("the certificate was fetched %d times, want never", f.certHits.Load())
			}
		})
	}
}

// wantEnvelope checks that got is the enveloped notification req posted.
func wantEnvelope(t *testing.T, got *consumer.Message, req request) {
	t.Helper()
	if !bytes.Equal(got.Body, req.body) {
		t.Errorf("Body differs from the body posted:\n%s\nwant\n%s", got.Body, req.body)
	}
	if want := req.header.Get(snshttp.HeaderMessageID); got.ID != want {
		t.Errorf("ID = %q, want %q", got.ID, want)
	}
	if got.Source != "sns" || got.ReceivedAt.IsZero() {
		t.Errorf("Source = %q, ReceivedAt = %v", got.Source, got.ReceivedAt)
	}
}

func rawRequest(body, id, topic string) request {
	h := http.Header{}
	h.Set(snshttp.HeaderMessageType, snsmsg.TypeNotification)
	if id != "" {
		h.Set(snshttp.HeaderMessageID, id)
	}
	h.Set(snshttp.HeaderTopicArn, topic)
	h.Set(snshttp.HeaderRawDelivery, "true")
	return request{body: []byte(body), header: h}
}

// dropLine removes the line of a Marshal'ed body that starts with key.
func dropLine(t *testing.T, body []byte, key string) []byte {
	t.Helper()
	lines := strings.Split(string(body), "\n")
	for i, l := range lines {
		if strings.HasPrefix(strings.TrimSpace(l), key) {
			return []byte(strings.Join(append(lines[:i:i], lines[i+1:]...), "\n"))
		}
	}
	t.Fatalf("no %s in %s", key, body)
	return nil
}

func TestHandlerUnsubscribeConfirmation(t *testing.T) {
	t.Parallel()
	f := newFakeSNS(t)
	rec := newRecorder()
	ep := newEndpoint(t, localConfig(), rec)
	m := f.confirmation(snsmsg.TypeUnsubscribeConfirmation, f.srv.URL)
	body := f.sign(t, m)
	if status, _ := post(t, http.MethodPost, ep.url, body, headers(m)); status != 200 {
		t.Fatalf("status = %d, want 200", status)
	}
	if got := ep.h.Stats().Unsubscribed.Load(); got != 1 {
		t.Errorf("Unsubscribed = %d, want 1", got)
	}
	if len(rec.messages()) != 0 || len(f.visits()) != 0 {
		t.Errorf("processor got %d messages, SubscribeURL visited %d times; want neither",
			len(rec.messages()), len(f.visits()))
	}
	if r, ok := ep.log.find("subscription deleted"); !ok || r.attrs["topic_arn"] != testTopic {
		t.Errorf("log = %+v, want the topic", r)
	}
}

func TestHandlerParallelPosts(t *testing.T) {
	t.Parallel()
	const n = 64
	f := newFakeSNS(t)
	rec := newRecorder()
	ep := newEndpoint(t, localConfig(), rec)
	reqs := make([]request, n)
	for i := range reqs {
		reqs[i], _ = signedNotification(t, f, func(m *snsmsg.Message) {
			m.Message = fmt.Sprintf(`{"order":%d}`, i)
			if i%2 == 1 {
				m.SignatureVersion = "2"
			}
		})
	}
	var wg sync.WaitGroup
	statuses := make([]int, n)
	for i, r := range reqs {
		wg.Go(func() { statuses[i], _ = post(t, http.MethodPost, ep.url, r.body, r.header) })
	}
	wg.Wait()
	for i, s := range statuses {
		if s != 200 {
			t.Errorf("post %d: status %d", i, s)
		}
	}
	seen := map[string]bool{}
	for _, m := range rec.messages() {
		seen[m.ID] = true
	}
	for i, r := range reqs {
		if id := r.header.Get(snshttp.HeaderMessageID); !seen[id] {
			t.Errorf("message %d (%s) did not reach the processor", i, id)
		}
	}
	st := ep.h.Stats()
	if st.Received.Load() != n || st.Processed.Load() != n || rejected(st) != 0 {
		t.Errorf("Received %d, Processed %d, rejected %d; want %d, %d, 0",
			st.Received.Load(), st.Processed.Load(), rejected(st), n, n)
	}
	// Concurrent first uses of one certificate URL share one fetch; with
	// the cache, the certificate is fetched at most a few times.
	if hits := f.certHits.Load(); hits != 1 {
		t.Errorf("certificate fetched %d times, want 1 (cached)", hits)
	}
}

func TestHandlerMethodNotAllowed(t *testing.T) {
	t.Parallel()
	ep := newEndpoint(t, localConfig(), newRecorder())
	for _, method := range []string{http.MethodGet, http.MethodHead, http.MethodPut} {
		req, err := http.NewRequest(method, ep.url, nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 405 || resp.Header.Get("Allow") != "POST" {
			t.Errorf("%s: status %d, Allow %q; want 405, POST", method, resp.StatusCode, resp.Header.Get("Allow"))
		}
	}
}
