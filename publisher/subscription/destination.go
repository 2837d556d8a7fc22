package subscription

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"

	"github.com/herald-dev/herald/publisher/webhook"
)

// Destination types.
const (
	DestinationSQS   = "sqs"   // an SQS queue, by URL
	DestinationSNS   = "sns"   // an SNS topic, by ARN
	DestinationHTTPS = "https" // an HTTPS endpoint, by URL
	DestinationKafka = "kafka" // a Kafka topic on a cluster
)

// Destination is where a subscription's notifications are delivered. Type
// says which of the other fields apply; the others must be empty.
type Destination struct {
	// Type is DestinationSQS, DestinationSNS, DestinationHTTPS or
	// DestinationKafka.
	Type string `json:"type"`
	// URL is the queue URL (sqs), "http(s)://host/<12-digit account>/<name>",
	// or the endpoint URL (https), which must be https except for
	// localhost, 127.0.0.1 and ::1.
	URL string `json:"url,omitempty"`
	// TopicARN is the SNS topic ARN (sns),
	// "arn:aws:sns:<region>:<12-digit account>:<name>".
	TopicARN string `json:"topic_arn,omitempty"`
	// Topic is the Kafka topic (kafka): 1 to 249 of a-z A-Z 0-9 . _ -,
	// and neither "." nor "..".
	Topic string `json:"topic,omitempty"`
	// Brokers are the Kafka bootstrap brokers as host:port (kafka); at
	// least one.
	Brokers []string `json:"brokers,omitempty"`
	// Secrets are the webhook signing secrets (https), each "whsec_" and
	// base64: every notification is signed with each of them (Standard
	// Webhooks), so a secret is rotated by adding the new one, letting the
	// receiver switch, then removing the old one. Optional.
	Secrets []string `json:"secrets,omitempty"`
}

// FIFO reports whether the destination is a FIFO queue or topic: an SQS
// queue URL or SNS topic ARN whose name ends in ".fifo".
func (d Destination) FIFO() bool {
	switch d.Type {
	case DestinationSQS:
		return strings.HasSuffix(d.URL, ".fifo")
	case DestinationSNS:
		return strings.HasSuffix(d.TopicARN, ".fifo")
	}
	return false
}

// Validate checks the destination and returns every problem found, joined.
func (d Destination) Validate() error {
	var errs []error
	unused := func(field string, set bool) {
		if set {
			errs = append(errs, fmt.Errorf("%s is not used by type %q", field, d.Type))
		}
	}
	switch d.Type {
	case DestinationSQS:
		errs = append(errs, checkQueueURL(d.URL))
		unused("topic_arn", d.TopicARN != "")
		unused("topic", d.Topic != "")
		unused("brokers", len(d.Brokers) > 0)
		unused("secrets", len(d.Secrets) > 0)
	case DestinationSNS:
		errs = append(errs, checkTopicARN(d.TopicARN))
		unused("url", d.URL != "")
		unused("topic", d.Topic != "")
		unused("brokers", len(d.Brokers) > 0)
		unused("secrets", len(d.Secrets) > 0)
	case DestinationHTTPS:
		errs = append(errs, checkEndpoint(d.URL))
		unused("topic_arn", d.TopicARN != "")
		unused("topic", d.Topic != "")
		unused("brokers", len(d.Brokers) > 0)
		for i, sec := range d.Secrets {
			if _, err := webhook.ParseSecret(sec); err != nil {
				errs = append(errs, fmt.Errorf("secrets[%d]: %w", i, err))
			}
		}
	case DestinationKafka:
		errs = append(errs, checkKafkaTopic(d.Topic))
		if len(d.Brokers) == 0 {
			errs = append(errs, errors.New("brokers: at least one is required"))
		}
		for i, b := range d.Brokers {
			if err := checkBroker(b); err != nil {
				errs = append(errs, fmt.Errorf("brokers[%d]: %w", i, err))
			}
		}
		unused("url", d.URL != "")
		unused("topic_arn", d.TopicARN != "")
		unused("secrets", len(d.Secrets) > 0)
	case "":
		errs = append(errs, errors.New("type is required"))
	default:
		errs = append(errs, fmt.Errorf("type %q is not one of %s, %s, %s, %s", d.Type,
			DestinationSQS, DestinationSNS, DestinationHTTPS, DestinationKafka))
	}
	return errors.Join(errs...)
}

