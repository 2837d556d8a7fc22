package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestListenUsageErrors(t *testing.T) {
	t.Parallel()
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(bad, []byte("sorce: {}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
		code int
	}{
		{[]string{"listen"}, "no source", 1},
		{[]string{"listen", "extra"}, "listen takes no arguments", 2},
		{[]string{"listen", "--endpoint", "http://127.0.0.1:1"}, "needs --queue-url", 2},
		{[]string{"listen", "--queue-url", "http://h/1/q", "--sink", "ftp:x"}, "want stdout, dir:PATH", 2},
		{[]string{"listen", "--queue-url", "http://h/1/q", "--sink", "kafka:broker"}, "kafka:BROKER", 2},
		{[]string{"listen", "--queue-url", "http://h/1/q", "--sink", "exec:"}, "needs a command", 2},
		{[]string{"listen", "--config", bad}, `unknown field "sorce"`, 2},
		{[]string{"listen", "--config", "/nonexistent.yaml"}, "no such file", 2},
		{[]string{"listen", "--queue-url", "http://h/1/q", "--order-entity", "id"}, "set both entity and version", 1},
		{[]string{"listen", "--queue-url", "http://h/1/q", "--batch-size", "11", "--store", "memory"}, "batch_size 11", 1},
		{[]string{"listen", "--queue-url", "http://h/1/q", "--store", "mysql://x"}, "want sqlite:PATH", 1},
	} {
		var out, errb bytes.Buffer
		err := run(context.Background(), tc.args, noEnv, &out, &errb)
		if err == nil || !strings.Contains(err.Error(), tc.want) || exitCode(err) != tc.code {
			t.Errorf("run(%q) = %v (exit %d), want %q (exit %d)", tc.args, err, exitCode(err), tc.want, tc.code)
		}
	}
}

func TestListenHelp(t *testing.T) {
	t.Parallel()
	var out, errb bytes.Buffer
	err := run(context.Background(), []string{"listen", "--help"}, noEnv, &out, &errb)
	if !errors.Is(err, flag.ErrHelp) || exitCode(err) != 0 {
		t.Fatalf("--help: %v", err)
	}
	for _, want := range []string{"-queue-url", "-sns-listen", "-dedupe-key", "-store", "-sink", "-metrics", "-config"} {
		if !strings.Contains(errb.String(), want) {
			t.Errorf("listen --help lacks %s", want)
		}
	}
}

func TestSinkFromFlag(t *testing.T) {
	t.Parallel()
	for spec, want := range map[string]string{
		"stdout":                    `stdout {}`,
		"dir:./out":                 `dir {"dir":"./out"}`,
		"http://h/x":                `http {"url":"http://h/x"}`,
		"https://h/x":               `http {"url":"https://h/x"}`,
		"exec:./handle.sh --fast":   `exec {"command":["./handle.sh","--fast"]}`,
		"kafka:k1:9092,k2:9092/a,b": `kafka {"brokers":["k1:9092","k2:9092"],"topics":["a","b"]}`,
	} {
		sc, err := sinkFromFlag(spec)
		if err != nil {
			t.Fatalf("%s: %v", spec, err)
		}
		if got := sc.Type + " " + string(sc.Settings); got != want {
			t.Errorf("%s = %s, want %s", spec, got, want)
		}
	}
}
