package sinks

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"slices"
	"strings"
	"time"

	"github.com/herald-dev/herald/consumer"
)

// ExecConfig configures an Exec sink.
type ExecConfig struct {
	// Command is the program and its arguments, as an argv: no shell is
	// involved (use ["/bin/sh", "-c", "..."] to get one). A program name
	// without a slash is looked up in PATH when the sink is built. Required.
	Command []string `json:"command"`
	// Env are extra environment variables for the command. They come after
	// the listener's own environment and the HERALD_ variables, and replace
	// them.
	Env map[string]string `json:"env"`
	// Dir is the command's working directory; default the listener's.
	Dir string `json:"dir"`
	// Timeout bounds one run of the command; when it passes, the command's
	// whole process group (the command and every process it started) is
	// killed and the delivery fails as retriable. Default 60s.
	Timeout consumer.Duration `json:"timeout"`
	// PermanentExitCodes are exit codes meaning the event can never be
	// handled (the event goes to quarantine). Any other non-zero exit is
	// retriable. Codes are 1 to 255.
	PermanentExitCodes []int `json:"permanent_exit_codes"`
}

const (
	defaultExecTimeout = 60 * time.Second
	// stderrTail is how much of the end of a command's stderr an error
	// quotes.
	stderrTail = 4 << 10
	// execWaitDelay bounds how long Deliver waits for a command's output
	// pipes to close after the command exited or was killed (a background
	// process may have inherited them).
	execWaitDelay = 5 * time.Second
)

// Validate reports the first problem with the configuration: no command, a
// bad environment variable name, a negative timeout or an exit code outside
// 1-255.
func (c ExecConfig) Validate() error {
	if len(c.Command) == 0 || c.Command[0] == "" {
		return errors.New("exec sink: command is required")
	}
	for name := range c.Env {
		if name == "" || strings.ContainsAny(name, "=\x00") {
			return fmt.Errorf("exec sink: env name %q is not valid", name)
		}
	}
	for name, v := range c.Env {
		if strings.ContainsRune(v, 0) {
			return fmt.Errorf("exec sink: env %s contains NUL", name)
		}
	}
	if c.Timeout < 0 {
		return errors.New("exec sink: timeout must not be negative")
	}
	for _, code := range c.PermanentExitCodes {
		if code < 1 || code > 255 {
			return fmt.Errorf("exec sink: permanent exit code %d is outside 1-255", code)
		}
	}
	return nil
}

// Exec is a sink that runs a command for each event, with the event's body
// on its standard input and the event's metadata in its environment:
// HERALD_MESSAGE_ID, HERALD_KEY (the dedupe key, for the command's own
// idempotency), HERALD_SUBJECT, HERALD_TOPIC_ARN and HERALD_ATTR_<NAME> for
// each message attribute (the name upper-cased, every character outside
// A-Z, 0-9 and _ replaced by _; when two names meet, the later one in sorted
// order wins).
//
// Exit status 0 is success. An exit code listed in PermanentExitCodes is
// Permanent; any other failure (another exit code, a signal, the timeout)
// is retriable. The command's standard output is discarded; the last 4 KiB
// of its standard error are quoted in the error.
type Exec struct {
	path      string
	args      []string
	dir       string
	extraEnv  []string
	timeout   time.Duration
	permanent []int
	logger    *slog.Logger
	// waitDelay is execWaitDelay; tests lengthen it to prove that the
	// process group was killed rather than abandoned.
	waitDelay time.Duration
}

// NewExec returns an Exec sink. It returns the configuration's Validate
// error, or an error when the program is not found or Dir is not a
// directory.
func NewExec(cfg ExecConfig, logger *slog.Logger) (*Exec, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	path, err := exec.LookPath(cfg.Command[0])
	if err != nil {
		return nil, fmt.Errorf("exec sink: %w", err)
	}
	if cfg.Dir != "" {
		st, err := os.Stat(cfg.Dir)
		if err != nil {
			return nil, fmt.Errorf("exec sink: dir: %w", err)
		}
		if !st.IsDir() {
			return nil, fmt.Errorf("exec sink: dir %s is not a directory", cfg.Dir)
		}
	}
	e := &Exec{
		path:      path,
		args:      slices.Clone(cfg.Command[1:]),
		dir:       cfg.Dir,
		timeout:   cfg.Timeout.Or(defaultExecTimeout),
		permanent: slices.Clone(cfg.PermanentExitCodes),
		logger:    orDiscard(logger),
		waitDelay: execWaitDelay,
	}
	for _, name := range sortedKeys(cfg.Env) {
		e.extraEnv = append(e.extraEnv, name+"="+cfg.Env[name])
	}
	return e, nil
}

