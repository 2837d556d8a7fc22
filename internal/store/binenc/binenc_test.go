package binenc

import (
	"reflect"
	"testing"

	"github.com/herald-dev/herald/internal/queue"
	"github.com/herald-dev/herald/internal/store/storetest"
)

func TestAttrsRoundTrip(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   queue.MessageAttributes
	}{
		{"nil", nil},
		{"empty", queue.MessageAttributes{}},
		{"full", storetest.Message(1, 3).Attributes},
		{"system", storetest.Message(1, 3).SystemAttributes},
		{"empty name and values", queue.MessageAttributes{"": {}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := AppendAttrs(nil, tt.in)
			got, err := DecodeAttrs(b)
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			if len(tt.in) == 0 {
				if got != nil {
					t.Fatalf("got %v, want nil", got)
				}
				return
			}
			if !reflect.DeepEqual(got, tt.in) {
				t.Fatalf("round trip:\n got %#v\nwant %#v", got, tt.in)
			}
		})
	}
}

func TestDecodeAttrsCorrupt(t *testing.T) {
	t.Parallel()
	good := AppendAttrs(nil, storetest.Message(1, 3).Attributes)
	for _, b := range [][]byte{{2}, {1}, {1, 5}, good[:len(good)-1], append(good[:len(good):len(good)], 0)} {
		if _, err := DecodeAttrs(b); err == nil {
			t.Errorf("DecodeAttrs(%x) = nil error", b)
		}
	}
}

// FuzzDecodeAttrs checks that no input makes the decoder panic or allocate
// without bound, and that what it accepts encodes back to an equal value.
func FuzzDecodeAttrs(f *testing.F) {
	f.Add(AppendAttrs(nil, storetest.Message(1, 3).Attributes))
	f.Add([]byte{1, 1, 0, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := DecodeAttrs(b)
		if err != nil {
			return
		}
		again, err := DecodeAttrs(AppendAttrs(nil, a))
		if err != nil {
			t.Fatalf("re-decode: %v", err)
		}
		if len(a) != len(again) || (len(a) > 0 && !reflect.DeepEqual(a, again)) {
			t.Fatalf("unstable:\n%#v\n%#v", a, again)
		}
	})
}

func BenchmarkAppendAttrs(b *testing.B) {
	a := storetest.Message(1, 3).Attributes
	buf := make([]byte, 0, 1024)
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendAttrs(buf[:0], a)
	}
}
