package sqsapi

import (
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// simpleURLPath must give url.Parse's Path for every URL it takes.
func checkSimpleURLPath(t *testing.T, s string) {
	t.Helper()
	p, ok := simpleURLPath(s)
	if !ok {
		return
	}
	u, err := url.Parse(s)
	if err != nil || u.Path != p {
		t.Fatalf("simpleURLPath(%q) = %q; url.Parse: %v, %v", s, p, u, err)
	}
}

var urlSeeds = []string{
	"http://localhost:9324/000000000000/q", "https://sqs.us-east-1.amazonaws.com/123456789012/my-queue.fifo",
	"http://127.0.0.1:9410/000000000000/bench-send-1732", "http://h/a/b", "http://h:/a/b", "http://h:x/a/b",
	"http://[::1]:9324/a/b", "http://u@h/a/b", "http://h/a%2Fb/c", "http://h/a/b?x=1", "http://h/a/b#f",
	"http:/a/b", "http:///a/b", "HTTP://h/a/b", "http://h", "http://h/", "/000000000000/q", "000000000000/q",
	"http://h/a:b/c", "http://h/./a/../b", "http://h_1/a/b", "http://h:99999999999/a/b",
}

func TestSimpleURLPath(t *testing.T) {
	for _, s := range urlSeeds {
		checkSimpleURLPath(t, s)
	}
	if p, ok := simpleURLPath("http://localhost:9324/000000000000/q"); !ok || p != "/000000000000/q" {
		t.Fatalf("got %q %v", p, ok)
	}
	for _, s := range []string{"http://h:x/a/b", "http://u@h/a/b", "http://h/a%2Fb/c", "http://h/a/b?x=1", "http://[::1]:9324/a/b"} {
		if _, ok := simpleURLPath(s); ok {
			t.Errorf("simpleURLPath took %q", s)
		}
	}
}

func FuzzSimpleURLPath(f *testing.F) {
	for _, s := range urlSeeds {
		f.Add(s)
	}
	f.Fuzz(checkSimpleURLPath)
}

func TestValidBatchID(t *testing.T) {
	re := regexp.MustCompile(`^[A-Za-z0-9_-]{1,80}$`)
	for _, id := range []string{"", "a", "A-z_09", "a b", "a\n", "é", "a.b", strings.Repeat("x", 80), strings.Repeat("x", 81), "\x00", "-", "_"} {
		if validBatchID(id) != re.MatchString(id) {
			t.Errorf("validBatchID(%q) = %v", id, validBatchID(id))
		}
	}
}

func FuzzValidBatchID(f *testing.F) {
	re := regexp.MustCompile(`^[A-Za-z0-9_-]{1,80}$`)
	f.Add("a-b_c")
	f.Add("a\n")
	f.Fuzz(func(t *testing.T, id string) {
		if validBatchID(id) != re.MatchString(id) {
			t.Fatalf("validBatchID(%q) = %v", id, validBatchID(id))
		}
	})
}
