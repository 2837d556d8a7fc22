package kafkasink

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"

	"github.com/herald-dev/herald/consumer"
)

// Defaults applied when the corresponding Config field is zero.
const (
	// DefaultProduceTimeout bounds one Deliver call.
	DefaultProduceTimeout = 30 * time.Second
	// DefaultMaxBufferedRecords is how many records the client buffers
	// before Deliver blocks waiting for space.
	DefaultMaxBufferedRecords = 100_000
	// DefaultMaxMessageBytes is the largest record batch the producer
	// builds, Kafka's default max.message.bytes for a topic.
	DefaultMaxMessageBytes = 1_000_012
)

// Config configures a Kafka Sink. The zero value of every optional field
// means its documented default.
type Config struct {
	// Brokers are the seed brokers, "host:port" (required). The rest of
	// the cluster is discovered from them.
	Brokers []string `json:"brokers"`
	// Topics are the topics each event is produced to, one record per
	// topic (required). Each is a consumer.Template, for example
	// "qa-archive-new" or "{{.Vars.env}}-archive-new".
	Topics []string `json:"topics"`
	// Key is a template for the record key; empty means records have no
	// key (and are spread over partitions).
	Key string `json:"key"`
	// Value is a template for the record value; empty means the event's
	// Body bytes, unchanged.
	Value string `json:"value"`
	// Headers are extra record headers, name to template. Every record
	// also carries herald-message-id (the event's MessageID) and
	// herald-key (the event's deduplication key, an idempotency key for
	// whoever consumes the topic); those two names are reserved.
	Headers map[string]string `json:"headers"`
	// Vars are passed to every template as .Vars (for example env: qa).
	Vars map[string]string `json:"vars"`
	// ClientID is the Kafka client id the brokers see; default "herald".
	ClientID string `json:"client_id"`
	// Acks is how many replicas must acknowledge a record: "all" (the
	// default), "leader" or "none". "leader" and "none" require
	// Idempotent to be false.
	Acks string `json:"acks"`
	// Idempotent enables the idempotent producer, so the broker discards
	// the duplicates the client's own retries would create; default true.
	Idempotent *bool `json:"idempotent"`
	// Linger is how long a partition waits for more records before sending
	// its batch; default none. Records of concurrent Deliver calls batch up
	// anyway while earlier requests are in flight, and every Deliver waits
	// at least the linger, so a linger only pays with few, slow brokers.
	Linger consumer.Duration `json:"linger"`
	// MaxBufferedRecords is how many records may wait for acknowledgement
	// before Deliver blocks; default 100000.
	MaxBufferedRecords int `json:"max_buffered_records"`
	// MaxMessageBytes is the largest record batch the producer builds,
	// before compression; default 1000012. Set it to the topics'
	// max.message.bytes when that is lower, so that small records are never
	// batched into a request the broker rejects as too large.
	MaxMessageBytes int `json:"max_message_bytes"`
	// ProduceTimeout bounds one Deliver: the records it produced must be
	// acknowledged within it; default 30s.
	ProduceTimeout consumer.Duration `json:"produce_timeout"`
	// Compression is the batch compression codec: "none" (the default),
	// "gzip", "snappy", "lz4" or "zstd".
	Compression string `json:"compression"`
	// TLS dials the brokers with TLS, verified against the system's root
	// certificates.
	TLS bool `json:"tls"`
	// SASL authenticates to the brokers; nil means no authentication.
	SASL *SASL `json:"sasl"`
}

// SASL is the SASL authentication of a Config.
type SASL struct {
	// Mechanism is "plain", "scram-sha-256" or "scram-sha-512" (required).
	Mechanism string `json:"mechanism"`
	// User is the user name (required).
	User string `json:"user"`
	// Password is the user's password.
	Password string `json:"password"`
}

// Reserved header names, set on every record.
const (
	HeaderMessageID = "herald-message-id"
	HeaderKey       = "herald-key"
)

