package snshttp_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sync/atomic"
	"testing"

	"github.com/herald-dev/herald/consumer"
	"github.com/herald-dev/herald/consumer/snshttp"
	"github.com/herald-dev/herald/internal/snsmsg"
	"github.com/herald-dev/herald/internal/snsverify"
)

// FuzzHandler posts arbitrary bodies and type headers. The handler must not
// panic, must answer one of its documented statuses, and must hand the
// processor only bodies that an independent verifier accepts.
func FuzzHandler(f *testing.F) {
	sns := newFakeSNS(f)
	for _, v := range []string{"1", "2"} {
		m := sns.notification()
		m.SignatureVersion = v
		m.MessageAttributes = map[string]snsmsg.Attribute{"kind": {Type: "String", Value: "created"}}
		f.Add(sns.sign(f, m), snsmsg.TypeNotification)
	}
	c := sns.confirmation(snsmsg.TypeSubscriptionConfirmation, sns.srv.URL)
	f.Add(sns.sign(f, c), snsmsg.TypeSubscriptionConfirmation)
	u := sns.confirmation(snsmsg.TypeUnsubscribeConfirmation, sns.srv.URL)
	f.Add(sns.sign(f, u), "")
	f.Add(sns.notification().Marshal(), snsmsg.TypeNotification) // unsigned
	f.Add([]byte(`{"Type":"Notification","Type":"Notification"}`), "")
	f.Add([]byte(`{"Type":"Notification","message":"x"}`), "")
	f.Add([]byte(`[]`), "")
	f.Add([]byte{}, "")

	// check verifies what reaches the processor without the handler's
	// verifier (and its cache).
	check := snsverify.New(snsverify.Options{HostPattern: regexp.MustCompile(`^127\.0\.0\.1$`), AllowHTTP: true})
	allowed := map[int]bool{200: true, 400: true, 403: true, 413: true, 502: true}

	// One handler for every input, so that its certificate cache spares a
	// fetch per input; inputs run one at a time in a process, and cur is
	// the one running.
	var cur atomic.Pointer[testing.T]
	proc := consumer.ProcessorFunc(func(ctx context.Context, msgs []*consumer.Message) []consumer.Outcome {
		t := cur.Load()
		for _, m := range msgs {
			v, err := check.Verify(ctx, m.Body)
			if err != nil {
				t.Errorf("processor got a body that does not verify (%v):\n%q", err, m.Body)
				continue
			}
			if v.Type != snsverify.TypeNotification || v.MessageId != m.ID {
				t.Errorf("processor got a %s with id %q as message %q", v.Type, v.MessageId, m.ID)
			}
		}
		return make([]consumer.Outcome, len(msgs))
	})
	h, err := snshttp.NewHandler(localConfig(), proc, slog.New(slog.DiscardHandler))
	if err != nil {
		f.Fatal(err)
	}

	f.Fuzz(func(t *testing.T, body []byte, typ string) {
		cur.Store(t)
		req := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
		if typ != "" {
			req.Header.Set(snshttp.HeaderMessageType, typ)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if !allowed[w.Code] {
			t.Errorf("status %d for %q", w.Code, body)
		}
	})
}
