package queue

import (
	"encoding/base64"
	"encoding/binary"
	"strings"
	"testing"
)

// decodeHandleRef is decodeHandle with DecodeString, which copies.
func decodeHandleRef(s string) (handle, bool) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return handle{}, false
	}
	return parseHandle(b)
}

func checkHandle(t *testing.T, s string) {
	t.Helper()
	h, ok := decodeHandle(s)
	rh, rok := decodeHandleRef(s)
	if h != rh || ok != rok {
		t.Fatalf("decodeHandle(%q) = %+v, %v; with DecodeString %+v, %v", s, h, ok, rh, rok)
	}
}

func handleSeeds() []string {
	s := encodeHandle(7, 123456789, 3)
	return []string{s, s[:10] + "\n" + s[10:], s[:10] + "\r\n" + s[10:] + "\n", s + "=", s[:38], s + "A",
		strings.Repeat("A", 200), "", "%%%", encodeHandle(-1, -1, -1), encodeHandle(0, 0, 0)}
}

func TestHandleCodec(t *testing.T) {
	for _, q := range []int64{0, 1, 7, 1 << 40, -1} {
		for _, seq := range []int64{0, 1, 99999, 1 << 62} {
			for _, rc := range []int32{0, 1, 1 << 30} {
				var b [29]byte
				b[0] = handleVersion
				binary.BigEndian.PutUint64(b[1:], uint64(q))
				binary.BigEndian.PutUint64(b[9:], uint64(seq))
				binary.BigEndian.PutUint32(b[17:], uint32(rc))
				binary.BigEndian.PutUint64(b[21:], handleCheck(q, seq, rc))
				s := encodeHandle(q, seq, rc)
				if want := base64.RawURLEncoding.EncodeToString(b[:]); s != want {
					t.Fatalf("encodeHandle = %q, want %q", s, want)
				}
				if h, ok := decodeHandle(s); !ok || h != (handle{q, seq, rc}) {
					t.Fatalf("decodeHandle(%q) = %+v %v", s, h, ok)
				}
			}
		}
	}
	for _, s := range handleSeeds() {
		checkHandle(t, s)
	}
}

func FuzzDecodeHandle(f *testing.F) {
	for _, s := range handleSeeds() {
		f.Add(s)
	}
	f.Fuzz(checkHandle)
}
