package snshttp_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/herald-dev/herald/consumer"
	"github.com/herald-dev/herald/consumer/snshttp"
	"github.com/herald-dev/herald/internal/snsmsg"
)

const (
	testTopic = "arn:aws:sns:us-east-1:123456789012:orders"
	// hangPath is a path the fake SNS never answers.
	hangPath = "/SimpleNotificationService-hang.pem"
	// waitLimit bounds every wait for a signal, so that a broken test
	// fails instead of hanging.
	waitLimit = 10 * time.Second
)

// testSigner is one ephemeral broker key for the whole package (an RSA key
// takes a while to make).
var testSigner = sync.OnceValues(snsmsg.Ephemeral)

func signer(t testing.TB) *snsmsg.Signer {
	t.Helper()
	s, err := testSigner()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// fakeSNS is the SNS side of a test on a real socket: it signs messages,
// serves their signing certificate and answers SubscribeURL visits.
type fakeSNS struct {
	signer *snsmsg.Signer
	srv    *httptest.Server

	certHits atomic.Int64
	// confirmStatus is the status SubscribeURL visits get (0 means 200
	// with a ConfirmSubscriptionResponse); confirmBody replaces the body.
	confirmStatus atomic.Int32
	confirmBody   atomic.Pointer[string]
	// confirmHang makes SubscribeURL visits wait until the visitor gives up.
	confirmHang atomic.Bool

	mu     sync.Mutex
	tokens []string // Token of each SubscribeURL visit
}

func newFakeSNS(t testing.TB) *fakeSNS {
	t.Helper()
	f := &fakeSNS{signer: signer(t)}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeSNS) serve(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.URL.Path == hangPath:
		<-r.Context().Done() // answers nothing until the client gives up
	case r.Method == http.MethodGet && r.URL.Path == "/"+f.signer.CertName():
		f.certHits.Add(1)
		_, _ = w.Write(f.signer.CertPEM())
	case r.Method == http.MethodGet && r.URL.Path == "/" && r.URL.Query().Get("Action") == "ConfirmSubscription":
		q := r.URL.Query()
		f.mu.Lock()
		f.tokens = append(f.tokens, q.Get("Token"))
		f.mu.Unlock()
		if f.confirmHang.Load() {
			<-r.Context().Done()
			return
		}
		if st := int(f.confirmStatus.Load()); st != 0 {
			http.Error(w, "<ErrorResponse>throttled</ErrorResponse>", st)
			return
		}
		if b := f.confirmBody.Load(); b != nil {
			_, _ = io.WriteString(w, *b)
			return
		}
		w.Header().Set("Content-Type", "text/xml")
		_, _ = io.WriteString(w, `<ConfirmSubscriptionResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/">
  <ConfirmSubscriptionResult>
    <SubscriptionArn>`+q.Get("TopicArn")+`:`+q.Get("Token")+`</SubscriptionArn>
  </ConfirmSubscriptionResult>
</ConfirmSubscriptionResponse>
`)
	default:
		http.NotFound(w, r)
	}
}

func (f *fakeSNS) visits() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.tokens...)
}

func (f *fakeSNS) certURL() string { return f.srv.URL + "/" + f.signer.CertName() }

func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// notification is an unsigned notification of testTopic.
func (f *fakeSNS) notification() *snsmsg.Message {
	return &snsmsg.Message{
		Type:           snsmsg.TypeNotification,
		MessageId:      newID(),
		TopicArn:       testTopic,
		Subject:        "order <created> & paid",
		Message:        `{"order":42,"note":"é 🙂\n"}`,
		Timestamp:      snsmsg.FormatTimestamp(time.Now()),
		SigningCertURL: f.certURL(),
		UnsubscribeURL: f.srv.URL + "/?Action=Unsubscribe&SubscriptionArn=" + testTopic + ":sub",
	}
}

// confirmation is an unsigned SubscriptionConfirmation (or, with typ,
// UnsubscribeConfirmation) of testTopic whose SubscribeURL is on base.
func (f *fakeSNS) confirmation(typ, base string) *snsmsg.Message {
	token := newID()
	return &snsmsg.Message{
		Type:           typ,
		MessageId:      newID(),
		Token:          token,
		TopicArn:       testTopic,
		Message:        "You have chosen to subscribe to the topic " + testTopic + ".",
		SubscribeURL:   base + "/?Action=ConfirmSubscription&TopicArn=" + testTopic + "&Token=" + token,
		Timestamp:      snsmsg.FormatTimestamp(time.Now()),
		SigningCertURL: f.certURL(),
	}
}

// sign signs m (SignatureVersion as set, "1" when empty) and returns its
// body as SNS sends it.
func (f *fakeSNS) sign(t testing.TB, m *snsmsg.Message) []byte {
	t.Helper()
	if err := f.signer.Sign(m); err != nil {
		t.Fatal(err)
	}
	return m.Marshal()
}

