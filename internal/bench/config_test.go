package bench

import (
	"bytes"
	"errors"
	"flag"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParseFlagsDefaults(t *testing.T) {
	var stderr bytes.Buffer
	c, err := ParseFlags(nil, &stderr)
	if err != nil {
		t.Fatal(err)
	}
	want := Config{
		Endpoint: "http://127.0.0.1:9324", Scenarios: allScenarios, Duration: 10 * time.Second,
		Concurrency: 16, BodySize: 256, Rate: 1000, QueuePrefix: "herald-bench",
	}
	if c.Endpoint != want.Endpoint || !slices.Equal(c.Scenarios, want.Scenarios) || c.Duration != want.Duration ||
		c.Concurrency != want.Concurrency || c.BodySize != want.BodySize || c.Rate != want.Rate ||
		c.QueuePrefix != want.QueuePrefix || c.Prefill != 0 || c.JSON ||
		c.ConsumeStore != "sqlite" || c.ConsumeSink != "kafka" {
		t.Errorf("defaults %+v, want %+v", *c, want)
	}
	if c.batchSize() != 10 {
		t.Errorf("batchSize %d, want 10", c.batchSize())
	}
}

func TestParseFlagsAll(t *testing.T) {
	c, err := ParseFlags([]string{
		"--endpoint", "http://localhost:1234", "--scenario", "latency, send,latency", "--duration", "1.5s",
		"--concurrency", "3", "--body-size", "100000", "--rate", "250.5", "--queue-prefix", "x_y-1",
		"--prefill", "5000", "--json", "--consume-store", "memory", "--consume-sink", "discard",
	}, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if c.Endpoint != "http://localhost:1234" || !slices.Equal(c.Scenarios, []string{"latency", "send"}) ||
		c.Duration != 1500*time.Millisecond || c.Concurrency != 3 || c.BodySize != 100000 || c.Rate != 250.5 ||
		c.QueuePrefix != "x_y-1" || c.Prefill != 5000 || !c.JSON || c.ConsumeStore != "memory" || c.ConsumeSink != "discard" {
		t.Errorf("got %+v", *c)
	}
	if c.batchSize() != 2 { // 10 bodies of 100000 bytes exceed 256 KiB
		t.Errorf("batchSize %d, want 2", c.batchSize())
	}
}

func TestParseFlagsAllScenarioWithOthers(t *testing.T) {
	c, err := ParseFlags([]string{"--scenario", "latency,all"}, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"latency", "send", "batch-send", "receive-delete", "fanout", "consume"}; !slices.Equal(c.Scenarios, want) {
		t.Errorf("scenarios %v, want %v", c.Scenarios, want)
	}
}

func TestParseFlagsErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--scenario", "nope"}, "unknown scenario"},
		{[]string{"--scenario", ""}, "unknown scenario"},
		{[]string{"--duration", "0s"}, "--duration"},
		{[]string{"--duration", "soon"}, "invalid value"},
		{[]string{"--concurrency", "0"}, "--concurrency"},
		{[]string{"--body-size", "0"}, "--body-size"},
		{[]string{"--body-size", "262145"}, "--body-size"},
		{[]string{"--rate", "0"}, "--rate"},
		{[]string{"--rate", "-1"}, "--rate"},
		{[]string{"--rate", "NaN"}, "--rate"},
		{[]string{"--prefill", "-1"}, "--prefill"},
		{[]string{"--consume-store", "postgres"}, "--consume-store"},
		{[]string{"--consume-sink", "http"}, "--consume-sink"},
		{[]string{"--queue-prefix", "bad.name"}, "--queue-prefix"},
		{[]string{"--queue-prefix", ""}, "--queue-prefix"},
		{[]string{"--queue-prefix", strings.Repeat("a", 41)}, "--queue-prefix"},
		{[]string{"--endpoint", "127.0.0.1:9324"}, "--endpoint"},
		{[]string{"--endpoint", "ftp://x"}, "--endpoint"},
		{[]string{"--bogus"}, "flag provided but not defined"},
		{[]string{"extra"}, "no arguments"},
	} {
		_, err := ParseFlags(c.args, &bytes.Buffer{})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("ParseFlags(%q) = %v, want an error containing %q", c.args, err, c.want)
		}
	}
}

func TestParseFlagsHelp(t *testing.T) {
	var stderr bytes.Buffer
	_, err := ParseFlags([]string{"--help"}, &stderr)
	if !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("err %v, want flag.ErrHelp", err)
	}
	for _, name := range []string{"-endpoint", "-scenario", "-duration", "-concurrency", "-body-size", "-rate", "-queue-prefix", "-prefill", "-json", "coordinated omission"} {
		if !strings.Contains(stderr.String(), name) {
			t.Errorf("help does not mention %q:\n%s", name, stderr.String())
		}
	}
}

func TestGroupDigits(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 7: "7", 999: "999", 1000: "1,000", 52340: "52,340", 1234567: "1,234,567", -1234: "-1,234"} {
		if got := groupDigits(n); got != want {
			t.Errorf("groupDigits(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestFmtMillis(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0: "0.000ms", 1234 * time.Microsecond: "1.234ms", 12345 * time.Microsecond: "12.35ms", 1234 * time.Millisecond: "1234.0ms",
	} {
		if got := fmtMillis(d); got != want {
			t.Errorf("fmtMillis(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestParseFlagsPublisherScenarios(t *testing.T) {
	c, err := ParseFlags([]string{"--scenario", "publisher"}, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"publish", "publish-latency"}; !slices.Equal(c.Scenarios, want) {
		t.Errorf("scenarios %v, want %v", c.Scenarios, want)
	}
}
