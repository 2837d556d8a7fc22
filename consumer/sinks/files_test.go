package sinks

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/herald-dev/herald/consumer"
)

func TestSanitizeName(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("a", 300) + ".jpg"
	tests := []struct {
		name, in, want string
	}{
		{"plain", "1419977-DOWNLOADED.json", "1419977-DOWNLOADED.json"},
		{"slash", "a/b/c.json", "a_b_c.json"},
		{"backslash", `a\b`, "a_b"},
		{"traversal", "../../etc/passwd", "_.._etc_passwd"},
		{"dot", ".", ""},
		{"dotdot", "..", ""},
		{"hidden", ".bashrc", "bashrc"},
		{"temp name", ".herald-123.tmp", "herald-123.tmp"},
		{"nul", "a\x00b", "a_b"},
		{"newline", "a\nb", "a_b"},
		{"spaces", "  name  ", "name"},
		{"only spaces", "   ", ""},
		{"empty", "", ""},
		{"invalid utf8", "a\xffb", "a_b"},
		{"unicode kept", "café-ü.json", "café-ü.json"},
		{"long", long, strings.Repeat("a", maxNameLen-len("-0123456789abcdef.jpg")) + "-" + hash16(long) + ".jpg"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := sanitizeName(tt.in); got != tt.want {
				t.Errorf("sanitizeName(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// hash16 is the hash sanitizeName appends to a shortened name: the first
// 8 bytes of the SHA-256 of the whole name, in hex.
func hash16(name string) string {
	sum := sha256.Sum256([]byte(name))
	return hex.EncodeToString(sum[:8])
}

func TestSanitizeNameLongNamesStayDistinct(t *testing.T) {
	t.Parallel()
	a := sanitizeName(strings.Repeat("x", 300) + "A.json")
	b := sanitizeName(strings.Repeat("x", 300) + "B.json")
	if a == b {
		t.Fatalf("two long names that differ only at the end both became %q", a)
	}
	for _, s := range []string{a, b} {
		if len(s) > maxNameLen || !strings.HasSuffix(s, ".json") {
			t.Errorf("long name sanitized to %q (%d bytes), want at most %d bytes ending in .json", s, len(s), maxNameLen)
		}
	}
	// A multi-byte rune at the cut is not split.
	c := sanitizeName(strings.Repeat("é", 200))
	if !utf8.ValidString(c) || len(c) > maxNameLen {
		t.Errorf("sanitized to invalid or long %q", c)
	}
}

func FuzzSanitizeName(f *testing.F) {
	for _, s := range []string{"", ".", "..", "../x", "a/b", "\x00", " . ", ".....", "é", strings.Repeat("z", 400), "a\\b", "\xff\xfe"} {
		f.Add(s)
	}
	ev := &consumer.Event{Key: "k", MessageID: "m", Index: -1}
	f.Fuzz(func(t *testing.T, in string) {
		got := sanitizeName(in)
		if strings.ContainsAny(got, "/\\\x00") {
			t.Fatalf("sanitizeName(%q) = %q contains a separator or NUL", in, got)
		}
		if got == "." || got == ".." || strings.HasPrefix(got, ".") {
			t.Fatalf("sanitizeName(%q) = %q starts with a dot", in, got)
		}
		if len(got) > maxNameLen || !utf8.ValidString(got) {
			t.Fatalf("sanitizeName(%q) = %q: %d bytes, valid UTF-8 %v", in, got, len(got), utf8.ValidString(got))
		}
		if got != "" && filepath.Base(got) != got {
			t.Fatalf("sanitizeName(%q) = %q is not a single path element", in, got)
		}
		name := fileName(in, ev)
		if name == "" || filepath.Base(name) != name || name == "." || name == ".." {
			t.Fatalf("fileName(%q) = %q", in, name)
		}
	})
}

func TestFallbackName(t *testing.T) {
	t.Parallel()
	a := fallbackName(&consumer.Event{Key: "a", MessageID: "m", Index: -1})
	b := fallbackName(&consumer.Event{Key: "b", MessageID: "m", Index: -1})
	m0 := fallbackName(&consumer.Event{MessageID: "m", Index: 0})
	m1 := fallbackName(&consumer.Event{MessageID: "m", Index: 1})
	if a == b || m0 == m1 || len(a) != 32 {
		t.Errorf("fallback names not distinct or not 32 hex digits: %q %q %q %q", a, b, m0, m1)
	}
	if again := fallbackName(&consumer.Event{Key: "a", MessageID: "other", Index: 3}); again != a {
		t.Errorf("fallback name depends on more than the key: %q vs %q", again, a)
	}
}

func TestParseMode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    fs.FileMode
		wantErr bool
	}{
		{"", 0o644, false},
		{"0644", 0o644, false},
		{"600", 0o600, false},
		{"0777", 0o777, false},
		{"01777", 0, true},
		{"0648", 0, true},
		{"rw-r--r--", 0, true},
		{"-1", 0, true},
	}
	for _, tt := range tests {
		got, err := parseMode(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("parseMode(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestWriteFileAtomic(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(content string) func(io.Writer) error {
		return func(w io.Writer) error {
			_, err := io.WriteString(w, content)
			return err
		}
	}
	if err := writeFileAtomic(dir, "f", 0o640, write("one")); err != nil {
		t.Fatal(err)
	}
	// A failing fill leaves the previous file and no temporary file.
	boom := consumer.Permanent(errors.New("boom"))
	err := writeFileAtomic(dir, "f", 0o640, func(w io.Writer) error {
		_, _ = io.WriteString(w, "partial")
		return boom
	})
	if !errors.Is(err, boom) || !consumer.IsPermanent(err) {
		t.Fatalf("fill error came back as %v", err)
	}
	if got := readFile(t, filepath.Join(dir, "f")); got != "one" {
		t.Errorf("file after failed write = %q, want the previous %q", got, "one")
	}
	noTempFiles(t, dir)
	st, err := os.Stat(filepath.Join(dir, "f"))
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o640 {
		t.Errorf("mode = %v, want 0640", st.Mode().Perm())
	}
	// A directory removed under the sink is made again.
	gone := filepath.Join(dir, "gone")
	if err := writeFileAtomic(gone, "g", 0o644, write("two")); err != nil {
		t.Fatalf("write into a missing directory: %v", err)
	}
	if got := readFile(t, filepath.Join(gone, "g")); got != "two" {
		t.Errorf("file = %q, want %q", got, "two")
	}
}

func TestBodyValue(t *testing.T) {
	t.Parallel()
	tests := []struct {
		body string
		raw  bool
	}{
		{`{"a":1}`, true},
		{`[1,2]`, true},
		{`"s"`, true},
		{`not json`, false},
		{``, false},
		{`{"a":`, false},
	}
	for _, tt := range tests {
		_, isRaw := bodyValue([]byte(tt.body)).(interface{ MarshalJSON() ([]byte, error) })
		if isRaw != tt.raw {
			t.Errorf("bodyValue(%q) raw JSON = %v, want %v", tt.body, isRaw, tt.raw)
		}
	}
}
