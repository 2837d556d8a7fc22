package sinks

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/herald-dev/herald/consumer"
)

// maxNameLen bounds a sanitized file name in bytes, well under the 255 bytes
// most file systems allow.
const maxNameLen = 200

// tempPattern names the temporary files of atomic writes. Sanitized names
// never start with a dot, so a temporary file never takes a final name.
const tempPattern = ".herald-*.tmp"

// defaultFileMode is the mode of written files when no Mode is configured.
const defaultFileMode fs.FileMode = 0o644

// sanitizeName turns text rendered by a template into one safe file name:
// path separators, NUL and control characters become '_', invalid UTF-8
// becomes '_', surrounding spaces and leading dots are dropped (so the name
// is never "." or "..", never hidden, and never a temporary file's name), and
// a name longer than maxNameLen is cut and given a hash of the whole name,
// keeping a short extension. The result is "" when nothing is left; callers
// then fall back to fallbackName.
func sanitizeName(name string) string {
	name = strings.ToValidUTF8(name, "_")
	name = strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || r == 0 || unicode.IsControl(r) {
			return '_'
		}
		return r
	}, name)
	name = strings.TrimFunc(name, unicode.IsSpace)
	name = strings.TrimLeft(name, ".")
	if len(name) <= maxNameLen {
		return name
	}
	sum := sha256.Sum256([]byte(name))
	suffix := "-" + hex.EncodeToString(sum[:8])
	if ext := filepath.Ext(name); len(ext) <= 16 {
		suffix += ext
	}
	return truncateUTF8(name, maxNameLen-len(suffix)) + suffix
}

// truncateUTF8 cuts s to at most n bytes without splitting a rune.
func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// fallbackName is the file name used when a rendered name sanitizes to
// nothing: a hash of the event's key, or of its message id and index when it
// has no key.
func fallbackName(ev *consumer.Event) string {
	src := ev.Key
	if src == "" {
		src = ev.MessageID + "#" + strconv.Itoa(ev.Index)
	}
	sum := sha256.Sum256([]byte(src))
	return hex.EncodeToString(sum[:16])
}

// fileName sanitizes name, falling back to a hash of the event's key.
func fileName(name string, ev *consumer.Event) string {
	if s := sanitizeName(name); s != "" {
		return s
	}
	return fallbackName(ev)
}

// parseMode reads an octal file mode such as "0644" or "640"; "" is the
// default mode.
func parseMode(s string) (fs.FileMode, error) {
	if s == "" {
		return defaultFileMode, nil
	}
	v, err := strconv.ParseUint(s, 8, 32)
	if err != nil || v > 0o777 {
		return 0, fmt.Errorf("mode %q: want octal permission bits such as \"0644\"", s)
	}
	return fs.FileMode(v), nil
}

// writeFileAtomic creates dir/name with the given mode and the content fill
// writes: fill writes into a temporary file in dir, which is synced, renamed
// over name, and then dir itself is synced (dir is made again if it was
// removed). On any failure the temporary
// file is removed and the previous dir/name (if any) is left as it was. An
// error of fill is returned as it is (it may be Permanent); file system
// errors are retriable.
func writeFileAtomic(dir, name string, mode fs.FileMode, fill func(w io.Writer) error) (err error) {
	f, err := os.CreateTemp(dir, tempPattern)
	if errors.Is(err, fs.ErrNotExist) {
		// The directory was removed under us: make it again.
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("create directory: %w", err)
		}
		f, err = os.CreateTemp(dir, tempPattern)
	}
	if err != nil {
		return fmt.Errorf("create temporary file: %w", err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = os.Remove(tmp)
		}
	}()
	if err := fill(f); err != nil {
		return err
	}
	if err := f.Chmod(mode); err != nil {
		return fmt.Errorf("chmod temporary file: %w", err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("sync temporary file: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("close temporary file: %w", err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, name)); err != nil {
		return fmt.Errorf("rename into place: %w", err)
	}
	if err := syncDir(dir); err != nil {
		// The file is in place; only its durability is in doubt. Retrying
		// rewrites the same content, so the error stays retriable.
		return err
	}
	return nil
}

// syncDir fsyncs a directory so that a rename in it survives a crash.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("open directory for sync: %w", err)
	}
	serr := d.Sync()
	cerr := d.Close()
	if serr != nil {
		return fmt.Errorf("sync directory: %w", serr)
	}
	if cerr != nil {
		return fmt.Errorf("close directory: %w", cerr)
	}
	return nil
}

// ensureDir creates dir (and its parents) when missing and checks that it is
// a directory.
func ensureDir(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create directory: %w", err)
	}
	st, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("stat directory: %w", err)
	}
	if !st.IsDir() {
		return fmt.Errorf("%s is not a directory", dir)
	}
	return nil
}

// bodyValue is an event body as it goes into a JSON document: the JSON
// itself when the body is JSON, else a JSON string of its text.
func bodyValue(body []byte) any {
	if len(body) > 0 && json.Valid(body) {
		return json.RawMessage(body)
	}
	return string(body)
}

// nonNil returns m, or an empty map when m is nil, so that documents always
// carry an object.
func nonNil(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

// orDiscard returns logger, or a logger that discards everything.
func orDiscard(logger *slog.Logger) *slog.Logger {
	if logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return logger
}

// parseTemplate parses the template text of a config field; an empty text
// yields def (which may be "" for none, giving a nil Template).
func parseTemplate(field, text, def string) (*consumer.Template, error) {
	if text == "" {
		text = def
	}
	if text == "" {
		return nil, nil
	}
	t, err := consumer.ParseTemplate(field, text)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", field, err)
	}
	return t, nil
}

// errRender marks a template render failure at Deliver: Permanent, since
// the same event renders the same way every time.
func errRender(what string, err error) error {
	return consumer.Permanent(fmt.Errorf("render %s: %w", what, err))
}

// jsonIndent encodes v as indented JSON ending in a newline, leaving <, >
// and & as they are.
func jsonIndent(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
