package sinks

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"time"

	"github.com/herald-dev/herald/consumer"
)

// QuarantineDirConfig configures a QuarantineDir.
type QuarantineDirConfig struct {
	// Dir is the quarantine directory. It is created, with its parents,
	// when missing. Required.
	Dir string `json:"dir"`
}

// Validate reports a missing Dir.
func (c QuarantineDirConfig) Validate() error {
	if c.Dir == "" {
		return errors.New("quarantine dir: dir is required")
	}
	return nil
}

// QuarantineDir keeps the events the pipeline cannot deliver (invalid, or
// refused permanently by a sink), one JSON file per event, for a person to
// inspect and replay:
//
//	{"reason": "...", "message_id": "...", "key": "...", "attributes": {...},
//	 "body": <the event's JSON, or a string when it is not JSON>,
//	 "quarantined_at": "2024-05-01T12:00:00.123456789Z"}
//
// The file is named after the event's key, or after its message id (and
// its index in the message, when the message was split) when it has no
// key, made safe as for the Dir sink, with ".json" appended. Files are
// written atomically; quarantining the same event again replaces its file.
type QuarantineDir struct {
	dir    string
	logger *slog.Logger
}

// quarantineRecord is the shape of one quarantine file.
type quarantineRecord struct {
	Reason        string            `json:"reason"`
	MessageID     string            `json:"message_id"`
	Key           string            `json:"key"`
	Attributes    map[string]string `json:"attributes"`
	Body          any               `json:"body"`
	QuarantinedAt string            `json:"quarantined_at"`
}

// NewQuarantineDir returns a QuarantineDir, creating the directory when
// missing. It returns the configuration's Validate error or the error
// creating the directory.
func NewQuarantineDir(cfg QuarantineDirConfig, logger *slog.Logger) (*QuarantineDir, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := ensureDir(cfg.Dir); err != nil {
		return nil, fmt.Errorf("quarantine dir: %w", err)
	}
	return &QuarantineDir{dir: cfg.Dir, logger: orDiscard(logger)}, nil
}

// Quarantine writes ev, with the reason it could not be delivered, to its
// file. It returns nil once the file is synced; errors are file system
// errors (retriable: the message stays on its queue) or ctx's.
func (q *QuarantineDir) Quarantine(ctx context.Context, ev *consumer.Event, reason error) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("quarantine dir: %w", err)
	}
	rec := quarantineRecord{
		MessageID:     ev.MessageID,
		Key:           ev.Key,
		Attributes:    nonNil(ev.Attributes),
		Body:          bodyValue(ev.Body),
		QuarantinedAt: time.Now().UTC().Format(time.RFC3339Nano),
	}
	if reason != nil {
		rec.Reason = reason.Error()
	}
	doc, err := jsonIndent(rec)
	if err != nil {
		return fmt.Errorf("quarantine dir: encode: %w", err)
	}
	name := quarantineName(ev)
	err = writeFileAtomic(q.dir, name, defaultFileMode, func(w io.Writer) error {
		_, err := w.Write(doc)
		return err
	})
	if err != nil {
		return fmt.Errorf("quarantine dir: write %s: %w", name, err)
	}
	q.logger.DebugContext(ctx, "event quarantined", "dir", q.dir, "file", name,
		"message_id", ev.MessageID, "key", ev.Key)
	return nil
}

// quarantineName is ev's file name in the quarantine.
func quarantineName(ev *consumer.Event) string {
	base := ev.Key
	if base == "" {
		base = ev.MessageID
		if ev.Index >= 0 {
			base += "-" + strconv.Itoa(ev.Index)
		}
	}
	return fileName(base, ev) + ".json"
}

// Close does nothing: every file is synced when Quarantine returns.
func (q *QuarantineDir) Close() error { return nil }