var compressions = map[string]kgo.CompressionCodec{
	"":       kgo.NoCompression(),
	"none":   kgo.NoCompression(),
	"gzip":   kgo.GzipCompression(),
	"snappy": kgo.SnappyCompression(),
	"lz4":    kgo.Lz4Compression(),
	"zstd":   kgo.ZstdCompression(),
}

var acks = map[string]kgo.Acks{
	"":       kgo.AllISRAcks(),
	"all":    kgo.AllISRAcks(),
	"leader": kgo.LeaderAck(),
	"none":   kgo.NoAck(),
}

// Validate reports the first problem with c: missing brokers or topics, a
// template that does not parse, a constant topic name Kafka would reject,
// an unknown acks, compression or SASL mechanism, idempotence with acks
// other than "all", or a negative number.
func (c Config) Validate() error {
	_, err := c.compile()
	return err
}

// templates are a Config's parsed templates.
type templates struct {
	topics      []*consumer.Template
	key, value  *consumer.Template // nil when not configured
	headerNames []string           // sorted
	headers     []*consumer.Template
}

func (c Config) compile() (*templates, error) {
	if len(c.Brokers) == 0 {
		return nil, errors.New("kafkasink: brokers: at least one broker is required")
	}
	for i, b := range c.Brokers {
		if strings.TrimSpace(b) == "" {
			return nil, fmt.Errorf("kafkasink: brokers[%d]: empty", i)
		}
	}
	if len(c.Topics) == 0 {
		return nil, errors.New("kafkasink: topics: at least one topic is required")
	}
	if _, ok := acks[c.Acks]; !ok {
		return nil, fmt.Errorf("kafkasink: acks %q: want all, leader or none", c.Acks)
	}
	if c.idempotent() && c.Acks != "" && c.Acks != "all" {
		return nil, fmt.Errorf("kafkasink: acks %q: the idempotent producer requires acks all (set idempotent: false)", c.Acks)
	}
	if _, ok := compressions[c.Compression]; !ok {
		return nil, fmt.Errorf("kafkasink: compression %q: want none, gzip, snappy, lz4 or zstd", c.Compression)
	}
	switch {
	case c.Linger < 0:
		return nil, errors.New("kafkasink: linger: negative")
	case c.ProduceTimeout < 0:
		return nil, errors.New("kafkasink: produce_timeout: negative")
	case c.MaxBufferedRecords < 0:
		return nil, errors.New("kafkasink: max_buffered_records: negative")
	case c.MaxMessageBytes != 0 && (c.MaxMessageBytes < 512 || c.MaxMessageBytes > 1<<30):
		return nil, fmt.Errorf("kafkasink: max_message_bytes %d: want 512 to %d", c.MaxMessageBytes, 1<<30)
	}
	if s := c.SASL; s != nil {
		switch s.Mechanism {
		case "plain", "scram-sha-256", "scram-sha-512":
		default:
			return nil, fmt.Errorf("kafkasink: sasl.mechanism %q: want plain, scram-sha-256 or scram-sha-512", s.Mechanism)
		}
		if s.User == "" {
			return nil, errors.New("kafkasink: sasl.user: required")
		}
	}

	t := &templates{}
	for i, text := range c.Topics {
		tmpl, err := consumer.ParseTemplate(fmt.Sprintf("topics[%d]", i), text)
		if err != nil {
			return nil, fmt.Errorf("kafkasink: %w", err)
		}
		if !strings.Contains(text, "{{") {
			if err := checkTopic(text); err != nil {
				return nil, fmt.Errorf("kafkasink: topics[%d]: %w", i, err)
			}
		}
		t.topics = append(t.topics, tmpl)
	}
	var err error
	if c.Key != "" {
		if t.key, err = consumer.ParseTemplate("key", c.Key); err != nil {
			return nil, fmt.Errorf("kafkasink: %w", err)
		}
	}
	if c.Value != "" {
		if t.value, err = consumer.ParseTemplate("value", c.Value); err != nil {
			return nil, fmt.Errorf("kafkasink: %w", err)
		}
	}
	for name := range c.Headers {
		t.headerNames = append(t.headerNames, name)
	}
	slices.Sort(t.headerNames)
	for _, name := range t.headerNames {
		if name == "" {
			return nil, errors.New("kafkasink: headers: empty header name")
		}
		if name == HeaderMessageID || name == HeaderKey {
			return nil, fmt.Errorf("kafkasink: headers: %s is reserved", name)
		}
		tmpl, err := consumer.ParseTemplate("headers."+name, c.Headers[name])
		if err != nil {
			return nil, fmt.Errorf("kafkasink: %w", err)
		}
		t.headers = append(t.headers, tmpl)
	}
	return t, nil
}

