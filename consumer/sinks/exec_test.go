//go:build unix

package sinks

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/herald-dev/herald/consumer"
)

func newExec(t *testing.T, cfg ExecConfig) *Exec {
	t.Helper()
	e, err := NewExec(cfg, nil)
	if err != nil {
		t.Fatalf("NewExec: %v", err)
	}
	t.Cleanup(func() { _ = e.Close() })
	return e
}

func TestExecStdinEnvAndDir(t *testing.T) {
	t.Parallel()
	workDir := t.TempDir()
	realWorkDir, err := filepath.EvalSymlinks(workDir)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		command []string // "$OUT" is the output file
		env     map[string]string
		dir     string
		attrs   map[string]string
		subject string
		want    string
	}{
		{
			name:    "body on stdin, no shell",
			command: []string{"tee", "OUT"},
			want:    `{"id":1419977,"status":"DOWNLOADED"}`,
		},
		{
			name:    "body on stdin through a shell",
			command: []string{"/bin/sh", "-c", `cat > "$OUT"`},
			want:    `{"id":1419977,"status":"DOWNLOADED"}`,
		},
		{
			name:    "metadata in the environment",
			command: []string{"/bin/sh", "-c", `printf '%s|%s|%s|%s' "$HERALD_MESSAGE_ID" "$HERALD_KEY" "$HERALD_SUBJECT" "$HERALD_TOPIC_ARN" > "$OUT"`},
			subject: "photo status",
			want:    "msg-1|1419977:DOWNLOADED|photo status|arn:aws:sns:us-east-1:000000000000:photos",
		},
		{
			name:    "attributes sanitized",
			command: []string{"/bin/sh", "-c", `printf '%s|%s|%s' "$HERALD_ATTR_EVENT_TYPE" "$HERALD_ATTR_ORG_ID" "$HERALD_ATTR_X1" > "$OUT"`},
			attrs:   map[string]string{"event-type": "photo", "org.id": "42", "x1": "y"},
			want:    "photo|42|y",
		},
		{
			name:    "extra env replaces a HERALD_ variable",
			command: []string{"/bin/sh", "-c", `printf '%s|%s' "$EXTRA" "$HERALD_KEY" > "$OUT"`},
			env:     map[string]string{"EXTRA": "hello world", "HERALD_KEY": "overridden"},
			want:    "hello world|overridden",
		},
		{
			name:    "working directory",
			command: []string{"/bin/sh", "-c", `pwd -P > "$OUT"`},
			dir:     workDir,
			want:    realWorkDir + "\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			out := filepath.Join(t.TempDir(), "out")
			env := map[string]string{"OUT": out}
			for k, v := range tt.env {
				env[k] = v
			}
			command := append([]string(nil), tt.command...)
			for i, a := range command {
				if a == "OUT" {
					command[i] = out
				}
			}
			e := newExec(t, ExecConfig{Command: command, Env: env, Dir: tt.dir})
			ev := event(t, `{"id":1419977,"status":"DOWNLOADED"}`, "1419977:DOWNLOADED")
			ev.Subject = tt.subject
			ev.TopicArn = "arn:aws:sns:us-east-1:000000000000:photos"
			if tt.attrs != nil {
				ev.Attributes = tt.attrs
			}
			if err := e.Deliver(context.Background(), ev); err != nil {
				t.Fatalf("Deliver: %v", err)
			}
			if got := readFile(t, out); got != tt.want {
				t.Errorf("command wrote %q, want %q", got, tt.want)
			}
		})
	}
}

func TestExecExitStatus(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		script    string
		permanent []int
		wantErr   bool
		wantPerm  bool
		wantText  string
	}{
		{"exit 0", "exit 0", nil, false, false, ""},
		{"exit 0 without reading stdin", "true", nil, false, false, ""},
		{"permanent code", "echo 'bad photo' >&2; exit 3", []int{3, 4}, true, true, "bad photo"},
		{"other code is retriable", "echo 'db down' >&2; exit 1", []int{3, 4}, true, false, "db down"},
		{"no permanent codes configured", "exit 3", nil, true, false, "exit status 3"},
		{"killed by a signal is retriable", "kill -TERM $$", []int{3}, true, false, "signal"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newExec(t, ExecConfig{Command: []string{"/bin/sh", "-c", tt.script}, PermanentExitCodes: tt.permanent})
			err := e.Deliver(context.Background(), event(t, strings.Repeat("x", 1<<20), "k"))
			if !tt.wantErr {
				if err != nil {
					t.Fatalf("Deliver: %v", err)
				}
				return
			}
			wantClass(t, err, tt.wantPerm)
			if !strings.Contains(err.Error(), tt.wantText) {
				t.Errorf("error %q does not contain %q", err, tt.wantText)
			}
		})
	}
}

