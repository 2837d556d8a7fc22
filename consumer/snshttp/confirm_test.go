package snshttp_test

import (
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/herald-dev/herald/consumer"
	"github.com/herald-dev/herald/consumer/snshttp"
	"github.com/herald-dev/herald/internal/snsmsg"
)

func TestHandlerSubscriptionConfirmation(t *testing.T) {
	t.Parallel()
	off := false
	tests := []struct {
		name string
		cfg  func(c *snshttp.Config, f *fakeSNS)
		// base is the SubscribeURL's scheme and host; empty means the fake
		// SNS's.
		base          func(f *fakeSNS) string
		confirmStatus int     // what the SubscribeURL answers; 0 = 200
		confirmBody   *string // replaces the XML answer
		confirmHang   bool    // the SubscribeURL never answers
		status        int
		visited       bool   // the SubscribeURL must have been visited (else never)
		arn           bool   // the SubscriptionArn must have been logged
		reason        string // the rejection logged, if any
		confirmed     uint64
		failed        uint64
	}{
		{name: "auto-confirmed", status: 200, visited: true, arn: true, confirmed: 1},
		{
			name: "auto-confirmed on a pinned host and port",
			cfg: func(c *snshttp.Config, f *fakeSNS) {
				c.CertHostPattern = "^" + regexp.QuoteMeta(strings.TrimPrefix(f.srv.URL, "http://")) + "$"
				c.MatchHostPort = true
			},
			status: 200, visited: true, arn: true, confirmed: 1,
		},
		{
			name:   "AutoConfirm off: logged, not visited",
			cfg:    func(c *snshttp.Config, _ *fakeSNS) { c.AutoConfirm = &off },
			status: 200,
		},
		{
			name:   "SubscribeURL on a host not allowed",
			base:   func(f *fakeSNS) string { return strings.Replace(f.srv.URL, "127.0.0.1", "localhost", 1) },
			status: 403, reason: "subscribe_url",
		},
		{
			name: "SubscribeURL on a port not allowed",
			cfg: func(c *snshttp.Config, f *fakeSNS) {
				c.CertHostPattern = "^" + regexp.QuoteMeta(strings.TrimPrefix(f.srv.URL, "http://")) + "$"
				c.MatchHostPort = true
			},
			base:   func(f *fakeSNS) string { return "http://127.0.0.1:1" },
			status: 403, reason: "subscribe_url",
		},
		{
			name:   "SubscribeURL not https",
			base:   func(f *fakeSNS) string { return strings.Replace(f.srv.URL, "http://", "ftp://", 1) },
			status: 403, reason: "subscribe_url",
		},
		{
			name:   "SubscribeURL with user info",
			base:   func(f *fakeSNS) string { return strings.Replace(f.srv.URL, "http://", "http://user:pw@", 1) },
			status: 403, reason: "subscribe_url",
		},
		{
			name: "topic not in allow-list",
			cfg: func(c *snshttp.Config, _ *fakeSNS) {
				c.TopicArns = []string{"arn:aws:sns:us-east-1:123456789012:other"}
			},
			status: 403, reason: "topic",
		},
		{
			name:          "SubscribeURL fails: SNS must retry",
			confirmStatus: 503,
			status:        502, visited: true, failed: 1,
		},
		{
			name:        "SubscribeURL times out: SNS must retry",
			cfg:         func(c *snshttp.Config, _ *fakeSNS) { c.ConfirmTimeout = consumer.Duration(100 * time.Millisecond) },
			confirmHang: true,
			status:      502, visited: true, failed: 1,
		},
		{
			name:        "SubscribeURL answers 200 without XML",
			confirmBody: ptr("ok"),
			status:      200, visited: true, confirmed: 1,
		},
		{
			name:   "SubscribeURL unreachable: SNS must retry",
			base:   func(f *fakeSNS) string { return "http://127.0.0.1:1" },
			status: 502, failed: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFakeSNS(t)
			f.confirmStatus.Store(int32(tt.confirmStatus))
			f.confirmHang.Store(tt.confirmHang)
			if tt.confirmBody != nil {
				f.confirmBody.Store(tt.confirmBody)
			}
			cfg := localConfig()
			if tt.cfg != nil {
				tt.cfg(&cfg, f)
			}
			rec := newRecorder()
			ep := newEndpoint(t, cfg, rec)
			base := f.srv.URL
			if tt.base != nil {
				base = tt.base(f)
			}
			m := f.confirmation(snsmsg.TypeSubscriptionConfirmation, base)
			body := f.sign(t, m)
			h := headers(m)
			if status, text := post(t, http.MethodPost, ep.url, body, h); status != tt.status {
				t.Errorf("status = %d (%s), want %d", status, strings.TrimSpace(text), tt.status)
			}

			visits := f.visits()
			switch {
			case tt.visited && (len(visits) != 1 || visits[0] != m.Token):
				t.Errorf("SubscribeURL visits with tokens %q, want one with %q", visits, m.Token)
			case !tt.visited && len(visits) != 0:
				t.Errorf("SubscribeURL visited %d times, want never", len(visits))
			}
			st := ep.h.Stats()
			if st.Confirmed.Load() != tt.confirmed || st.ConfirmFailed.Load() != tt.failed {
				t.Errorf("Confirmed %d, ConfirmFailed %d; want %d, %d",
					st.Confirmed.Load(), st.ConfirmFailed.Load(), tt.confirmed, tt.failed)
			}
			wantConfirmations := uint64(1)
			if tt.reason == "topic" {
				wantConfirmations = 0 // refused before it counts as a confirmation
			}
			if got := st.Confirmations.Load(); got != wantConfirmations {
				t.Errorf("Confirmations = %d, want %d", got, wantConfirmations)
			}
			if len(rec.messages()) != 0 {
				t.Errorf("processor got %d messages, want none", len(rec.messages()))
			}

			if tt.arn {
				r, ok := ep.log.find("subscription confirmed")
				if want := testTopic + ":" + m.Token; !ok || r.attrs["subscription_arn"] != want {
					t.Errorf("log %+v, want subscription_arn %q", r, want)
				}
			}
			if cfg.AutoConfirm != nil && !*cfg.AutoConfirm {
				r, ok := ep.log.find("awaits confirmation")
				if !ok || r.level != slog.LevelWarn || r.attrs["subscribe_url"] != m.SubscribeURL {
					t.Errorf("log %+v, want the SubscribeURL at Warn", r)
				}
			}
			if tt.reason != "" {
				if r, ok := ep.log.find("rejected"); !ok || r.attrs["reason"] != tt.reason {
					t.Errorf("log %+v, want a rejection for %s", r, tt.reason)
				}
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }
