package deliver

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/herald-dev/herald/internal/brokertest"
)

func TestSQSBatchesJobsToOneQueue(t *testing.T) {
	t.Parallel()
	b := brokertest.Start(t)
	q := b.CreateQueue(t, "orders", nil)
	var ops opCounter
	d := newDispatcher(t, b, Config{AWS: aws.Config{HTTPClient: &http.Client{Transport: &ops}}})

	const n = 25
	jobs := make([]*Job, n)
	for i := range jobs {
		jobs[i] = &Job{
			ID:          fmt.Sprintf("d%d", i),
			Destination: sqsDest(q),
			Message:     msg(fmt.Sprintf(`{"n":%d}`, i), map[string]string{"event_type": "order.created", "seq": fmt.Sprint(i)}),
		}
	}
	res := d.Send(testCtx(t), jobs)
	if len(res) != n {
		t.Fatalf("%d results, want %d", len(res), n)
	}
	mustSucceed(t, res)
	if n, total := ops.count("AmazonSQS.SendMessageBatch"), len(ops.ops); n != 3 || total != 1 {
		t.Errorf("requests %v, want 3 SendMessageBatch (10+10+5) and nothing else", ops.ops)
	}
	ids := map[string]int{}
	for i, r := range res {
		ids[r.Detail] = i
	}
	if len(ids) != n {
		t.Fatalf("%d distinct message ids, want %d", len(ids), n)
	}

	got := receiveAll(t, b.SQS, q, n)
	if len(got) != n {
		t.Fatalf("received %d messages, want %d", len(got), n)
	}
	for _, m := range got {
		i, ok := ids[aws.ToString(m.MessageId)]
		if !ok {
			t.Fatalf("received message %s that no result names", aws.ToString(m.MessageId))
		}
		if want := fmt.Sprintf(`{"n":%d}`, i); aws.ToString(m.Body) != want {
			t.Errorf("message of job %d: body %q, want %q", i, aws.ToString(m.Body), want)
		}
		if v := stringAttr(m, "event_type"); v != "order.created" {
			t.Errorf("job %d: event_type %q", i, v)
		}
		if v := stringAttr(m, "seq"); v != fmt.Sprint(i) {
			t.Errorf("job %d: seq %q", i, v)
		}
		if len(m.MessageAttributes) != 2 {
			t.Errorf("job %d: %d attributes, want 2", i, len(m.MessageAttributes))
		}
	}
}

func TestSQSEntryFailureIsPermanentOthersSucceed(t *testing.T) {
	t.Parallel()
	b := brokertest.Start(t)
	q := b.CreateQueue(t, "mixed", nil)
	d := newDispatcher(t, b, Config{})

	jobs := make([]*Job, 5)
	for i := range jobs {
		jobs[i] = &Job{ID: fmt.Sprint(i), Destination: sqsDest(q), Message: msg(fmt.Sprintf(`{"n":%d}`, i), nil)}
	}
	jobs[2].Message = msg("bad \u0000 body", nil)
	res := d.Send(testCtx(t), jobs)
	for i, r := range res {
		if i == 2 {
			continue
		}
		if r.Err != nil {
			t.Errorf("job %d: %v", i, r.Err)
		}
	}
	e := asError(t, res[2])
	if !e.Permanent || e.Code != "InvalidMessageContents" {
		t.Errorf("job 2: Permanent %v Code %q, want permanent InvalidMessageContents", e.Permanent, e.Code)
	}
	if !strings.HasPrefix(e.Error(), "sqs SendMessageBatch to "+q+": InvalidMessageContents: ") {
		t.Errorf("job 2: message %q", e.Error())
	}
	if got := receiveAll(t, b.SQS, q, 4); len(got) != 4 {
		t.Errorf("received %d messages, want 4", len(got))
	}
}

func TestSQSSingleJobUsesSendMessage(t *testing.T) {
	t.Parallel()
	b := brokertest.Start(t)
	q := b.CreateQueue(t, "single", nil)
	d := newDispatcher(t, b, Config{})

	res := d.Send(testCtx(t), []*Job{{ID: "a", Destination: sqsDest(q), Message: msg("bad \u0000", nil)}})
	e := asError(t, res[0])
	if !e.Permanent || e.Code != "InvalidMessageContents" || !strings.HasPrefix(e.Error(), "sqs SendMessage to "+q+": InvalidMessageContents: ") {
		t.Errorf("got %+v: %v", e, e)
	}
	res = d.Send(testCtx(t), []*Job{{ID: "b", Destination: sqsDest(q), Message: msg("ok", map[string]string{"k": "v"})}})
	mustSucceed(t, res)
	m := receiveAll(t, b.SQS, q, 1)[0]
	if aws.ToString(m.Body) != "ok" || stringAttr(m, "k") != "v" || aws.ToString(m.MessageId) != res[0].Detail {
		t.Errorf("received %q k=%q id %s, want ok k=v id %s", aws.ToString(m.Body), stringAttr(m, "k"), aws.ToString(m.MessageId), res[0].Detail)
	}
}

func TestSQSNonexistentQueueIsRetriable(t *testing.T) {
	t.Parallel()
	b := brokertest.Start(t)
	d := newDispatcher(t, b, Config{})
	q := b.URL + "/" + brokertest.Account + "/missing"

	for _, n := range []int{1, 3} { // SendMessage, SendMessageBatch
		jobs := make([]*Job, n)
		for i := range jobs {
			jobs[i] = &Job{ID: fmt.Sprint(i), Destination: sqsDest(q), Message: msg("x", nil)}
		}
		for i, r := range d.Send(testCtx(t), jobs) {
			e := asError(t, r)
			if e.Permanent {
				t.Errorf("n=%d job %d: permanent, want retriable: %v", n, i, e)
			}
			// SQS answers the JSON shape QueueDoesNotExist with the Query
			// code in x-amzn-query-error; the SDK reports the latter.
			if e.Code != "AWS.SimpleQueueService.NonExistentQueue" && e.Code != "QueueDoesNotExist" {
				t.Errorf("n=%d job %d: Code %q", n, i, e.Code)
			}
			if !strings.Contains(e.Error(), q) || !strings.Contains(e.Error(), "does not exist") {
				t.Errorf("n=%d job %d: message %q", n, i, e.Error())
			}
			t.Logf("n=%d: %v", n, e)
		}
	}
}

func TestSQSFIFO(t *testing.T) {
	t.Parallel()
	b := brokertest.Start(t)
	q := b.CreateQueue(t, "orders.fifo", map[string]string{"FifoQueue": "true"})
	d := newDispatcher(t, b, Config{})

	var jobs []*Job
	for i := range 12 {
		jobs = append(jobs, &Job{
			ID: fmt.Sprint(i), Destination: sqsDest(q), Message: msg(fmt.Sprintf("m%d", i), nil),
			GroupID: fmt.Sprintf("g%d", i%2), DeduplicationID: fmt.Sprintf("dedup-%d", i),
		})
	}
	// A repeat of job 0's deduplication id is accepted and dropped.
	jobs = append(jobs, &Job{ID: "dup", Destination: sqsDest(q), Message: msg("again", nil), GroupID: "g0", DeduplicationID: "dedup-0"})
	// No group id: refused before sending.
	jobs = append(jobs, &Job{ID: "nogroup", Destination: sqsDest(q), Message: msg("x", nil), DeduplicationID: "x"})
	res := d.Send(testCtx(t), jobs)
	mustSucceed(t, res[:13])
	if e := asError(t, res[13]); !e.Permanent {
		t.Errorf("job without group id: %v, want permanent", e)
	}

	got := receiveAll(t, b.SQS, q, 12)
	next := map[string]int{"g0": 0, "g1": 1}
	for _, m := range got {
		g := m.Attributes["MessageGroupId"]
		want := fmt.Sprintf("m%d", next[g])
		if aws.ToString(m.Body) != want {
			t.Errorf("group %s: got %q, want %q (in order)", g, aws.ToString(m.Body), want)
		}
		next[g] += 2
		if dd := m.Attributes["MessageDeduplicationId"]; dd != "dedup-"+strings.TrimPrefix(aws.ToString(m.Body), "m") {
			t.Errorf("message %q: MessageDeduplicationId %q", aws.ToString(m.Body), dd)
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

func TestSQSSplitsBatchesBySize(t *testing.T) {
	t.Parallel()
	b := brokertest.Start(t)
	q := b.CreateQueue(t, "big", nil)
	d := newDispatcher(t, b, Config{})

	// Five 300 KiB bodies: a batch of ten would be far over 1 MiB.
	body := strings.Repeat("x", 300<<10)
	jobs := make([]*Job, 5)
	for i := range jobs {
		jobs[i] = &Job{ID: fmt.Sprint(i), Destination: sqsDest(q), Message: msg(body, map[string]string{"i": fmt.Sprint(i)})}
	}
	mustSucceed(t, d.Send(testCtx(t), jobs))
	if got := receiveAll(t, b.SQS, q, 5); len(got) != 5 {
		t.Errorf("received %d, want 5", len(got))
	}

	// A body over the queue's 1 MiB maximum is refused alone.
	jobs = []*Job{
		{ID: "ok", Destination: sqsDest(q), Message: msg("small", nil)},
		{ID: "huge", Destination: sqsDest(q), Message: msg(strings.Repeat("y", 1<<20+1), nil)},
	}
	res := d.Send(testCtx(t), jobs)
	if res[0].Err != nil {
		t.Errorf("small job: %v", res[0].Err)
	}
	if e := asError(t, res[1]); !e.Permanent {
		t.Errorf("huge job: %v, want permanent", e)
	} else {
		t.Logf("huge job: %v", e)
	}
}

func TestQueueRegion(t *testing.T) {
	for url, want := range map[string]string{
		"https://sqs.eu-west-1.amazonaws.com/123456789012/q":     "eu-west-1",
		"https://sqs.cn-north-1.amazonaws.com.cn/123456789012/q": "cn-north-1",
		"https://us-west-2.queue.amazonaws.com/123456789012/q":   "us-west-2",
		"https://queue.amazonaws.com/123456789012/q":             "",
		"http://127.0.0.1:9324/000000000000/q":                   "",
		"https://sqs.a.b.amazonaws.com/123456789012/q":           "",
	} {
		if got := queueRegion(url); got != want {
			t.Errorf("queueRegion(%q) = %q, want %q", url, got, want)
		}
	}
}
