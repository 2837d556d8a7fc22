package sinks

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/herald-dev/herald/consumer"
)

func TestStdoutLines(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		cfg     StdoutConfig
		body    string
		attrs   map[string]string
		subject string
		want    string
	}{
		{
			name: "json body", body: `{"id":1419977,"status":"DOWNLOADED"}`,
			attrs: map[string]string{"type": "photo"}, subject: "s",
			want: `{"message_id":"msg-1","key":"k","subject":"s","topic_arn":"arn:t","attributes":{"type":"photo"},"body":{"id":1419977,"status":"DOWNLOADED"}}`,
		},
		{
			name: "multi-line json is compacted", body: "{\n  \"a\": [1, 2],\n  \"html\": \"<b>&</b>\"\n}\n",
			want: `{"message_id":"msg-1","key":"k","subject":"","topic_arn":"arn:t","attributes":{},"body":{"a":[1,2],"html":"<b>&</b>"}}`,
		},
		{
			name: "text body is a string", body: "hello\nworld",
			want: `{"message_id":"msg-1","key":"k","subject":"","topic_arn":"arn:t","attributes":{},"body":"hello\nworld"}`,
		},
		{
			name: "empty body", body: "",
			want: `{"message_id":"msg-1","key":"k","subject":"","topic_arn":"arn:t","attributes":{},"body":""}`,
		},
		{
			name: "body only", cfg: StdoutConfig{BodyOnly: true}, body: "{\n\"id\": 7\n}",
			want: `{"id":7}`,
		},
		{
			name: "body only, text", cfg: StdoutConfig{BodyOnly: true}, body: "plain",
			want: `"plain"`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			s, err := NewStdout(tt.cfg, &buf)
			if err != nil {
				t.Fatal(err)
			}
			ev := event(t, tt.body, "k")
			ev.TopicArn, ev.Subject = "arn:t", tt.subject
			if tt.attrs != nil {
				ev.Attributes = tt.attrs
			} else {
				ev.Attributes = nil
			}
			if err := s.Deliver(context.Background(), ev); err != nil {
				t.Fatalf("Deliver: %v", err)
			}
			if got := buf.String(); got != tt.want+"\n" {
				t.Errorf("wrote\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

// lineChecker is a writer that fails the test when two Writes overlap or
// a Write is not exactly one line.
type lineChecker struct {
	inFlight atomic.Int32
	overlaps atomic.Int32
	mu       sync.Mutex
	lines    []string
}

func (c *lineChecker) Write(p []byte) (int, error) {
	if c.inFlight.Add(1) > 1 {
		c.overlaps.Add(1)
	}
	// Widen the window in which an unguarded second Write would overlap.
	for range 10 {
		runtime.Gosched()
	}
	c.mu.Lock()
	c.lines = append(c.lines, string(p))
	c.mu.Unlock()
	c.inFlight.Add(-1)
	return len(p), nil
}

func TestStdoutConcurrentLinesNeverInterleave(t *testing.T) {
	t.Parallel()
	w := &lineChecker{}
	s, err := NewStdout(StdoutConfig{}, w)
	if err != nil {
		t.Fatal(err)
	}
	const n = 200
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			body := `{"i":` + strconv.Itoa(i) + `,"pad":"` + strings.Repeat("p", i*50) + `"}`
			if err := s.Deliver(context.Background(), event(t, body, "k"+strconv.Itoa(i))); err != nil {
				t.Errorf("Deliver: %v", err)
			}
		})
	}
	wg.Wait()
	if o := w.overlaps.Load(); o != 0 {
		t.Errorf("%d writes overlapped", o)
	}
	if len(w.lines) != n {
		t.Fatalf("%d writes, want %d", len(w.lines), n)
	}
	seen := map[string]bool{}
	for _, line := range w.lines {
		if strings.Count(line, "\n") != 1 || !strings.HasSuffix(line, "\n") {
			t.Fatalf("a write is not exactly one line: %q", truncateUTF8(line, 80))
		}
		var rec struct{ Key string }
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("line is not JSON: %v", err)
		}
		seen[rec.Key] = true
	}
	if len(seen) != n {
		t.Errorf("%d distinct events written, want %d", len(seen), n)
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("broken pipe") }

func TestStdoutWriteErrorIsRetriable(t *testing.T) {
	t.Parallel()
	s, err := NewStdout(StdoutConfig{}, failingWriter{})
	if err != nil {
		t.Fatal(err)
	}
	wantClass(t, s.Deliver(context.Background(), event(t, `{}`, "k")), false)
}

func TestStdoutCloseFlushes(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	bw := bufio.NewWriterSize(&out, 1<<16)
	s, err := NewStdout(StdoutConfig{BodyOnly: true}, bw)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Deliver(context.Background(), event(t, `1`, "k")); err != nil {
		t.Fatal(err)
	}
	if out.Len() != 0 {
		t.Fatalf("buffered writer flushed early")
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if out.String() != "1\n" {
		t.Errorf("after Close the output is %q, want %q", out.String(), "1\n")
	}
}

func BenchmarkStdoutDeliver(b *testing.B) {
	s, err := NewStdout(StdoutConfig{}, io.Discard)
	if err != nil {
		b.Fatal(err)
	}
	body := `{"id":1419977,"status":"DOWNLOADED","links":{"bytes":"https://s3.amazonaws.com/photos/100404.jpg"},"version":2}`
	ev := event(b, body, "1419977:DOWNLOADED")
	ev.Attributes = map[string]string{"type": "photo", "org": "acme"}
	ctx := context.Background()
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := s.Deliver(ctx, ev); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func ExampleStdout() {
	s, _ := NewStdout(StdoutConfig{}, os.Stdout)
	ev := &consumer.Event{
		Body:       []byte(`{"id": 1419977, "status": "DOWNLOADED"}`),
		MessageID:  "6b1f3c9e",
		Key:        "1419977:DOWNLOADED",
		Attributes: map[string]string{"type": "photo"},
	}
	_ = s.Deliver(context.Background(), ev)
	// Output:
	// {"message_id":"6b1f3c9e","key":"1419977:DOWNLOADED","subject":"","topic_arn":"","attributes":{"type":"photo"},"body":{"id":1419977,"status":"DOWNLOADED"}}
}
