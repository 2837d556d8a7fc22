package sqssource_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/herald-dev/herald/consumer"
	"github.com/herald-dev/herald/consumer/sqssource"
	"github.com/herald-dev/herald/internal/brokertest"
)

func TestForward(t *testing.T) {
	t.Parallel()
	b := brokertest.Start(t)
	submitted := b.CreateQueue(t, "AssignmentSubmitted", nil)
	fifo := b.CreateQueue(t, "events.fifo", map[string]string{"FifoQueue": "true"})
	ctx := context.Background()

	// The queue is chosen by the event's type.
	f, err := sqssource.NewForward(sqssource.ForwardConfig{QueueURL: b.URL + "/000000000000/{{.Event.EventType}}"}, b.SQS)
	if err != nil {
		t.Fatal(err)
	}
	doc, _ := consumer.DecodeJSON([]byte(`{"EventType":"AssignmentSubmitted","HITId":"H1"}`))
	ev := &consumer.Event{Body: []byte(`{"EventType":"AssignmentSubmitted","HITId":"H1"}`), Doc: doc, Key: "doc-1#0",
		Attributes: map[string]string{"tenant": "acme"}}
	if err := f.Deliver(ctx, ev); err != nil {
		t.Fatal(err)
	}
	out, err := b.SQS.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &submitted, MessageAttributeNames: []string{"All"}})
	if err != nil || len(out.Messages) != 1 {
		t.Fatalf("receive: %v, %d", err, len(out.Messages))
	}
	m := out.Messages[0]
	if aws.ToString(m.Body) != string(ev.Body) || aws.ToString(m.MessageAttributes["herald.key"].StringValue) != "doc-1#0" ||
		aws.ToString(m.MessageAttributes["tenant"].StringValue) != "acme" {
		t.Fatalf("forwarded %q %v", aws.ToString(m.Body), m.MessageAttributes)
	}

	// An event whose queue does not exist is refused for good.
	doc2, _ := consumer.DecodeJSON([]byte(`{"EventType":"Nope"}`))
	err = f.Deliver(ctx, &consumer.Event{Body: []byte(`{}`), Doc: doc2, Key: "k"})
	if !consumer.IsPermanent(err) {
		t.Fatalf("missing queue: %v (permanent %v)", err, consumer.IsPermanent(err))
	}
	// So is one whose template cannot render.
	err = f.Deliver(ctx, &consumer.Event{Body: []byte(`{}`), Doc: map[string]any{}, Key: "k"})
	if !consumer.IsPermanent(err) {
		t.Fatalf("bad template: %v", err)
	}

	// FIFO: the group from the template, the key as deduplication id (a key
	// SQS would not accept is hashed), so a repeat is dropped by the queue.
	ff, err := sqssource.NewForward(sqssource.ForwardConfig{QueueURL: fifo, MessageGroupID: "{{.Event.HITId}}"}, b.SQS)
	if err != nil {
		t.Fatal(err)
	}
	long := &consumer.Event{Body: ev.Body, Doc: doc, Key: strings.Repeat("k ", 100)}
	for i := 0; i < 2; i++ {
		if err := ff.Deliver(ctx, long); err != nil {
			t.Fatal(err)
		}
	}
	got, err := b.SQS.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &fifo, MaxNumberOfMessages: 10,
		MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll}})
	if err != nil || len(got.Messages) != 1 || got.Messages[0].Attributes["MessageGroupId"] != "H1" {
		t.Fatalf("fifo: %v, %+v", err, got.Messages)
	}
}
