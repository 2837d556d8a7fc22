package kafkasink

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/herald-dev/herald/consumer"
)

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	no := false
	valid := func(mod func(*Config)) Config {
		c := Config{Brokers: []string{"localhost:9092"}, Topics: []string{"qa-archive-new"}}
		if mod != nil {
			mod(&c)
		}
		return c
	}
	tests := []struct {
		name    string
		cfg     Config
		wantErr string // "" = valid
	}{
		{"minimal", valid(nil), ""},
		{"everything", valid(func(c *Config) {
			c.Topics = []string{"{{.Vars.env}}-archive-new", "prod-archive-new"}
			c.Key, c.Value = "{{.Key}}", `{"id":"{{.MessageID}}"}`
			c.Headers = map[string]string{"type": `{{index .Attributes "type"}}`}
			c.Vars = map[string]string{"env": "qa"}
			c.Acks, c.Idempotent, c.Compression = "leader", &no, "zstd"
			c.Linger, c.ProduceTimeout = consumer.Duration(time.Millisecond), consumer.Duration(time.Second)
			c.MaxBufferedRecords, c.MaxMessageBytes = 10, 4096
			c.TLS, c.SASL = true, &SASL{Mechanism: "scram-sha-512", User: "u", Password: "p"}
		}), ""},
		{"no brokers", valid(func(c *Config) { c.Brokers = nil }), "brokers"},
		{"empty broker", valid(func(c *Config) { c.Brokers = []string{" "} }), "brokers[0]"},
		{"no topics", valid(func(c *Config) { c.Topics = nil }), "topics"},
		{"bad topic template", valid(func(c *Config) { c.Topics = []string{"{{.Vars.env"} }), "topics[0]"},
		{"illegal constant topic", valid(func(c *Config) { c.Topics = []string{"qa archive"} }), "not allowed"},
		{"dotdot topic", valid(func(c *Config) { c.Topics = []string{".."} }), "not allowed"},
		{"long topic", valid(func(c *Config) { c.Topics = []string{strings.Repeat("a", 250)} }), "over 249"},
		{"bad key template", valid(func(c *Config) { c.Key = "{{" }), "key"},
		{"bad value template", valid(func(c *Config) { c.Value = "{{end}}" }), "value"},
		{"bad header template", valid(func(c *Config) { c.Headers = map[string]string{"h": "{{"} }), "headers.h"},
		{"reserved header", valid(func(c *Config) { c.Headers = map[string]string{HeaderKey: "x"} }), "reserved"},
		{"empty header name", valid(func(c *Config) { c.Headers = map[string]string{"": "x"} }), "empty header"},
		{"unknown acks", valid(func(c *Config) { c.Acks = "some" }), "acks"},
		{"idempotent by default needs acks all", valid(func(c *Config) { c.Acks = "leader" }), "requires acks all"},
		{"idempotent needs acks all", valid(func(c *Config) { yes := true; c.Idempotent = &yes; c.Acks = "none" }), "requires acks all"},
		{"non-idempotent acks none", valid(func(c *Config) { c.Idempotent = &no; c.Acks = "none" }), ""},
		{"unknown compression", valid(func(c *Config) { c.Compression = "brotli" }), "compression"},
		{"negative linger", valid(func(c *Config) { c.Linger = -1 }), "linger"},
		{"negative timeout", valid(func(c *Config) { c.ProduceTimeout = -1 }), "produce_timeout"},
		{"negative buffer", valid(func(c *Config) { c.MaxBufferedRecords = -1 }), "max_buffered_records"},
		{"tiny max message", valid(func(c *Config) { c.MaxMessageBytes = 100 }), "max_message_bytes"},
		{"unknown sasl", valid(func(c *Config) { c.SASL = &SASL{Mechanism: "gssapi", User: "u"} }), "sasl.mechanism"},
		{"sasl without user", valid(func(c *Config) { c.SASL = &SASL{Mechanism: "plain"} }), "sasl.user"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.cfg.Validate()
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("Validate = %v, want nil", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("Validate = %v, want an error containing %q", err, tt.wantErr)
			}
			if err == nil {
				if _, err := kgo.NewClient(tt.cfg.kgoOpts()...); err != nil {
					t.Fatalf("valid config, but franz-go refuses its options: %v", err)
				}
			}
		})
	}
}

