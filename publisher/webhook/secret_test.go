package webhook

import (
	"bytes"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
)

func TestParseSecret(t *testing.T) {
	t.Parallel()
	b64 := func(n int) string { return base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0xAB}, n)) }
	tests := []struct {
		name, in string
		wantLen  int // 0: want an error
	}{
		{"24 bytes", "whsec_" + b64(24), 24},
		{"64 bytes", "whsec_" + b64(64), 64},
		{"32 bytes padded", "whsec_" + b64(32), 32},
		{"23 bytes", "whsec_" + b64(23), 0},
		{"65 bytes", "whsec_" + b64(65), 0},
		{"no prefix", b64(24), 0},
		{"wrong prefix case", "WHSEC_" + b64(24), 0},
		{"empty", "", 0},
		{"prefix only", "whsec_", 0},
		{"url alphabet", "whsec_" + strings.NewReplacer("+", "-", "/", "_").Replace(base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0xFB}, 24))), 0},
		{"missing padding", "whsec_" + strings.TrimRight(b64(25), "="), 0},
		{"space inside", "whsec_ " + b64(24), 0},
		{"newline inside", "whsec_" + b64(24)[:8] + "\n" + b64(24)[8:], 0},
		{"trailing newline", "whsec_" + b64(24) + "\n", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, err := ParseSecret(tt.in)
			if tt.wantLen == 0 {
				if !errors.Is(err, ErrInvalidSecret) {
					t.Fatalf("ParseSecret = %v, want ErrInvalidSecret", err)
				}
				if len(tt.in) > len("whsec_") && strings.Contains(err.Error(), tt.in[len("whsec_"):]) {
					t.Errorf("error %q quotes the secret", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseSecret = %v", err)
			}
			if len(s.key) != tt.wantLen {
				t.Errorf("key is %d bytes, want %d", len(s.key), tt.wantLen)
			}
			if s.String() != tt.in {
				t.Errorf("String = %q, want %q", s.String(), tt.in)
			}
		})
	}
}

func TestNewSecret(t *testing.T) {
	t.Parallel()
	a, err := NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	if len(a.key) != 24 {
		t.Errorf("key is %d bytes, want 24", len(a.key))
	}
	if bytes.Equal(a.key, b.key) {
		t.Error("two new secrets are equal")
	}
	back, err := ParseSecret(a.String())
	if err != nil || !bytes.Equal(back.key, a.key) {
		t.Errorf("ParseSecret(String()) = %v, %v; want the same key", back, err)
	}
	if (Secret{}).String() != "" || !(Secret{}).IsZero() || a.IsZero() {
		t.Error("zero secret: want String \"\" and IsZero; new secret: want !IsZero")
	}
}
