package webhook

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// testSecret returns a secret whose key is n bytes of value b.
func testSecret(t testing.TB, b byte, n int) Secret {
	t.Helper()
	s, err := ParseSecret(SecretPrefix + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{b}, n)))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// headers returns the three webhook headers.
func headers(id string, ts int64, sig string) http.Header {
	h := http.Header{}
	h.Set(HeaderID, id)
	h.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
	h.Set(HeaderSignature, sig)
	return h
}

func TestSignKnownAnswer(t *testing.T) {
	t.Parallel()
	key := []byte("0123456789abcdefghijklmnopqrstuv")
	secret, err := ParseSecret("whsec_" + base64.StdEncoding.EncodeToString(key))
	if err != nil {
		t.Fatal(err)
	}
	body := []byte(`{"status":"DOWNLOADED"}`)
	ts := time.Date(2026, 1, 2, 3, 4, 5, 999, time.UTC)

	// Computed independently of Sign: HMAC-SHA256 of "id.unix.body".
	m := hmac.New(sha256.New, key)
	m.Write([]byte("msg_1." + strconv.FormatInt(ts.Unix(), 10) + "." + string(body)))
	want := "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil))

	if got := Sign("msg_1", ts, body, secret); got != want {
		t.Errorf("Sign = %q, want %q", got, want)
	}
}

// TestSignPublishedVector checks the example of the Standard Webhooks
// reference implementations' test suites.
func TestSignPublishedVector(t *testing.T) {
	t.Parallel()
	secret, err := ParseSecret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	if err != nil {
		t.Fatal(err)
	}
	got := Sign("msg_p5jXN8AQM9LWM0D4loKWxJek", time.Unix(1614265330, 0), []byte(`{"test": 2432232314}`), secret)
	if want := "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="; got != want {
		t.Errorf("Sign = %q, want %q", got, want)
	}
}

func TestSignRotation(t *testing.T) {
	t.Parallel()
	oldS, newS := testSecret(t, 1, 24), testSecret(t, 2, 32)
	now := time.Unix(1_700_000_000, 0)
	body := []byte(`{"a":1}`)
	sig := Sign("evt_1", now, body, newS, Secret{}, oldS)
	entries := strings.Split(sig, " ")
	if len(entries) != 2 {
		t.Fatalf("Sign = %q, want 2 entries (zero secret skipped)", sig)
	}
	if entries[0] != Sign("evt_1", now, body, newS) || entries[1] != Sign("evt_1", now, body, oldS) {
		t.Errorf("Sign = %q, want the new then the old secret's entry", sig)
	}
	h := headers("evt_1", now.Unix(), sig)
	for name, secrets := range map[string][]Secret{
		"old only": {oldS},
		"new only": {newS},
		"both":     {oldS, newS},
	} {
		if err := Verify(h, body, secrets, now, 0); err != nil {
			t.Errorf("%s: Verify = %v", name, err)
		}
	}
	if err := Verify(h, body, []Secret{testSecret(t, 3, 24)}, now, 0); !errors.Is(err, ErrNoMatchingSignature) {
		t.Errorf("other secret: Verify = %v, want ErrNoMatchingSignature", err)
	}
	if got := Sign("evt_1", now, body); got != "" {
		t.Errorf("Sign with no secret = %q, want empty", got)
	}
}

