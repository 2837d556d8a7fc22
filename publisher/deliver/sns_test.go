package deliver

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/herald-dev/herald/internal/brokertest"
)

// topicWithQueue creates a topic and a queue subscribed to it, and returns
// the topic ARN and queue URL.
func topicWithQueue(t *testing.T, b *brokertest.Broker, name string, fifo bool) (string, string) {
	t.Helper()
	ctx := testCtx(t)
	var tattrs, qattrs map[string]string
	suffix := ""
	if fifo {
		suffix = ".fifo"
		tattrs = map[string]string{"FifoTopic": "true"}
		qattrs = map[string]string{"FifoQueue": "true"}
	}
	out, err := b.SNS.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String(name + suffix), Attributes: tattrs})
	if err != nil {
		t.Fatal(err)
	}
	q := b.CreateQueue(t, name+"-q"+suffix, qattrs)
	qarn := fmt.Sprintf("arn:aws:sqs:%s:%s:%s-q%s", brokertest.Region, brokertest.Account, name, suffix)
	if _, err := b.SNS.Subscribe(ctx, &sns.SubscribeInput{TopicArn: out.TopicArn, Protocol: aws.String("sqs"), Endpoint: aws.String(qarn)}); err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.TopicArn), q
}

// envelope is the SNS notification a non-raw SQS subscription receives.
type envelope struct {
	Type, MessageId, TopicArn, Subject, Message string
	MessageAttributes                           map[string]struct{ Type, Value string }
}

func TestSNSPublishToSubscribedQueue(t *testing.T) {
	t.Parallel()
	b := brokertest.Start(t)
	arn, q := topicWithQueue(t, b, "alerts", false)
	var ops opCounter
	d := newDispatcher(t, b, Config{AWS: aws.Config{HTTPClient: &http.Client{Transport: &ops}}})

	const n = 13
	jobs := make([]*Job, n)
	for i := range jobs {
		m := msg(fmt.Sprintf(`{"n":%d}`, i), map[string]string{"event_type": "alert.raised", "seq": fmt.Sprint(i)})
		if i%2 == 0 {
			m.Subject = fmt.Sprintf("Alert %d", i)
		}
		jobs[i] = &Job{ID: fmt.Sprint(i), Destination: snsDest(arn), Message: m}
	}
	res := d.Send(testCtx(t), jobs)
	mustSucceed(t, res)
	if ops.count("PublishBatch") != 2 || len(ops.ops) != 1 {
		t.Errorf("requests %v, want 2 PublishBatch (10+3)", ops.ops)
	}
	ids := map[string]int{}
	for i, r := range res {
		ids[r.Detail] = i
	}

	for _, m := range receiveAll(t, b.SQS, q, n) {
		var env envelope
		if err := json.Unmarshal([]byte(aws.ToString(m.Body)), &env); err != nil {
			t.Fatalf("body %q: %v", aws.ToString(m.Body), err)
		}
		i, ok := ids[env.MessageId]
		if !ok {
			t.Fatalf("notification %s not among the results", env.MessageId)
		}
		if env.Type != "Notification" || env.TopicArn != arn {
			t.Errorf("job %d: Type %q TopicArn %q", i, env.Type, env.TopicArn)
		}
		if want := fmt.Sprintf(`{"n":%d}`, i); env.Message != want {
			t.Errorf("job %d: Message %q, want %q", i, env.Message, want)
		}
		wantSubject := ""
		if i%2 == 0 {
			wantSubject = fmt.Sprintf("Alert %d", i)
		}
		if env.Subject != wantSubject {
			t.Errorf("job %d: Subject %q, want %q", i, env.Subject, wantSubject)
		}
		if a := env.MessageAttributes["seq"]; a.Type != "String" || a.Value != fmt.Sprint(i) {
			t.Errorf("job %d: seq attribute %+v", i, a)
		}
		if a := env.MessageAttributes["event_type"]; a.Type != "String" || a.Value != "alert.raised" {
			t.Errorf("job %d: event_type attribute %+v", i, a)
		}
	}

	// One job: Publish.
	res = d.Send(testCtx(t), []*Job{{ID: "one", Destination: snsDest(arn), Message: msg("solo", nil)}})
	mustSucceed(t, res)
	if ops.count("Publish") != 1 {
		t.Errorf("requests %v, want a Publish", ops.ops)
	}
	var env envelope
	m := receiveAll(t, b.SQS, q, 1)[0]
	if err := json.Unmarshal([]byte(aws.ToString(m.Body)), &env); err != nil || env.Message != "solo" || env.MessageId != res[0].Detail {
		t.Errorf("received %q (%v), want solo with id %s", aws.ToString(m.Body), err, res[0].Detail)
	}
}

