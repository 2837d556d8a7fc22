package uuid

import (
	"regexp"
	"testing"
)

func TestFormat(t *testing.T) {
	b := [16]byte{0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x32, 0x10}
	if got, want := Format(b), "01234567-89ab-cdef-fedc-ba9876543210"; got != want {
		t.Errorf("Format = %s, want %s", got, want)
	}
}

func TestNewV4(t *testing.T) {
	re := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	seen := map[string]bool{}
	for range 1000 {
		id := NewV4()
		if !re.MatchString(id) {
			t.Fatalf("NewV4 = %q, not a version 4 UUID", id)
		}
		if seen[id] {
			t.Fatalf("NewV4 repeated %q", id)
		}
		seen[id] = true
	}
}