// checkQueueURL accepts http(s)://host/<12-digit account>/<queue name>.
func checkQueueURL(raw string) error {
	if raw == "" {
		return errors.New("url: an SQS queue URL is required")
	}
	bad := func(why string) error {
		return fmt.Errorf("url %q: not an SQS queue URL (want http(s)://host/<12-digit account>/<name>): %s", raw, why)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return bad("does not parse")
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return bad("scheme is not http or https")
	}
	if u.Host == "" || u.Opaque != "" {
		return bad("no host")
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return bad("has user info, a query or a fragment")
	}
	account, name, ok := strings.Cut(strings.TrimPrefix(u.Path, "/"), "/")
	if !ok || !isAccount(account) {
		return bad("path does not start with a 12-digit account id")
	}
	if !isQueueName(name, 80) {
		return bad("queue name must be 1 to 80 of a-z A-Z 0-9 - _, with an optional .fifo suffix")
	}
	return nil
}

// checkTopicARN accepts arn:<aws partition>:sns:<region>:<account>:<name>.
func checkTopicARN(arn string) error {
	if arn == "" {
		return errors.New("topic_arn: an SNS topic ARN is required")
	}
	bad := func(why string) error {
		return fmt.Errorf("topic_arn %q: not an SNS topic ARN (want arn:aws:sns:<region>:<12-digit account>:<name>): %s", arn, why)
	}
	parts := strings.Split(arn, ":")
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "sns" {
		return bad("does not have the six parts arn:aws:sns:region:account:name")
	}
	if parts[1] != "aws" && !strings.HasPrefix(parts[1], "aws-") {
		return bad("partition is not aws")
	}
	if !isRegion(parts[3]) {
		return bad("region must be a-z 0-9 -")
	}
	if !isAccount(parts[4]) {
		return bad("account is not 12 digits")
	}
	if !isQueueName(parts[5], 256) {
		return bad("topic name must be 1 to 256 of a-z A-Z 0-9 - _, with an optional .fifo suffix")
	}
	return nil
}

// checkEndpoint accepts an https URL, or http to the local machine.
func checkEndpoint(raw string) error {
	if raw == "" {
		return errors.New("url: an https URL is required")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("url %q: does not parse", raw)
	}
	if u.Host == "" || u.Hostname() == "" {
		return fmt.Errorf("url %q: no host", raw)
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		switch u.Hostname() {
		case "localhost", "127.0.0.1", "::1":
			return nil
		}
	}
	return fmt.Errorf("url %q: must be https (http only for localhost and 127.0.0.1)", raw)
}

// checkKafkaTopic applies Kafka's topic name rules.
func checkKafkaTopic(t string) error {
	switch {
	case t == "":
		return errors.New("topic: a Kafka topic is required")
	case t == "." || t == "..":
		return fmt.Errorf("topic %q: not allowed as a Kafka topic name", t)
	case len(t) > 249:
		return fmt.Errorf("topic: Kafka topic names are at most 249 characters (have %d)", len(t))
	}
	for _, r := range t {
		if !isNameChar(r) && r != '.' {
			return fmt.Errorf("topic %q: Kafka topic names may only contain a-z A-Z 0-9 . _ -", t)
		}
	}
	return nil
}

// checkBroker accepts host:port.
func checkBroker(b string) error {
	host, port, err := net.SplitHostPort(b)
	if err != nil || host == "" {
		return fmt.Errorf("%q is not host:port", b)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return fmt.Errorf("%q: port must be 1 to 65535", b)
	}
	return nil
}

func isAccount(s string) bool {
	if len(s) != 12 {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

func isRegion(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if (r < 'a' || r > 'z') && (r < '0' || r > '9') && r != '-' {
			return false
		}
	}
	return true
}

// isQueueName accepts an SQS queue or SNS topic name of at most limit
// characters, the ".fifo" suffix included.
func isQueueName(s string, limit int) bool {
	if len(s) > limit {
		return false
	}
	s = strings.TrimSuffix(s, ".fifo")
	if s == "" {
		return false
	}
	for _, r := range s {
		if !isNameChar(r) {
			return false
		}
	}
	return true
}

func isNameChar(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_'
}
