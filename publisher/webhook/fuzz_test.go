package webhook

import (
	"errors"
	"net/http"
	"testing"
	"time"
)

// FuzzVerify feeds Verify arbitrary headers and bodies. It must not panic,
// must never accept a request without the right signature (the fuzzer does
// not know the secret), and must accept what Sign produced for the same
// id, timestamp and body.
func FuzzVerify(f *testing.F) {
	secret := testSecret(f, 0x5A, 32)
	now := time.Unix(1_700_000_000, 0)
	f.Add("evt_1", "1700000000", "v1,AAAA", []byte(`{"a":1}`))
	f.Add("msg_p5jXN8AQM9LWM0D4loKWxJek", "1614265330", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", []byte(`{"test": 2432232314}`))
	f.Add("", "", "", []byte(nil))
	f.Add("x", "-1", "v1, v1,,, v2,abc", []byte("\x00"))
	f.Add("x", "99999999999999999999", "v1", []byte{})
	f.Fuzz(func(t *testing.T, id, ts, sig string, body []byte) {
		h := http.Header{}
		h.Set(HeaderID, id)
		h.Set(HeaderTimestamp, ts)
		h.Set(HeaderSignature, sig)
		if err := Verify(h, body, []Secret{secret}, now, time.Hour); err == nil {
			t.Fatalf("Verify accepted id %q ts %q sig %q without the secret", id, ts, sig)
		}
		if err := Verify(h, body, []Secret{{}}, now, time.Hour); err == nil {
			t.Fatalf("Verify accepted a zero secret")
		}
		// What Sign produces verifies, unless a header is empty (missing).
		h.Set(HeaderTimestamp, "1700000000")
		h.Set(HeaderSignature, sig+" "+Sign(id, now, body, secret))
		err := Verify(h, body, []Secret{secret}, now, time.Hour)
		if id == "" {
			if !errors.Is(err, ErrMissingHeader) {
				t.Fatalf("empty id: Verify = %v, want ErrMissingHeader", err)
			}
			return
		}
		if err != nil {
			t.Fatalf("Verify of Sign's output = %v", err)
		}
	})
}

// FuzzParseSecret checks that ParseSecret never panics and that what it
// accepts round-trips through String.
func FuzzParseSecret(f *testing.F) {
	f.Add("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	f.Add("whsec_")
	f.Add("whsec_====")
	f.Fuzz(func(t *testing.T, in string) {
		s, err := ParseSecret(in)
		if err != nil {
			if !errors.Is(err, ErrInvalidSecret) {
				t.Fatalf("ParseSecret error %v does not wrap ErrInvalidSecret", err)
			}
			return
		}
		if s.String() != in {
			t.Fatalf("String() = %q, want %q", s.String(), in)
		}
	})
}
