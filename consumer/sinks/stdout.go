package sinks

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/herald-dev/herald/consumer"
)

// StdoutConfig configures a Stdout sink.
type StdoutConfig struct {
	// BodyOnly writes just each event's body on its line (a body that is
	// not JSON as a JSON string) instead of the body with the event's
	// metadata; default false.
	BodyOnly bool `json:"body_only"`
}

// Validate reports no problem: every StdoutConfig is valid.
func (c StdoutConfig) Validate() error { return nil }

// Stdout is a sink that writes one JSON line per event:
//
//	{"message_id":"...","key":"...","subject":"...","topic_arn":"...","attributes":{...},"body":...}
//
// where body is the event's JSON (compacted onto the line) or, when the body
// is not JSON, a JSON string of it. Each line is written with a single Write
// under a lock, so concurrent deliveries never interleave.
type Stdout struct {
	bodyOnly bool
	mu       sync.Mutex // guards w
	w        io.Writer
}

// stdoutLine is the shape of one line.
type stdoutLine struct {
	MessageID  string            `json:"message_id"`
	Key        string            `json:"key"`
	Subject    string            `json:"subject"`
	TopicArn   string            `json:"topic_arn"`
	Attributes map[string]string `json:"attributes"`
	Body       any               `json:"body"`
}

var lineBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// NewStdout returns a Stdout sink writing to w (os.Stdout when w is nil).
func NewStdout(cfg StdoutConfig, w io.Writer) (*Stdout, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if w == nil {
		w = os.Stdout
	}
	return &Stdout{bodyOnly: cfg.BodyOnly, w: w}, nil
}

// Deliver writes ev's line. A write error is retriable.
func (s *Stdout) Deliver(ctx context.Context, ev *consumer.Event) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("stdout sink: %w", err)
	}
	buf := lineBuffers.Get().(*bytes.Buffer)
	defer func() {
		if buf.Cap() <= 1<<20 {
			buf.Reset()
			lineBuffers.Put(buf)
		}
	}()
	buf.Reset()
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	var v any = bodyValue(ev.Body)
	if !s.bodyOnly {
		v = stdoutLine{
			MessageID: ev.MessageID, Key: ev.Key, Subject: ev.Subject, TopicArn: ev.TopicArn,
			Attributes: nonNil(ev.Attributes), Body: v,
		}
	}
	// Encode ends the line with "\n" and compacts a JSON body onto it.
	if err := enc.Encode(v); err != nil {
		return consumer.Permanent(fmt.Errorf("stdout sink: encode: %w", err))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("stdout sink: write: %w", err)
	}
	return nil
}

// Close flushes the writer when it has a Flush method (a *bufio.Writer);
// it does not close it.
func (s *Stdout) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f, ok := s.w.(interface{ Flush() error }); ok {
		if err := f.Flush(); err != nil {
			return fmt.Errorf("stdout sink: flush: %w", err)
		}
	}
	return nil
}
