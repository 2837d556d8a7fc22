package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"
)

const publishUsage = `Usage: herald publish [flags]
       herald publish [--endpoint URL] -

Publishes status-change events through Herald's publisher API and prints
each stored event (with its id, sequence and "duplicate") as a JSON line.

With flags, publishes one event:

  herald publish --tenant acme --entity-type photo --entity-id 1419977 \
      --type photo.status_changed --status DOWNLOADED --data '{"size":3}'

With "-", reads events from standard input: one event object, a JSON
array of events, or newline-delimited events, each optionally with an
"idempotency_key" field; they are sent in batches of up to 500.

Flags:
`

// publishBatch is how many events from standard input go in one request.
const publishBatch = 500

func runPublish(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	return publish(ctx, args, getenv, os.Stdin, stdout, stderr)
}

func publish(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("herald publish", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, publishUsage); fs.PrintDefaults() }
	endpoint := endpointFlag(fs, getenv)
	tenant := fs.String("tenant", "", "the event's `tenant` (required)")
	entityType := fs.String("entity-type", "", "the entity's `type`, e.g. photo (required)")
	entityID := fs.String("entity-id", "", "the entity's `id` (required)")
	typ := fs.String("type", "", "the event `type`, e.g. photo.status_changed (required)")
	status := fs.String("status", "", "the entity's new `status`, e.g. DOWNLOADED")
	occurredAt := fs.String("occurred-at", "", "when it happened, an RFC 3339 `time` (default now)")
	data := fs.String("data", "", "the event's data: `JSON`, or @FILE to read it from a file")
	key := fs.String("idempotency-key", "", "publish at most once under this `key` (per tenant)")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	c, err := newAPIClient(*endpoint)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		if len(pos) > 1 || pos[0] != "-" {
			return usageError{fmt.Sprintf("publish takes no arguments but \"-\" (read standard input), got %q", pos)}
		}
		set := false
		fs.Visit(func(f *flag.Flag) { set = set || f.Name != "endpoint" })
		if set {
			return usageError{"publish -: the event flags do not apply when reading standard input"}
		}
		return publishStream(ctx, c, stdin, stdout)
	}

	ev := map[string]any{"tenant": *tenant, "entity_type": *entityType, "entity_id": *entityID, "type": *typ}
	for _, f := range []struct{ name, v string }{{"tenant", *tenant}, {"entity-type", *entityType}, {"entity-id", *entityID}, {"type", *typ}} {
		if f.v == "" {
			return usageError{fmt.Sprintf("publish needs --%s (or \"-\" to read events from standard input)", f.name)}
		}
	}
	if *status != "" {
		ev["status"] = *status
	}
	at := time.Now().UTC()
	if *occurredAt != "" {
		if at, err = time.Parse(time.RFC3339Nano, *occurredAt); err != nil {
			return usageError{fmt.Sprintf("--occurred-at %q: want an RFC 3339 time such as 2026-01-02T15:04:05Z", *occurredAt)}
		}
	}
	ev["occurred_at"] = at.Format(time.RFC3339Nano)
	if *data != "" {
		raw, err := readValue("data", *data)
		if err != nil {
			return err
		}
		ev["data"] = json.RawMessage(raw)
	}
	var h http.Header
	if *key != "" {
		h = http.Header{"Idempotency-Key": {*key}}
	}
	var out json.RawMessage
	if err := c.do(ctx, "POST", "/v1/events", h, ev, &out); err != nil {
		return err
	}
	return printLine(stdout, out)
}

// publishStream sends the events read from r in batches.
func publishStream(ctx context.Context, c *apiClient, r io.Reader, stdout io.Writer) error {
	sent := 0
	batch := make([]json.RawMessage, 0, publishBatch)
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		var out struct {
			Events []json.RawMessage `json:"events"`
		}
		if err := c.do(ctx, "POST", "/v1/events", nil, map[string]any{"events": batch}, &out); err != nil {
			if sent > 0 {
				return fmt.Errorf("events %d to %d (the %d before were published): %w", sent+1, sent+len(batch), sent, err)
			}
			return fmt.Errorf("events %d to %d: %w", sent+1, sent+len(batch), err)
		}
		for _, ev := range out.Events {
			if err := printLine(stdout, ev); err != nil {
				return err
			}
		}
		sent += len(batch)
		batch = batch[:0]
		return nil
	}
	err := readEvents(r, func(ev json.RawMessage) error {
		batch = append(batch, ev)
		if len(batch) == publishBatch {
			return flush()
		}
		return nil
	})
	if err != nil {
		return err
	}
	if err := flush(); err != nil {
		return err
	}
	if sent == 0 {
		return usageError{"publish -: no events on standard input"}
	}
	return nil
}

// readEvents calls fn with each event of r: a JSON array's elements, or a
// sequence of JSON values (one object, or newline-delimited objects).
func readEvents(r io.Reader, fn func(json.RawMessage) error) error {
	br := bufio.NewReaderSize(r, 64<<10)
	dec := json.NewDecoder(br)
	first, err := firstByte(br)
	if err != nil {
		return err
	}
	n := 0
	bad := func(err error) error {
		return usageError{fmt.Sprintf("publish -: event %d on standard input: %v", n+1, err)}
	}
	next := func() error {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return bad(err)
		}
		if len(raw) == 0 || raw[0] != '{' {
			return bad(errors.New("not a JSON object"))
		}
		n++
		return fn(raw)
	}
	if first == '[' {
		if _, err := dec.Token(); err != nil {
			return bad(err)
		}
		for dec.More() {
			if err := next(); err != nil {
				return err
			}
		}
		if _, err := dec.Token(); err != nil {
			return bad(err)
		}
		if _, err := dec.Token(); err != io.EOF {
			return usageError{"publish -: unexpected data after the JSON array"}
		}
		return nil
	}
	for dec.More() {
		if err := next(); err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != io.EOF {
		return bad(fmt.Errorf("unexpected data: %v", err))
	}
	return nil
}

// firstByte returns the first byte that is not white space (0 at EOF).
func firstByte(br *bufio.Reader) (byte, error) {
	for {
		b, err := br.ReadByte()
		if err == io.EOF {
			return 0, nil
		}
		if err != nil {
			return 0, err
		}
		switch b {
		case ' ', '\t', '\r', '\n':
			continue
		}
		return b, br.UnreadByte()
	}
}

// printLine writes a JSON value compacted on one line.
func printLine(w io.Writer, raw json.RawMessage) error {
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		return err
	}
	b.WriteByte('\n')
	_, err := w.Write(b.Bytes())
	return err
}