func TestSNSEntryFailureIsPermanent(t *testing.T) {
	t.Parallel()
	b := brokertest.Start(t)
	arn, _ := topicWithQueue(t, b, "subjects", false)
	d := newDispatcher(t, b, Config{})

	jobs := make([]*Job, 3)
	for i := range jobs {
		jobs[i] = &Job{ID: fmt.Sprint(i), Destination: snsDest(arn), Message: msg("x", nil)}
	}
	jobs[1].Message.Subject = "line\nbreak" // SNS subjects are one line of ASCII
	res := d.Send(testCtx(t), jobs)
	if res[0].Err != nil || res[2].Err != nil {
		t.Fatalf("other entries: %v, %v", res[0].Err, res[2].Err)
	}
	e := asError(t, res[1])
	if !e.Permanent || e.Code != "InvalidParameter" || !strings.HasPrefix(e.Error(), "sns PublishBatch to "+arn+": InvalidParameter: ") {
		t.Errorf("got Permanent %v Code %q: %v", e.Permanent, e.Code, e)
	}
}

func TestSNSNonexistentTopicIsRetriable(t *testing.T) {
	t.Parallel()
	b := brokertest.Start(t)
	d := newDispatcher(t, b, Config{})
	arn := fmt.Sprintf("arn:aws:sns:%s:%s:missing", brokertest.Region, brokertest.Account)
	for _, n := range []int{1, 2} {
		jobs := make([]*Job, n)
		for i := range jobs {
			jobs[i] = &Job{ID: fmt.Sprint(i), Destination: snsDest(arn), Message: msg("x", nil)}
		}
		for i, r := range d.Send(testCtx(t), jobs) {
			e := asError(t, r)
			if e.Permanent || e.Code != "NotFound" || !strings.Contains(e.Error(), arn) {
				t.Errorf("n=%d job %d: Permanent %v Code %q: %v", n, i, e.Permanent, e.Code, e)
			}
		}
	}
}

func TestSNSInvalidTopicARNIsPermanent(t *testing.T) {
	t.Parallel()
	d := newDispatcher(t, nil, Config{})
	res := d.Send(testCtx(t), []*Job{{ID: "x", Destination: snsDest("arn:aws:sqs:us-east-1:000000000000:q"), Message: msg("x", nil)}})
	if e := asError(t, res[0]); !e.Permanent {
		t.Errorf("got %v, want permanent", e)
	}
}

func TestSNSFIFO(t *testing.T) {
	t.Parallel()
	b := brokertest.Start(t)
	arn, q := topicWithQueue(t, b, "ledger", true)
	d := newDispatcher(t, b, Config{})

	var jobs []*Job
	for i := range 4 {
		jobs = append(jobs, &Job{ID: fmt.Sprint(i), Destination: snsDest(arn), Message: msg(fmt.Sprintf("e%d", i), nil),
			GroupID: "acct-7", DeduplicationID: fmt.Sprintf("evt-%d", i)})
	}
	jobs = append(jobs, &Job{ID: "dup", Destination: snsDest(arn), Message: msg("dup", nil), GroupID: "acct-7", DeduplicationID: "evt-0"})
	mustSucceed(t, d.Send(testCtx(t), jobs))

	got := receiveAll(t, b.SQS, q, 4)
	for i, m := range got {
		var env envelope
		if err := json.Unmarshal([]byte(aws.ToString(m.Body)), &env); err != nil {
			t.Fatal(err)
		}
		if want := fmt.Sprintf("e%d", i); env.Message != want {
			t.Errorf("message %d: %q, want %q", i, env.Message, want)
		}
		if g := m.Attributes["MessageGroupId"]; g != "acct-7" {
			t.Errorf("message %d: MessageGroupId %q", i, g)
		}
	}
	out, err := b.SQS.ReceiveMessage(testCtx(t), &sqs.ReceiveMessageInput{QueueUrl: aws.String(q)})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Messages) != 0 {
		t.Errorf("duplicate delivered: %q", aws.ToString(out.Messages[0].Body))
	}
}