// TestConfigJSON decodes a configuration the way configuration files are
// read: strictly, with durations as text.
func TestConfigJSON(t *testing.T) {
	t.Parallel()
	const doc = `{
		"brokers": ["kafka-1:9092", "kafka-2:9092"],
		"topics": ["qa-archive-new", "prod-archive-new"],
		"key": "{{.Key}}",
		"value": "",
		"headers": {"source": "s3"},
		"vars": {"env": "qa"},
		"client_id": "sqs-listener",
		"acks": "all",
		"idempotent": true,
		"linger": "5ms",
		"max_buffered_records": 5000,
		"max_message_bytes": 524288,
		"produce_timeout": "10s",
		"compression": "snappy",
		"tls": true,
		"sasl": {"mechanism": "plain", "user": "herald", "password": "secret"}
	}`
	dec := json.NewDecoder(strings.NewReader(doc))
	dec.DisallowUnknownFields()
	var cfg Config
	if err := dec.Decode(&cfg); err != nil {
		t.Fatalf("decode: %v", err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	if cfg.Linger.Std() != 5*time.Millisecond || cfg.ProduceTimeout.Std() != 10*time.Second ||
		cfg.SASL.User != "herald" || *cfg.Idempotent != true || cfg.MaxMessageBytes != 524288 {
		t.Errorf("decoded %+v", cfg)
	}
}

func TestIsPermanent(t *testing.T) {
	t.Parallel()
	tests := []struct {
		err  error
		want bool
	}{
		{kerr.MessageTooLarge, true},
		{fmt.Errorf("%w (uncompressed_bytes=5000)", kerr.MessageTooLarge), true},
		{kerr.RecordListTooLarge, true},
		{kerr.InvalidRecord, true},
		{kerr.InvalidTopicException, true},
		{kerr.UnknownTopicOrPartition, false},
		{kerr.TopicAuthorizationFailed, false},
		{kerr.SaslAuthenticationFailed, false},
		{kerr.CorruptMessage, false},
		{kerr.NotEnoughReplicas, false},
		{kerr.RequestTimedOut, false},
		{kgo.ErrRecordTimeout, false},
		{kgo.ErrClientClosed, false},
		{context.DeadlineExceeded, false},
		{errors.New("dial tcp: connection refused"), false},
	}
	for _, tt := range tests {
		if got := isPermanent(tt.err); got != tt.want {
			t.Errorf("isPermanent(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}

func TestKgoLogger(t *testing.T) {
	t.Parallel()
	tests := []struct {
		level     slog.Level
		wantLevel kgo.LogLevel
		logged    []kgo.LogLevel // franz-go levels that reach the handler
	}{
		{slog.LevelError, kgo.LogLevelError, []kgo.LogLevel{kgo.LogLevelError}},
		{slog.LevelInfo, kgo.LogLevelWarn, []kgo.LogLevel{kgo.LogLevelWarn, kgo.LogLevelError}},
		{slog.LevelDebug, kgo.LogLevelInfo, []kgo.LogLevel{kgo.LogLevelInfo, kgo.LogLevelWarn, kgo.LogLevelError}},
		{slog.LevelDebug - 4, kgo.LogLevelDebug, []kgo.LogLevel{kgo.LogLevelDebug, kgo.LogLevelInfo, kgo.LogLevelWarn, kgo.LogLevelError}},
	}
	for _, tt := range tests {
		var buf bytes.Buffer
		l := kgoLogger{slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: tt.level}))}
		if got := l.Level(); got != tt.wantLevel {
			t.Errorf("slog %v: Level() = %v, want %v", tt.level, got, tt.wantLevel)
		}
		for _, lv := range []kgo.LogLevel{kgo.LogLevelDebug, kgo.LogLevelInfo, kgo.LogLevelWarn, kgo.LogLevelError} {
			l.Log(lv, "msg-"+lv.String(), "broker", 1)
		}
		for _, lv := range []kgo.LogLevel{kgo.LogLevelDebug, kgo.LogLevelInfo, kgo.LogLevelWarn, kgo.LogLevelError} {
			want := false
			for _, w := range tt.logged {
				want = want || w == lv
			}
			if got := strings.Contains(buf.String(), `msg="kafka: msg-`+lv.String()+`" broker=1`); got != want {
				t.Errorf("slog %v: franz-go %v logged = %v, want %v; log:\n%s", tt.level, lv, got, want, buf.String())
			}
		}
	}
}
