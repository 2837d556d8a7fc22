package sinks

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/herald-dev/herald/consumer"
)

func TestParseRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"", 0},
		{"3", 3 * time.Second},
		{" 10 ", 10 * time.Second},
		{"0", 0},
		{"-5", 0},
		{"99999999999", 24 * time.Hour},
		{"soon", 0},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0},
	}
	for _, tt := range tests {
		if got := parseRetryAfter(tt.in, now); got != tt.want {
			t.Errorf("parseRetryAfter(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestCheckResponse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		code       int
		retryAfter string
		wantOK     bool
		permanent  bool
		wantWait   time.Duration
	}{
		{200, "", true, false, 0},
		{204, "", true, false, 0},
		{301, "", false, true, 0},
		{307, "", false, true, 0},
		{400, "", false, true, 0},
		{401, "", false, true, 0},
		{404, "", false, true, 0},
		{408, "", false, false, 0},
		{409, "", false, true, 0},
		{422, "", false, true, 0},
		{429, "2", false, false, 2 * time.Second},
		{500, "2", false, false, 0}, // Retry-After counts only on 429 and 503
		{502, "", false, false, 0},
		{503, "4", false, false, 4 * time.Second},
		{599, "", false, false, 0},
	}
	for _, tt := range tests {
		resp := &http.Response{
			StatusCode: tt.code,
			Status:     http.StatusText(tt.code),
			Header:     http.Header{},
			Body:       io.NopCloser(strings.NewReader("line one\nline two " + strings.Repeat("x", 500))),
		}
		if tt.retryAfter != "" {
			resp.Header.Set("Retry-After", tt.retryAfter)
		}
		err := checkResponse(resp, time.Now())
		if tt.wantOK {
			if err != nil {
				t.Errorf("%d: %v, want success", tt.code, err)
			}
			continue
		}
		if err == nil || consumer.IsPermanent(err) != tt.permanent {
			t.Errorf("%d: error %v, want permanent %v", tt.code, err, tt.permanent)
			continue
		}
		var se *StatusError
		if !errors.As(err, &se) {
			t.Fatalf("%d: %T is not a *StatusError", tt.code, err)
		}
		if se.RetryAfter != tt.wantWait {
			t.Errorf("%d: RetryAfter %v, want %v", tt.code, se.RetryAfter, tt.wantWait)
		}
		if !strings.HasPrefix(se.Body, "line one line two xxx") || len(se.Body) > snippetLen+3 {
			t.Errorf("%d: body snippet %q, want the first %d bytes on one line", tt.code, se.Body, snippetLen)
		}
	}
}