func TestVerifyRejects(t *testing.T) {
	t.Parallel()
	s := testSecret(t, 7, 24)
	now := time.Unix(1_700_000_000, 0)
	body := []byte(`{"status":"COMPLETED"}`)
	good := Sign("evt_1", now, body, s)
	goodMAC := strings.TrimPrefix(good, "v1,")

	tests := []struct {
		name    string
		header  http.Header
		body    []byte
		secrets []Secret
		want    error
	}{
		{"valid", headers("evt_1", now.Unix(), good), body, []Secret{s}, nil},
		{"tampered body", headers("evt_1", now.Unix(), good), []byte(`{"status":"FAILED"}`), []Secret{s}, ErrNoMatchingSignature},
		{"tampered id", headers("evt_2", now.Unix(), good), body, []Secret{s}, ErrNoMatchingSignature},
		{"tampered timestamp", headers("evt_1", now.Unix()+1, good), body, []Secret{s}, ErrNoMatchingSignature},
		{"empty body", headers("evt_1", now.Unix(), good), nil, []Secret{s}, ErrNoMatchingSignature},
		{"other version", headers("evt_1", now.Unix(), "v1a,"+goodMAC), body, []Secret{s}, ErrNoMatchingSignature},
		{"no version", headers("evt_1", now.Unix(), goodMAC), body, []Secret{s}, ErrNoMatchingSignature},
		{"bad base64", headers("evt_1", now.Unix(), "v1,!!!"), body, []Secret{s}, ErrNoMatchingSignature},
		{"truncated mac", headers("evt_1", now.Unix(), good[:len(good)-4]), body, []Secret{s}, ErrNoMatchingSignature},
		{"match among others", headers("evt_1", now.Unix(), "v2,xyz v1,AAAA   "+good+" v1,"), body, []Secret{s}, nil},
		{"zero secret", headers("evt_1", now.Unix(), "v1,"+base64.StdEncoding.EncodeToString(mac(Secret{}, "evt_1", now.Unix(), body))), body, []Secret{{}}, ErrNoMatchingSignature},
		{"no secrets", headers("evt_1", now.Unix(), good), body, nil, ErrNoMatchingSignature},
		{"missing id", func() http.Header { h := headers("evt_1", now.Unix(), good); h.Del(HeaderID); return h }(), body, []Secret{s}, ErrMissingHeader},
		{"missing timestamp", func() http.Header { h := headers("evt_1", now.Unix(), good); h.Del(HeaderTimestamp); return h }(), body, []Secret{s}, ErrMissingHeader},
		{"missing signature", headers("evt_1", now.Unix(), ""), body, []Secret{s}, ErrMissingHeader},
		{"negative timestamp", func() http.Header { h := headers("evt_1", 0, good); h.Set(HeaderTimestamp, "-1"); return h }(), body, []Secret{s}, ErrInvalidTimestamp},
		{"plus timestamp", func() http.Header { h := headers("evt_1", 0, good); h.Set(HeaderTimestamp, "+1700000000"); return h }(), body, []Secret{s}, ErrInvalidTimestamp},
		{"fractional timestamp", func() http.Header { h := headers("evt_1", 0, good); h.Set(HeaderTimestamp, "1700000000.5"); return h }(), body, []Secret{s}, ErrInvalidTimestamp},
		{"overflowing timestamp", func() http.Header {
			h := headers("evt_1", 0, good)
			h.Set(HeaderTimestamp, "99999999999999999999")
			return h
		}(), body, []Secret{s}, ErrInvalidTimestamp},
		{"huge timestamp", headers("evt_1", 1<<62, good), body, []Secret{s}, ErrTimestampTooNew},
		{"zero timestamp", headers("evt_1", 0, good), body, []Secret{s}, ErrTimestampTooOld},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := Verify(tt.header, tt.body, tt.secrets, now, 0)
			if tt.want == nil && err != nil || tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("Verify = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestVerifyTolerance(t *testing.T) {
	t.Parallel()
	s := testSecret(t, 9, 24)
	signed := time.Unix(1_700_000_000, 0)
	body := []byte("{}")
	h := headers("evt_1", signed.Unix(), Sign("evt_1", signed, body, s))

	tests := []struct {
		name      string
		now       time.Time
		tolerance time.Duration
		want      error
	}{
		{"same second", signed, 0, nil},
		{"default edge late", signed.Add(5 * time.Minute), 0, nil},
		{"default past late", signed.Add(5*time.Minute + time.Nanosecond), 0, ErrTimestampTooOld},
		{"default edge early", signed.Add(-5 * time.Minute), 0, nil},
		{"default past early", signed.Add(-5*time.Minute - time.Nanosecond), 0, ErrTimestampTooNew},
		{"negative means default", signed.Add(4 * time.Minute), -time.Second, nil},
		{"custom edge", signed.Add(30 * time.Second), 30 * time.Second, nil},
		{"custom past", signed.Add(31 * time.Second), 30 * time.Second, ErrTimestampTooOld},
		{"custom past early", signed.Add(-31 * time.Second), 30 * time.Second, ErrTimestampTooNew},
		{"long ago", time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC), 0, ErrTimestampTooOld},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := Verify(h, body, []Secret{s}, tt.now, tt.tolerance)
			if tt.want == nil && err != nil || tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("Verify = %v, want %v", err, tt.want)
			}
		})
	}
}