// headers are the headers SNS sends with m.
func headers(m *snsmsg.Message) http.Header {
	h := http.Header{}
	h.Set("Content-Type", "text/plain; charset=UTF-8")
	h.Set(snshttp.HeaderMessageType, m.Type)
	h.Set(snshttp.HeaderMessageID, m.MessageId)
	h.Set(snshttp.HeaderTopicArn, m.TopicArn)
	return h
}

// localConfig trusts certificates served over http by 127.0.0.1.
func localConfig() snshttp.Config {
	return snshttp.Config{CertHostPattern: `^127\.0\.0\.1$`, AllowHTTPCerts: true}
}

// recorder is a Processor that records the messages it gets and answers
// outcome (Delivered unless set). When gate is set, Process waits for it
// to close (or its context to end), after signalling entered.
type recorder struct {
	outcome atomic.Int32
	gate    chan struct{}
	entered chan struct{}
	got     chan *consumer.Message // every message, as it arrives

	mu   sync.Mutex
	msgs []*consumer.Message
}

func newRecorder() *recorder {
	return &recorder{entered: make(chan struct{}, 1024), got: make(chan *consumer.Message, 1024)}
}

func (r *recorder) Process(ctx context.Context, msgs []*consumer.Message) []consumer.Outcome {
	r.mu.Lock()
	r.msgs = append(r.msgs, msgs...)
	r.mu.Unlock()
	for _, m := range msgs {
		r.got <- m
	}
	r.entered <- struct{}{}
	out := consumer.Outcome(r.outcome.Load())
	if r.gate != nil {
		select {
		case <-r.gate:
		case <-ctx.Done():
			out = consumer.Failed
		}
	}
	outs := make([]consumer.Outcome, len(msgs))
	for i := range outs {
		outs[i] = out
	}
	return outs
}

func (r *recorder) messages() []*consumer.Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*consumer.Message(nil), r.msgs...)
}

// next waits for the next message the processor gets.
func (r *recorder) next(t testing.TB) *consumer.Message {
	t.Helper()
	select {
	case m := <-r.got:
		return m
	case <-time.After(waitLimit):
		t.Fatal("timed out waiting for the processor to get a message")
		return nil
	}
}

// endpoint serves a Handler on a real socket.
type endpoint struct {
	h   *snshttp.Handler
	url string
	rec *recorder
	log *logRecorder
}

func newEndpoint(t testing.TB, cfg snshttp.Config, rec *recorder) *endpoint {
	t.Helper()
	logs := &logRecorder{}
	h, err := snshttp.NewHandler(cfg, rec, slog.New(logs))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &endpoint{h: h, url: srv.URL + "/hook", rec: rec, log: logs}
}

// testClient gives up well before the handler's default timeouts (10s),
// so that a configured timeout that is not applied fails the test.
var testClient = &http.Client{Timeout: 5 * time.Second}

// post makes one request to url and returns the status and body.
func post(t testing.TB, method, url string, body []byte, h http.Header) (int, string) {
	t.Helper()
	return postReader(t, method, url, bytes.NewReader(body), h)
}

// postReader is post with a body of unknown length unless body is one of
// the readers net/http measures.
func postReader(t testing.TB, method, url string, body io.Reader, h http.Header) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range h {
		req.Header[k] = v
	}
	resp, err := testClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// rejected sums the handler's rejections.
func rejected(st *snshttp.Stats) uint64 {
	var n uint64
	for r := range snshttp.NumReasons {
		n += st.Rejected[r].Load()
	}
	return n
}

// logRecorder is a slog.Handler that keeps every record (Debug included)
// and lets a test wait for a message.
type logRecorder struct {
	mu      sync.Mutex
	recs    []logRecord
	changed chan struct{} // closed and replaced on every record
}

type logRecord struct {
	level slog.Level
	msg   string
	attrs map[string]string
}

func (l *logRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (l *logRecorder) WithAttrs([]slog.Attr) slog.Handler       { return l }
func (l *logRecorder) WithGroup(string) slog.Handler            { return l }

func (l *logRecorder) Handle(_ context.Context, r slog.Record) error {
	rec := logRecord{level: r.Level, msg: r.Message, attrs: map[string]string{}}
	r.Attrs(func(a slog.Attr) bool {
		rec.attrs[a.Key] = a.Value.String()
		return true
	})
	l.mu.Lock()
	l.recs = append(l.recs, rec)
	if l.changed != nil {
		close(l.changed)
		l.changed = nil
	}
	l.mu.Unlock()
	return nil
}

// find returns the first record whose message contains msg.
func (l *logRecorder) find(msg string) (logRecord, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, r := range l.recs {
		if strings.Contains(r.msg, msg) {
			return r, true
		}
	}
	return logRecord{}, false
}

// wait waits for a record whose message contains msg.
func (l *logRecorder) wait(t testing.TB, msg string) logRecord {
	t.Helper()
	timeout := time.After(waitLimit)
	for {
		l.mu.Lock()
		if l.changed == nil {
			l.changed = make(chan struct{})
		}
		ch := l.changed
		l.mu.Unlock()
		if r, ok := l.find(msg); ok {
			return r
		}
		select {
		case <-ch:
		case <-timeout:
			t.Fatalf("timed out waiting for log %q", msg)
		}
	}
}