func TestExecStderrTail(t *testing.T) {
	t.Parallel()
	// 10000 bytes of noise, then the line that matters.
	script := `i=0; while [ $i -lt 100 ]; do printf '%0100d' 0 >&2; i=$((i+1)); done; echo ' the real cause' >&2; exit 1`
	e := newExec(t, ExecConfig{Command: []string{"/bin/sh", "-c", script}})
	err := e.Deliver(context.Background(), event(t, `{}`, "k"))
	wantClass(t, err, false)
	msg := err.Error()
	if !strings.HasSuffix(msg, "the real cause") {
		t.Errorf("error does not end with the end of stderr: ...%q", msg[max(0, len(msg)-60):])
	}
	_, quoted, _ := strings.Cut(msg, "stderr: ")
	if len(quoted) > stderrTail+3 || len(quoted) < stderrTail-100 {
		t.Errorf("quoted %d bytes of stderr, want about the last %d", len(quoted), stderrTail)
	}
}

func TestExecTimeoutKillsProcessGroup(t *testing.T) {
	t.Parallel()
	pidFile := filepath.Join(t.TempDir(), "pid")
	// The shell starts a child that outlives it unless the whole group is
	// killed. The child holds the command's stderr open, so Deliver returns
	// only when the child is dead too -- or, if it survived, after
	// waitDelay, which the test makes a minute.
	script := `sleep 60 & echo $! > "$PIDFILE"; wait`
	e := newExec(t, ExecConfig{
		Command: []string{"/bin/sh", "-c", script},
		Env:     map[string]string{"PIDFILE": pidFile},
		Timeout: consumer.Duration(300 * time.Millisecond),
	})
	e.waitDelay = time.Minute
	start := time.Now()
	err := e.Deliver(context.Background(), event(t, `{}`, "k"))
	elapsed := time.Since(start)
	wantClass(t, err, false)
	if !strings.Contains(err.Error(), "timed out after 300ms") {
		t.Errorf("error %q does not name the timeout", err)
	}
	if elapsed > 20*time.Second {
		t.Errorf("Deliver took %v: the background child was not killed with the shell", elapsed)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(readFile(t, pidFile)))
	if err != nil || pid <= 0 {
		t.Fatalf("the child never started: pid file %q", readFile(t, pidFile))
	}
}

func TestExecContextCancelKills(t *testing.T) {
	t.Parallel()
	e := newExec(t, ExecConfig{Command: []string{"/bin/sh", "-c", "sleep 60 & wait"}})
	e.waitDelay = time.Minute
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := e.Deliver(ctx, event(t, `{}`, "k"))
	wantClass(t, err, false)
	if !strings.Contains(err.Error(), "deadline exceeded") {
		t.Errorf("error %q does not name the context's end", err)
	}
	if elapsed := time.Since(start); elapsed > 20*time.Second {
		t.Errorf("Deliver took %v after its context ended", elapsed)
	}
}

func TestExecConfig(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		cfg     ExecConfig
		wantErr string
	}{
		{"ok", ExecConfig{Command: []string{"cat"}}, ""},
		{"no command", ExecConfig{}, "command is required"},
		{"empty program", ExecConfig{Command: []string{""}}, "command is required"},
		{"bad env name", ExecConfig{Command: []string{"cat"}, Env: map[string]string{"A=B": "c"}}, "env name"},
		{"nul in env", ExecConfig{Command: []string{"cat"}, Env: map[string]string{"A": "\x00"}}, "NUL"},
		{"negative timeout", ExecConfig{Command: []string{"cat"}, Timeout: -1}, "timeout"},
		{"exit code 0", ExecConfig{Command: []string{"cat"}, PermanentExitCodes: []int{0}}, "exit code 0"},
		{"exit code 256", ExecConfig{Command: []string{"cat"}, PermanentExitCodes: []int{256}}, "exit code 256"},
		// NewExec's own checks.
		{"program not found", ExecConfig{Command: []string{"herald-no-such-program"}}, "not found"},
		{"dir missing", ExecConfig{Command: []string{"cat"}, Dir: filepath.Join(file, "x")}, "dir"},
		{"dir is a file", ExecConfig{Command: []string{"cat"}, Dir: file}, "not a directory"},
	}
	for _, tt := range tests {
		_, err := NewExec(tt.cfg, nil)
		if tt.wantErr == "" && err != nil {
			t.Errorf("%s: %v", tt.name, err)
		}
		if tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
			t.Errorf("%s: error %v, want one containing %q", tt.name, err, tt.wantErr)
		}
	}
}

func TestEnvName(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"type": "TYPE", "event-type": "EVENT_TYPE", "org.id": "ORG_ID", "x1_y": "X1_Y", "é": "__", "a b=c": "A_B_C",
	} {
		if got := envName(in); got != want {
			t.Errorf("envName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestTailBuffer(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		writes []string
		want   string
	}{
		{"short", []string{"ab", "cd"}, "abcd"},
		{"exactly full", []string{"abcd", "efgh"}, "abcdefgh"},
		{"overflow across writes", []string{"abcdef", "ghij"}, "...cdefghij"},
		{"one big write", []string{"0123456789abc"}, "...56789abc"},
		{"big write after small", []string{"xy", "01234567"}, "...01234567"},
		{"trimmed", []string{"  msg \n"}, "msg"},
	}
	for _, tt := range tests {
		b := &tailBuffer{max: 8}
		for _, w := range tt.writes {
			if n, err := b.Write([]byte(w)); n != len(w) || err != nil {
				t.Fatalf("%s: Write = %d, %v", tt.name, n, err)
			}
		}
		if got := b.String(); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
}
