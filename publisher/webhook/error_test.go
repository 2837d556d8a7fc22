package webhook

import (
	"errors"
	"net/http"
	"testing"
	"time"
)

func TestParseRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name, v string
		want    time.Duration
	}{
		{"absent", "", 0},
		{"seconds", "120", 2 * time.Minute},
		{"spaces", " 7 ", 7 * time.Second},
		{"zero", "0", 0},
		{"capped", "86400", time.Hour},
		{"overflow capped", "99999999999999999999999", time.Hour},
		{"negative", "-5", 0},
		{"fraction", "1.5", 0},
		{"date", now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{"date capped", now.Add(48 * time.Hour).Format(http.TimeFormat), time.Hour},
		{"date past", now.Add(-time.Minute).Format(http.TimeFormat), 0},
		{"garbage", "soon", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := parseRetryAfter(tt.v, now, time.Hour); got != tt.want {
				t.Errorf("parseRetryAfter(%q) = %v, want %v", tt.v, got, tt.want)
			}
		})
	}
}

func TestClassify(t *testing.T) {
	t.Parallel()
	tests := []struct {
		status    int
		retriable bool
		cause     error // nil: success
	}{
		{200, false, nil},
		{202, false, nil},
		{204, false, nil},
		{299, false, nil},
		{301, false, ErrRedirect},
		{302, false, ErrRedirect},
		{307, false, ErrRedirect},
		{308, false, ErrRedirect},
		{400, false, ErrStatus},
		{401, false, ErrStatus},
		{403, false, ErrStatus},
		{404, false, ErrStatus},
		{408, true, ErrStatus},
		{410, false, ErrEndpointGone},
		{413, false, ErrStatus},
		{422, false, ErrStatus},
		{425, true, ErrStatus},
		{429, true, ErrStatus},
		{500, true, ErrStatus},
		{502, true, ErrStatus},
		{503, true, ErrStatus},
		{504, true, ErrStatus},
		{599, true, ErrStatus},
		{600, true, ErrStatus},
		{199, true, ErrStatus},
	}
	h := http.Header{"Retry-After": {"3"}}
	for _, tt := range tests {
		e := classify(tt.status, h, "", time.Now(), time.Hour)
		if tt.cause == nil {
			if e != nil {
				t.Errorf("%d: classify = %v, want success", tt.status, e)
			}
			continue
		}
		if e == nil {
			t.Errorf("%d: classify = success, want %v", tt.status, tt.cause)
			continue
		}
		if e.Status != tt.status || e.Retriable != tt.retriable || !errors.Is(e, tt.cause) {
			t.Errorf("%d: classify = %+v, want retriable %v, cause %v", tt.status, e, tt.retriable, tt.cause)
		}
		if e.Gone() != (tt.status == 410) {
			t.Errorf("%d: Gone = %v", tt.status, e.Gone())
		}
		wantRA := time.Duration(0)
		if tt.retriable {
			wantRA = 3 * time.Second
		}
		if e.RetryAfter != wantRA {
			t.Errorf("%d: RetryAfter = %v, want %v", tt.status, e.RetryAfter, wantRA)
		}
		if IsRetriable(e) != tt.retriable {
			t.Errorf("%d: IsRetriable = %v", tt.status, IsRetriable(e))
		}
	}
	if IsRetriable(errors.New("plain")) || IsRetriable(nil) {
		t.Error("IsRetriable of a non-*Error = true")
	}
}