// Deliver runs the command for ev and waits for it. It returns nil when the
// command exited 0, a Permanent error for a permanent exit code, and a
// retriable error otherwise (including when ctx ends: the process group is
// killed then too).
func (e *Exec) Deliver(ctx context.Context, ev *consumer.Event) error {
	rctx, cancel := context.WithTimeout(ctx, e.timeout)
	defer cancel()
	cmd := exec.CommandContext(rctx, e.path, e.args...)
	cmd.Dir = e.dir
	cmd.Env = e.environ(ev)
	cmd.Stdin = bytes.NewReader(ev.Body)
	stderr := &tailBuffer{max: stderrTail}
	cmd.Stderr = stderr
	cmd.WaitDelay = e.waitDelay
	setProcessGroup(cmd)

	err := cmd.Run()
	if err == nil {
		return nil
	}
	if errors.Is(err, exec.ErrWaitDelay) {
		// The command exited 0 but something it started kept its stderr
		// open: the delivery succeeded.
		e.logger.WarnContext(ctx, "exec sink: command exited 0 but left its output open",
			"command", e.path, "message_id", ev.MessageID, "key", ev.Key)
		return nil
	}
	quoted := ""
	if s := stderr.String(); s != "" {
		quoted = ": stderr: " + s
	}
	switch {
	case ctx.Err() != nil:
		return fmt.Errorf("exec sink: %s: %w (process group killed)%s", e.path, context.Cause(ctx), quoted)
	case errors.Is(rctx.Err(), context.DeadlineExceeded):
		return fmt.Errorf("exec sink: %s: timed out after %s, process group killed%s", e.path, e.timeout, quoted)
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if code := ee.ExitCode(); code > 0 && slices.Contains(e.permanent, code) {
			return consumer.Permanent(fmt.Errorf("exec sink: %s: permanent exit status %d%s", e.path, code, quoted))
		}
		return fmt.Errorf("exec sink: %s: %w%s", e.path, err, quoted)
	}
	return fmt.Errorf("exec sink: run %s: %w%s", e.path, err, quoted)
}

// environ is the command's environment for ev.
func (e *Exec) environ(ev *consumer.Event) []string {
	env := os.Environ()
	env = append(env,
		"HERALD_MESSAGE_ID="+ev.MessageID,
		"HERALD_KEY="+ev.Key,
		"HERALD_SUBJECT="+ev.Subject,
		"HERALD_TOPIC_ARN="+ev.TopicArn,
	)
	for _, name := range sortedKeys(ev.Attributes) {
		env = append(env, "HERALD_ATTR_"+envName(name)+"="+strings.ReplaceAll(ev.Attributes[name], "\x00", ""))
	}
	// Later entries win: exec.Cmd keeps the last value of a duplicated name.
	return append(env, e.extraEnv...)
}

// envName upper-cases an attribute name and replaces every character
// outside A-Z, 0-9 and _ with _.
func envName(name string) string {
	b := []byte(strings.ToUpper(name))
	for i, c := range b {
		if (c < 'A' || c > 'Z') && (c < '0' || c > '9') && c != '_' {
			b[i] = '_'
		}
	}
	return string(b)
}

// Close does nothing: every command has finished when Deliver returns.
func (e *Exec) Close() error { return nil }

// sortedKeys returns m's keys in order.
func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// tailBuffer keeps the last max bytes written to it. It is written by one
// goroutine and read after the writer is done.
type tailBuffer struct {
	max     int
	buf     []byte
	dropped bool
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	n := len(p)
	if len(p) >= t.max {
		t.dropped = t.dropped || len(p) > t.max || len(t.buf) > 0
		t.buf = append(t.buf[:0], p[len(p)-t.max:]...)
		return n, nil
	}
	if over := len(t.buf) + len(p) - t.max; over > 0 {
		t.buf = t.buf[:copy(t.buf, t.buf[over:])]
		t.dropped = true
	}
	t.buf = append(t.buf, p...)
	return n, nil
}

// String is the kept text, valid UTF-8, marked "..." when its start was
// dropped.
func (t *tailBuffer) String() string {
	s := strings.TrimSpace(strings.ToValidUTF8(string(t.buf), "\uFFFD"))
	if t.dropped && s != "" {
		s = "..." + s
	}
	return s
}
