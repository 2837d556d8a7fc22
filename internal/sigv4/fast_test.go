package sigv4

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"testing"
	"time"
)

// parseAmzDate's fast path must agree with time.Parse.
func checkAmzDate(t *testing.T, v string) {
	t.Helper()
	if len(v) != len(isoBasic) {
		return // refused by length before any parsing, as before
	}
	got, e := parseAmzDate(v)
	want, err := time.Parse(isoBasic, v)
	if (e == nil) != (err == nil) || e == nil && (!got.Equal(want) || got.Location() != want.Location()) {
		t.Fatalf("parseAmzDate(%q) = %v, %v; time.Parse: %v, %v", v, got, e, want, err)
	}
	if ft, ok := parseAmzDateFast(v); ok && (err != nil || !ft.Equal(want)) {
		t.Fatalf("parseAmzDateFast(%q) = %v; time.Parse: %v, %v", v, ft, want, err)
	}
}

var amzDateSeeds = []string{
	"20260102T150405Z", "20261125T000000Z", "20240229T235959Z", "20250229T120000Z", "20261231T235959Z",
	"20260132T000000Z", "20261301T000000Z", "20260001T000000Z", "20260100T000000Z", "20260102T240000Z",
	"20260102T156000Z", "20260102T150460Z", "2026010T1150405Z", "+0260102T150405Z", "20260102t150405Z",
	"20260102T150405z", "20260102 150405Z", "2026-1-2T150405Z", "00000102T150405Z", "20260431T000000Z",
}

func TestParseAmzDateFast(t *testing.T) {
	for _, v := range amzDateSeeds {
		checkAmzDate(t, v)
	}
	if _, ok := parseAmzDateFast("20260102T150405Z"); !ok {
		t.Fatal("the fast path refused a plain date")
	}
}

func FuzzParseAmzDate(f *testing.F) {
	for _, v := range amzDateSeeds {
		f.Add(v)
	}
	f.Fuzz(checkAmzDate)
}

// sign's HMAC must be crypto/hmac's.
func TestSignHMAC(t *testing.T) {
	r, _ := http.NewRequest(http.MethodPost, "http://localhost:9324/", nil)
	r.Header.Set("X-Amz-Date", "20260102T150405Z")
	in := request{amzDate: "20260102T150405Z", date: "20260102", region: "us-east-1", service: "sqs", term: terminator,
		signedHeaders: "host;x-amz-date", headerNames: "host;x-amz-date"}
	key := deriveKey("secret", "20260102", "us-east-1", "sqs")
	var buf []byte
	sig, _, sts := in.sign(&buf, r, &key, []byte(emptySHA256))
	m := hmac.New(sha256.New, key[:])
	m.Write(sts)
	if want := hex.EncodeToString(m.Sum(nil)); string(sig[:]) != want {
		t.Fatalf("signature %s, crypto/hmac %s", sig, want)
	}
}

// The key cache must never return the key of another secret, date,
// region or service.
func TestKeyCache(t *testing.T) {
	var c keyCache
	base := [5]string{"AKID", "secret", "20260102", "us-east-1", "sqs"}
	get := func(v [5]string) [sha256.Size]byte { return c.get(v[0], v[1], v[2], v[3], v[4]) }
	want := deriveKey(base[1], base[2], base[3], base[4])
	for range 2 {
		if get(base) != want {
			t.Fatal("wrong key for the base scope")
		}
	}
	for i := 1; i < 5; i++ {
		v := base
		v[i] += "x"
		if got := get(v); got != deriveKey(v[1], v[2], v[3], v[4]) || got == want {
			t.Fatalf("wrong key when %d differs", i)
		}
		if get(base) != want {
			t.Fatal("the base scope's key changed")
		}
	}
	other := base
	other[0] = "AKID2"
	other[1] = "secret2"
	if get(other) != deriveKey("secret2", base[2], base[3], base[4]) {
		t.Fatal("wrong key for another access key")
	}
}