// checkTopic applies Kafka's rules for topic names: 1 to 249 characters of
// ASCII letters, digits, '.', '_' and '-', and neither "." nor "..".
func checkTopic(name string) error {
	switch {
	case name == "":
		return errors.New("empty topic name")
	case name == "." || name == "..":
		return fmt.Errorf("topic name %q is not allowed", name)
	case len(name) > 249:
		return fmt.Errorf("topic name %.20q... is %d characters, over 249", name, len(name))
	}
	for i := 0; i < len(name); i++ {
		switch b := name[i]; {
		case b >= 'a' && b <= 'z', b >= 'A' && b <= 'Z', b >= '0' && b <= '9', b == '.', b == '_', b == '-':
		default:
			return fmt.Errorf("topic name %q: character %q is not allowed (want letters, digits, '.', '_', '-')", name, b)
		}
	}
	return nil
}

func (c Config) idempotent() bool { return c.Idempotent == nil || *c.Idempotent }

// kgoOpts are the franz-go client options c describes. c must be valid.
func (c Config) kgoOpts() []kgo.Opt {
	clientID := c.ClientID
	if clientID == "" {
		clientID = "herald"
	}
	maxBuffered := c.MaxBufferedRecords
	if maxBuffered == 0 {
		maxBuffered = DefaultMaxBufferedRecords
	}
	maxBytes := c.MaxMessageBytes
	if maxBytes == 0 {
		maxBytes = DefaultMaxMessageBytes
	}
	linger := c.Linger.Std()
	opts := []kgo.Opt{
		kgo.SeedBrokers(c.Brokers...),
		kgo.ClientID(clientID),
		kgo.RequiredAcks(acks[c.Acks]),
		kgo.ProducerLinger(linger),
		kgo.MaxBufferedRecords(maxBuffered),
		kgo.ProducerBatchMaxBytes(int32(maxBytes)),
		kgo.ProducerBatchCompression(compressions[c.Compression]),
		// A record still buffered after its Deliver gave up is failed
		// rather than produced late (when that is safe: see kgo's
		// RecordDeliveryTimeout, which allows no less than a second), to
		// spare the topic a duplicate.
		kgo.RecordDeliveryTimeout(max(c.ProduceTimeout.Or(DefaultProduceTimeout)+linger, time.Second)),
	}
	if !c.idempotent() {
		opts = append(opts, kgo.DisableIdempotentWrite())
	}
	if c.TLS {
		opts = append(opts, kgo.DialTLS())
	}
	if s := c.SASL; s != nil {
		switch s.Mechanism {
		case "plain":
			opts = append(opts, kgo.SASL(plain.Auth{User: s.User, Pass: s.Password}.AsMechanism()))
		case "scram-sha-256":
			opts = append(opts, kgo.SASL(scram.Auth{User: s.User, Pass: s.Password}.AsSha256Mechanism()))
		case "scram-sha-512":
			opts = append(opts, kgo.SASL(scram.Auth{User: s.User, Pass: s.Password}.AsSha512Mechanism()))
		}
	}
	return opts
}
