package main

import (
	"errors"
	"io"
	"strings"
	"testing"
	"time"
)

func envOf(kv map[string]string) func(string) string {
	return func(name string) string { return kv[name] }
}

func TestServeFlagsFromEnvironment(t *testing.T) {
	f, err := parseServeFlags([]string{"--listen", "127.0.0.1:1"}, envOf(map[string]string{
		"HERALD_LISTEN":            "127.0.0.1:2", // the command line wins
		"HERALD_DATA":              "/tmp/herald-env",
		"HERALD_IN_MEMORY":         "1",
		"HERALD_MAX_QUEUES":        "7",
		"HERALD_PUBLISHER_BACKOFF": "2s",
	}), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if f.listen != "127.0.0.1:1" || f.data != "/tmp/herald-env" || !f.inMemory || f.maxQueues != 7 || f.publisher.backoff != 2*time.Second {
		t.Errorf("listen %q data %q in-memory %v max-queues %d backoff %v", f.listen, f.data, f.inMemory, f.maxQueues, f.publisher.backoff)
	}
	f, err = parseServeFlags(nil, envOf(nil), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if f.listen != "127.0.0.1:9324" || f.inMemory || f.maxQueues != 100000 || f.publisher.backoff != time.Second {
		t.Errorf("defaults: listen %q in-memory %v max-queues %d backoff %v", f.listen, f.inMemory, f.maxQueues, f.publisher.backoff)
	}
}

func TestBadEnvironmentValueIsAnError(t *testing.T) {
	for name, value := range map[string]string{
		"HERALD_MAX_QUEUES":                 "lots",
		"HERALD_IN_MEMORY":                  "yes",
		"HERALD_PUBLISHER_BACKOFF":          "5",
		"HERALD_PUBLISHER_MAX_ATTEMPTS":     "10x",
		"HERALD_PUBLISHER_BACKOFF_MAX":      "forever",
		"HERALD_PUBLISHER_WORKERS":          "six",
		"HERALD_MAX_LONG_POLLS":             "1e3",
		"HERALD_PUBLISHER_BREAKER_COOLDOWN": "-",
	} {
		_, err := parseServeFlags(nil, envOf(map[string]string{name: value}), io.Discard)
		var u usageError
		if !errors.As(err, &u) || !strings.Contains(err.Error(), name) {
			t.Errorf("serve with %s=%q: %v, want a usage error naming the variable", name, value, err)
		}
	}
	_, err := parseListenFlags(nil, envOf(map[string]string{"HERALD_LOG_LEVEL": "debug"}), io.Discard)
	if err != nil {
		t.Errorf("listen with HERALD_LOG_LEVEL=debug: %v", err)
	}
}

// TestEndpointFromEnvironmentAddsNoSQSSource: AWS_ENDPOINT_URL_SQS in the
// environment of a listener with only an SNS source does not ask for an
// SQS source, as --endpoint on the command line does.
func TestEndpointFromEnvironmentAddsNoSQSSource(t *testing.T) {
	f, err := parseListenFlags([]string{"--sns-listen", "127.0.0.1:0"},
		envOf(map[string]string{"AWS_ENDPOINT_URL_SQS": "http://127.0.0.1:9324"}), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	file, err := listenFile(f)
	if err != nil {
		t.Fatal(err)
	}
	if file.Source.SQS != nil || file.Source.SNS == nil {
		t.Errorf("sources: SQS %+v, SNS %+v; want SNS only", file.Source.SQS, file.Source.SNS)
	}
	f, err = parseListenFlags([]string{"--sns-listen", "127.0.0.1:0", "--endpoint", "http://127.0.0.1:9324"}, envOf(nil), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := listenFile(f); err == nil || !strings.Contains(err.Error(), "--queue-url") {
		t.Errorf("--endpoint without --queue-url: %v, want the error asking for --queue-url", err)
	}
}
