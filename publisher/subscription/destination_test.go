package subscription

import (
	"strings"
	"testing"
)

func TestDestinationValidate(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("q", 81)
	tests := []struct {
		name string
		d    Destination
		want string // "" = valid
	}{
		{"sqs", Destination{Type: DestinationSQS, URL: "https://sqs.us-east-1.amazonaws.com/123456789012/photos"}, ""},
		{"sqs local http", Destination{Type: DestinationSQS, URL: "http://localhost:4566/000000000000/my_queue-1"}, ""},
		{"sqs fifo", Destination{Type: DestinationSQS, URL: "https://sqs.eu-west-1.amazonaws.com/123456789012/jobs.fifo"}, ""},
		{"sqs missing url", Destination{Type: DestinationSQS}, "an SQS queue URL is required"},
		{"sqs scheme", Destination{Type: DestinationSQS, URL: "ftp://h/123456789012/q"}, "scheme is not http or https"},
		{"sqs no host", Destination{Type: DestinationSQS, URL: "https:///123456789012/q"}, "no host"},
		{"sqs short account", Destination{Type: DestinationSQS, URL: "https://h/12345678901/q"}, "12-digit account"},
		{"sqs letters in account", Destination{Type: DestinationSQS, URL: "https://h/12345678901x/q"}, "12-digit account"},
		{"sqs no name", Destination{Type: DestinationSQS, URL: "https://h/123456789012/"}, "queue name"},
		{"sqs only account", Destination{Type: DestinationSQS, URL: "https://h/123456789012"}, "12-digit account"},
		{"sqs extra segment", Destination{Type: DestinationSQS, URL: "https://h/123456789012/q/x"}, "queue name"},
		{"sqs bad name char", Destination{Type: DestinationSQS, URL: "https://h/123456789012/a.b"}, "queue name"},
		{"sqs name too long", Destination{Type: DestinationSQS, URL: "https://h/123456789012/" + long}, "queue name"},
		{"sqs only fifo", Destination{Type: DestinationSQS, URL: "https://h/123456789012/.fifo"}, "queue name"},
		{"sqs query", Destination{Type: DestinationSQS, URL: "https://h/123456789012/q?x=1"}, "a query"},
		{"sqs stray field", Destination{Type: DestinationSQS, URL: "https://h/123456789012/q", Topic: "t"}, `topic is not used by type "sqs"`},
		{"sns", Destination{Type: DestinationSNS, TopicARN: "arn:aws:sns:us-east-1:123456789012:media-jobs"}, ""},
		{"sns fifo", Destination{Type: DestinationSNS, TopicARN: "arn:aws:sns:eu-west-1:123456789012:jobs.fifo"}, ""},
		{"sns missing", Destination{Type: DestinationSNS}, "an SNS topic ARN is required"},
		{"sns not sns", Destination{Type: DestinationSNS, TopicARN: "arn:aws:sqs:us-east-1:123456789012:q"}, "six parts"},
		{"sns too few parts", Destination{Type: DestinationSNS, TopicARN: "arn:aws:sns:us-east-1:123456789012"}, "six parts"},
		{"sns partition", Destination{Type: DestinationSNS, TopicARN: "arn:gcp:sns:us-east-1:123456789012:t"}, "partition"},
		{"sns region", Destination{Type: DestinationSNS, TopicARN: "arn:aws:sns::123456789012:t"}, "region"},
		{"sns account", Destination{Type: DestinationSNS, TopicARN: "arn:aws:sns:us-east-1:1234:t"}, "account is not 12 digits"},
		{"sns name", Destination{Type: DestinationSNS, TopicARN: "arn:aws:sns:us-east-1:123456789012:a/b"}, "topic name"},
		{"sns stray url", Destination{Type: DestinationSNS, TopicARN: "arn:aws:sns:us-east-1:123456789012:t", URL: "https://x"}, `url is not used by type "sns"`},
		{"https", Destination{Type: DestinationHTTPS, URL: "https://hooks.example.com/herald?k=v"}, ""},
		{"http localhost", Destination{Type: DestinationHTTPS, URL: "http://localhost:8080/hook"}, ""},
		{"http loopback", Destination{Type: DestinationHTTPS, URL: "http://127.0.0.1:8080/hook"}, ""},
		{"http remote", Destination{Type: DestinationHTTPS, URL: "http://hooks.example.com/hook"}, "must be https"},
		{"http lookalike", Destination{Type: DestinationHTTPS, URL: "http://localhost.example.com/hook"}, "must be https"},
		{"https missing", Destination{Type: DestinationHTTPS}, "an https URL is required"},
		{"https no host", Destination{Type: DestinationHTTPS, URL: "https:///hook"}, "no host"},
		{"https relative", Destination{Type: DestinationHTTPS, URL: "/hook"}, "no host"},
		{"https other scheme", Destination{Type: DestinationHTTPS, URL: "ws://localhost/hook"}, "must be https"},
		{"https stray brokers", Destination{Type: DestinationHTTPS, URL: "https://h", Brokers: []string{"k:1"}}, `brokers is not used by type "https"`},
		{"kafka", Destination{Type: DestinationKafka, Topic: "prod-archive-new", Brokers: []string{"kafka-1:9092", "[::1]:9093"}}, ""},
		{"kafka dots", Destination{Type: DestinationKafka, Topic: "qa.archive_new", Brokers: []string{"k:9092"}}, ""},
		{"kafka no topic", Destination{Type: DestinationKafka, Brokers: []string{"k:9092"}}, "a Kafka topic is required"},
		{"kafka dot topic", Destination{Type: DestinationKafka, Topic: "..", Brokers: []string{"k:9092"}}, "not allowed"},
		{"kafka long topic", Destination{Type: DestinationKafka, Topic: strings.Repeat("t", 250), Brokers: []string{"k:9092"}}, "at most 249"},
		{"kafka topic char", Destination{Type: DestinationKafka, Topic: "a b", Brokers: []string{"k:9092"}}, "may only contain"},
		{"kafka no brokers", Destination{Type: DestinationKafka, Topic: "t"}, "brokers: at least one is required"},
		{"kafka broker no port", Destination{Type: DestinationKafka, Topic: "t", Brokers: []string{"k:9092", "k"}}, `brokers[1]: "k" is not host:port`},
		{"kafka broker bad port", Destination{Type: DestinationKafka, Topic: "t", Brokers: []string{"k:99999"}}, "port must be 1 to 65535"},
		{"kafka broker no host", Destination{Type: DestinationKafka, Topic: "t", Brokers: []string{":9092"}}, "not host:port"},
		{"kafka stray arn", Destination{Type: DestinationKafka, Topic: "t", Brokers: []string{"k:1"}, TopicARN: "a"}, `topic_arn is not used by type "kafka"`},
		{"no type", Destination{URL: "https://h"}, "type is required"},
		{"unknown type", Destination{Type: "sms"}, `type "sms" is not one of sqs, sns, https, kafka`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.d.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("Validate: %v", err)
			case tt.want != "" && err == nil:
				t.Errorf("Validate accepted it, want %q", tt.want)
			case tt.want != "" && !strings.Contains(err.Error(), tt.want):
				t.Errorf("Validate = %q, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestDestinationValidateListsEveryProblem(t *testing.T) {
	t.Parallel()
	d := Destination{Type: DestinationKafka, Topic: "a b", Brokers: []string{"x", "y:0"}, URL: "https://h"}
	err := d.Validate()
	if err == nil {
		t.Fatal("Validate accepted it")
	}
	for _, want := range []string{"topic", "brokers[0]", "brokers[1]", "url is not used"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Validate = %q, missing %q", err, want)
		}
	}
}

func TestFIFO(t *testing.T) {
	t.Parallel()
	tests := []struct {
		d    Destination
		want bool
	}{
		{Destination{Type: DestinationSQS, URL: "https://sqs.us-east-1.amazonaws.com/123456789012/jobs.fifo"}, true},
		{Destination{Type: DestinationSQS, URL: "https://sqs.us-east-1.amazonaws.com/123456789012/jobs"}, false},
		{Destination{Type: DestinationSQS, URL: "https://sqs.us-east-1.amazonaws.com/123456789012/jobs-fifo"}, false},
		{Destination{Type: DestinationSNS, TopicARN: "arn:aws:sns:us-east-1:123456789012:t.fifo"}, true},
		{Destination{Type: DestinationSNS, TopicARN: "arn:aws:sns:us-east-1:123456789012:t"}, false},
		// Only queues and topics are FIFO, whatever the other fields say.
		{Destination{Type: DestinationHTTPS, URL: "https://h/x.fifo"}, false},
		{Destination{Type: DestinationKafka, Topic: "t.fifo", Brokers: []string{"k:1"}}, false},
		{Destination{Type: DestinationSNS, URL: "https://h/123456789012/q.fifo", TopicARN: "arn:aws:sns:us-east-1:123456789012:t"}, false},
	}
	for _, tt := range tests {
		if got := tt.d.FIFO(); got != tt.want {
			t.Errorf("%+v.FIFO() = %v, want %v", tt.d, got, tt.want)
		}
	}
}
