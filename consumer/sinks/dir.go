package sinks

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"

	"github.com/herald-dev/herald/consumer"
)

// DirConfig configures a Dir sink.
type DirConfig struct {
	// Dir is the directory the files are written to. It is created, with
	// its parents, when missing. Required.
	Dir string `json:"dir"`
	// Name is the template of each event's file name; default
	// "{{.Key}}.json", so that the same event delivered twice leaves one
	// file. The rendered name is made safe: path separators, NUL and control
	// characters become "_", leading dots and surrounding spaces are dropped,
	// and a name over 200 bytes is shortened with a hash. A name left empty
	// becomes a hash of the event's key.
	Name string `json:"name"`
	// Mode is the files' permission bits in octal, such as "0640"; default
	// "0644" (applied as given, whatever the umask).
	Mode string `json:"mode"`
	// Vars are the variables templates see as .Vars.
	Vars map[string]string `json:"vars"`
}

const defaultDirName = "{{.Key}}.json"

// Validate reports the first problem with the configuration: no Dir, a
// Name that does not parse, or a Mode that is not octal permission bits.
func (c DirConfig) Validate() error {
	if c.Dir == "" {
		return errors.New("dir sink: dir is required")
	}
	if _, err := parseTemplate("name", c.Name, defaultDirName); err != nil {
		return fmt.Errorf("dir sink: %w", err)
	}
	if _, err := parseMode(c.Mode); err != nil {
		return fmt.Errorf("dir sink: %w", err)
	}
	return nil
}

// Dir is a sink that writes each event's body to a file of its own in a
// directory. Files appear atomically (a reader never sees a partial file)
// and durably (Deliver returns after the file and the directory entry are
// synced). Writing a name that exists replaces the file, so redelivery of
// an event is harmless.
type Dir struct {
	dir    string
	name   *consumer.Template
	mode   fs.FileMode
	vars   map[string]string
	logger *slog.Logger
}

// NewDir returns a Dir sink, creating the directory when missing. It
// returns the configuration's Validate error or the error creating the
// directory.
func NewDir(cfg DirConfig, logger *slog.Logger) (*Dir, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	name, _ := parseTemplate("name", cfg.Name, defaultDirName)
	mode, _ := parseMode(cfg.Mode)
	if err := ensureDir(cfg.Dir); err != nil {
		return nil, fmt.Errorf("dir sink: %w", err)
	}
	return &Dir{dir: cfg.Dir, name: name, mode: mode, vars: cfg.Vars, logger: orDiscard(logger)}, nil
}

// Deliver writes ev's body to its file. A Name that fails to render is
// Permanent; file system errors are retriable.
func (d *Dir) Deliver(ctx context.Context, ev *consumer.Event) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("dir sink: %w", err)
	}
	rendered, err := d.name.Execute(ev, d.vars)
	if err != nil {
		return fmt.Errorf("dir sink: %w", errRender("name", err))
	}
	name := fileName(rendered, ev)
	err = writeFileAtomic(d.dir, name, d.mode, func(w io.Writer) error {
		_, err := w.Write(ev.Body)
		return err
	})
	if err != nil {
		return fmt.Errorf("dir sink: write %s: %w", name, err)
	}
	d.logger.DebugContext(ctx, "dir sink wrote file", "dir", d.dir, "file", name,
		"bytes", len(ev.Body), "message_id", ev.MessageID, "key", ev.Key)
	return nil
}

// Close does nothing: every file is synced when Deliver returns.
func (d *Dir) Close() error { return nil }
