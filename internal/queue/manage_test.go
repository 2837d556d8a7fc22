package queue_test

import (
	"context"
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/herald-dev/herald/internal/queue"
	"github.com/herald-dev/herald/internal/store/memstore"
)

func TestQueueNames(t *testing.T) {
	t.Parallel()
	v := newEnv(t)
	fifo := map[string]string{"FifoQueue": "true"}
	cases := []struct {
		name  string
		attrs map[string]string
		code  queue.Code // "" means success
	}{
		{"a", nil, ""},
		{"Q-_9", nil, ""},
		{strings.Repeat("x", 80), nil, ""},
		{strings.Repeat("y", 81), nil, queue.ErrInvalidParameterValue},
		{"", nil, queue.ErrMissingParameter},
		{"a.b", nil, queue.ErrInvalidParameterValue},
		{"a b", nil, queue.ErrInvalidParameterValue},
		{"ä", nil, queue.ErrInvalidParameterValue},
		{"std.fifo", nil, queue.ErrInvalidParameterValue}, // .fifo suffix without FifoQueue=true
		{"nofifosuffix", fifo, queue.ErrInvalidParameterValue},
		{"f.fifo", fifo, ""},
		{strings.Repeat("f", 75) + ".fifo", fifo, ""},
		{strings.Repeat("g", 76) + ".fifo", fifo, queue.ErrInvalidParameterValue},
		{".fifo", fifo, queue.ErrInvalidParameterValue},
		{"a.b.fifo", fifo, queue.ErrInvalidParameterValue},
	}
	for _, c := range cases {
		_, err := v.e.CreateQueue(v.ctx, queue.CreateQueueInput{Account: acct, Name: c.name, Attributes: c.attrs})
		if c.code == "" {
			if err != nil {
				t.Errorf("CreateQueue(%q): %v", c.name, err)
			}
		} else if err == nil || queue.ErrorCode(err) != c.code {
			t.Errorf("CreateQueue(%q) = %v, want %s", c.name, err, c.code)
		}
	}
	// Names are case-sensitive.
	a, b := v.create("Case", nil), v.create("case", nil)
	if a == b {
		t.Error("Case and case are the same queue")
	}
}

func TestCreateQueueIdempotent(t *testing.T) {
	t.Parallel()
	v := newEnv(t)
	q := v.create("idem", map[string]string{"VisibilityTimeout": "60"})
	again := v.create("idem", map[string]string{"VisibilityTimeout": "60"})
	if again != q {
		t.Fatal("second CreateQueue with the same attributes returned another queue")
	}
	// Explicit defaults match the existing queue too.
	v.create("idem", map[string]string{"DelaySeconds": "0", "VisibilityTimeout": "60"})
	_, err := v.e.CreateQueue(v.ctx, queue.CreateQueueInput{Account: acct, Name: "idem", Attributes: map[string]string{"VisibilityTimeout": "61"}})
	wantErr(t, err, queue.ErrQueueAlreadyExists, "A queue already exists with the same name and a different value for attribute VisibilityTimeout")
	// Another account may use the same name.
	other, err := v.e.CreateQueue(v.ctx, queue.CreateQueueInput{Account: "999999999999", Name: "idem"})
	if err != nil || other == q {
		t.Fatalf("CreateQueue in another account: %v (same queue: %v)", err, other == q)
	}
}

// Re-running the same CreateQueue with a RedrivePolicy must be idempotent,
// however the JSON was spelled (SQS accepts maxReceiveCount as a string).
func TestCreateQueueIdempotentWithRedrivePolicy(t *testing.T) {
	t.Parallel()
	v := newEnv(t)
	dlq := v.create("idem-dlq", nil)
	for _, policy := range []string{
		redrive(dlq, 5),
		`{"maxReceiveCount": "5", "deadLetterTargetArn": "` + dlq.Arn() + `"}`,
	} {
		name := "idem-src-" + strconv.Itoa(len(policy))
		attrs := map[string]string{"RedrivePolicy": policy}
		q := v.create(name, attrs)
		again, err := v.e.CreateQueue(v.ctx, queue.CreateQueueInput{Account: acct, Name: name, Attributes: attrs})
		if err != nil || again != q {
			t.Errorf("repeating CreateQueue with RedrivePolicy %s: %v", policy, err)
		}
	}
}

func TestQueueDeletedRecently(t *testing.T) {
	t.Parallel()
	v := newEnv(t)
	q := v.create("gone", nil)
	v.send(q, "old")
	if err := v.e.DeleteQueue(v.ctx, q); err != nil {
		t.Fatal(err)
	}
	wantCode(t, v.e.DeleteQueue(v.ctx, q), queue.ErrQueueDoesNotExist)
	_, err := v.e.Queue(acct, "gone")
	wantCode(t, err, queue.ErrQueueDoesNotExist)
	_, err = v.e.Send(v.ctx, q, queue.SendInput{Body: "x", HasBody: true})
	wantCode(t, err, queue.ErrQueueDoesNotExist)
	_, err = v.e.Receive(v.ctx, q, queue.ReceiveInput{})
	wantCode(t, err, queue.ErrQueueDoesNotExist)

	v.advance(30 * time.Second)
	_, err = v.e.CreateQueue(v.ctx, queue.CreateQueueInput{Account: acct, Name: "gone"})
	wantErr(t, err, queue.ErrQueueDeletedRecently, "You must wait 60 seconds after deleting a queue")
	v.advance(31 * time.Second)
	q2 := v.create("gone", nil)
	if q2.ID() == q.ID() {
		t.Error("queue id reused")
	}
	wantCounts(t, q2, 0, 0, 0)
}

func TestQueueAttributeDefaults(t *testing.T) {
	t.Parallel()
	v := newEnv(t)
	created := strconv.FormatInt(v.clock.Now().Unix(), 10)
	want := map[string]string{
		"ApproximateNumberOfMessages": "0", "ApproximateNumberOfMessagesDelayed": "0",
		"ApproximateNumberOfMessagesNotVisible": "0", "CreatedTimestamp": created, "DelaySeconds": "0",
		"LastModifiedTimestamp": created, "MaximumMessageSize": "1048576", "MessageRetentionPeriod": "345600",
		"QueueArn": arnOf("std"), "ReceiveMessageWaitTimeSeconds": "0", "SqsManagedSseEnabled": "true",
		"VisibilityTimeout": "30",
	}
	got, err := v.create("std", nil).Attributes([]string{"All"})
	if err != nil {
		t.Fatal(err)
	}
	if !maps.Equal(got, want) {
		t.Errorf("standard All =\n%v\nwant\n%v", got, want)
	}
	want["QueueArn"] = arnOf("f.fifo")
	want["FifoQueue"], want["ContentBasedDeduplication"], want["DeduplicationScope"], want["FifoThroughputLimit"] = "true", "false", "queue", "perQueue"
	got, _ = v.fifo("f.fifo", nil).Attributes([]string{"All"})
	if !maps.Equal(got, want) {
		t.Errorf("FIFO All =\n%v\nwant\n%v", got, want)
	}
	q, _ := v.e.Queue(acct, "std")
	if got, _ := q.Attributes(nil); len(got) != 0 {
		t.Errorf("no names gave %v", got)
	}
	got, _ = q.Attributes([]string{"VisibilityTimeout", "QueueArn"})
	if len(got) != 2 || got["VisibilityTimeout"] != "30" {
		t.Errorf("selected attributes = %v", got)
	}
	_, err = q.Attributes([]string{"VisibilityTimeout", "Bogus"})
	wantErr(t, err, queue.ErrInvalidAttributeName, "Unknown Attribute Bogus.")
}

func TestQueueAttributeLimits(t *testing.T) {
	t.Parallel()
	v := newEnv(t)
	q := v.create("limits", nil)
	f := v.fifo("limits.fifo", nil)
	cases := []struct {
		q     *queue.Queue
		name  string
		value string
		code  queue.Code
	}{
		{q, "DelaySeconds", "0", ""}, {q, "DelaySeconds", "900", ""},
		{q, "DelaySeconds", "-1", queue.ErrInvalidAttributeValue}, {q, "DelaySeconds", "901", queue.ErrInvalidAttributeValue},
		{q, "DelaySeconds", "abc", queue.ErrInvalidAttributeValue},
		{q, "MaximumMessageSize", "1024", ""}, {q, "MaximumMessageSize", "1048576", ""},
		{q, "MaximumMessageSize", "1023", queue.ErrInvalidAttributeValue}, {q, "MaximumMessageSize", "1048577", queue.ErrInvalidAttributeValue},
		{q, "MessageRetentionPeriod", "60", ""}, {q, "MessageRetentionPeriod", "1209600", ""},
		{q, "MessageRetentionPeriod", "59", queue.ErrInvalidAttributeValue}, {q, "MessageRetentionPeriod", "1209601", queue.ErrInvalidAttributeValue},
		{q, "ReceiveMessageWaitTimeSeconds", "20", ""}, {q, "ReceiveMessageWaitTimeSeconds", "21", queue.ErrInvalidAttributeValue},
		{q, "VisibilityTimeout", "0", ""}, {q, "VisibilityTimeout", "43200", ""}, {q, "VisibilityTimeout", "43201", queue.ErrInvalidAttributeValue},
		{q, "KmsDataKeyReusePeriodSeconds", "60", ""}, {q, "KmsDataKeyReusePeriodSeconds", "59", queue.ErrInvalidAttributeValue},
		{q, "KmsDataKeyReusePeriodSeconds", "86401", queue.ErrInvalidAttributeValue},
		{q, "SqsManagedSseEnabled", "yes", queue.ErrInvalidAttributeValue},
		{q, "Policy", "not json", queue.ErrInvalidAttributeValue},
		{q, "Policy", `{"Statement":[{"Effect":"Maybe","Principal":"*","Action":"sqs:*"}]}`, queue.ErrInvalidAttributeValue},
		{q, "Policy", `{"Statement":[{"Effect":"Allow","Action":"sqs:*"}]}`, queue.ErrInvalidAttributeValue}, // no principal
		{q, "Policy", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"sqs:SendMessage"}]}`, ""},
		{q, "RedriveAllowPolicy", `{"redrivePermission":"bogus"}`, queue.ErrInvalidAttributeValue},
		{q, "Bogus", "1", queue.ErrInvalidAttributeName},
		{q, "QueueArn", "x", queue.ErrInvalidAttributeName},
		{q, "ApproximateNumberOfMessages", "1", queue.ErrInvalidAttributeName},
		{q, "ContentBasedDeduplication", "true", queue.ErrInvalidAttributeName},
		{q, "DeduplicationScope", "queue", queue.ErrInvalidAttributeName},
		{f, "ContentBasedDeduplication", "true", ""}, {f, "ContentBasedDeduplication", "maybe", queue.ErrInvalidAttributeValue},
		{f, "DeduplicationScope", "messageGroup", ""}, {f, "DeduplicationScope", "group", queue.ErrInvalidAttributeValue},
		{f, "FifoThroughputLimit", "perMessageGroupId", ""}, {f, "FifoThroughputLimit", "x", queue.ErrInvalidAttributeValue},
		{q, "RedrivePolicy", `{"deadLetterTargetArn":"` + arnOf("nope") + `","maxReceiveCount":3}`, queue.ErrInvalidParameterValue},
		{q, "RedrivePolicy", "not json", queue.ErrInvalidParameterValue},
	}
	for _, c := range cases {
		err := v.e.SetAttributes(v.ctx, c.q, map[string]string{c.name: c.value})
		if c.code == "" {
			if err != nil {
				t.Errorf("%s: set %s=%s: %v", c.q.Name(), c.name, c.value, err)
			}
		} else if err == nil || queue.ErrorCode(err) != c.code {
			t.Errorf("%s: set %s=%s = %v, want %s", c.q.Name(), c.name, c.value, err, c.code)
		}
	}
	// CreateQueue validates the same way.
	_, err := v.e.CreateQueue(v.ctx, queue.CreateQueueInput{Account: acct, Name: "bad", Attributes: map[string]string{"VisibilityTimeout": "43201"}})
	wantCode(t, err, queue.ErrInvalidAttributeValue)
	_, err = v.e.CreateQueue(v.ctx, queue.CreateQueueInput{Account: acct, Name: "bad", Attributes: map[string]string{"Bogus": "1"}})
	wantErr(t, err, queue.ErrInvalidAttributeName, "Unknown Attribute Bogus.")
	wantCode(t, v.e.SetAttributes(v.ctx, q, nil), queue.ErrMissingParameter)
}

func TestSetAttributesApplies(t *testing.T) {
	t.Parallel()
	v := newEnv(t)
	q := v.create("set", nil)
	v.advance(10 * time.Second)
	if err := v.e.SetAttributes(v.ctx, q, map[string]string{"VisibilityTimeout": "5", "DelaySeconds": "2"}); err != nil {
		t.Fatal(err)
	}
	got, _ := q.Attributes([]string{"All"})
	if got["VisibilityTimeout"] != "5" || got["DelaySeconds"] != "2" {
		t.Errorf("attributes after set: %v", got)
	}
	if got["LastModifiedTimestamp"] != strconv.FormatInt(v.clock.Now().Unix(), 10) || got["CreatedTimestamp"] == got["LastModifiedTimestamp"] {
		t.Errorf("timestamps: created %s modified %s", got["CreatedTimestamp"], got["LastModifiedTimestamp"])
	}
	// The new visibility timeout applies to the next receive.
	v.send(q, "m")
	v.advance(2 * time.Second)
	v.recvOne(q, -1)
	v.advance(5 * time.Second)
	if m := v.recvOne(q, -1); m.ReceiveCount != 2 {
		t.Errorf("ReceiveCount = %d", m.ReceiveCount)
	}
	// Empty Policy/RedrivePolicy clear them.
	dlq := v.create("set-dlq", nil)
	if err := v.e.SetAttributes(v.ctx, q, map[string]string{"RedrivePolicy": redrive(dlq, 3), "Policy": `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"sqs:SendMessage"}]}`}); err != nil {
		t.Fatal(err)
	}
	got, _ = q.Attributes([]string{"RedrivePolicy", "Policy"})
	if got["RedrivePolicy"] != redrive(dlq, 3) || got["Policy"] == "" {
		t.Errorf("after set: %v", got)
	}
	if err := v.e.SetAttributes(v.ctx, q, map[string]string{"RedrivePolicy": "", "Policy": ""}); err != nil {
		t.Fatal(err)
	}
	if got, _ = q.Attributes([]string{"All"}); got["RedrivePolicy"] != "" || got["Policy"] != "" {
		t.Errorf("after clearing: %v", got)
	}
	if len(v.e.DeadLetterSources(dlq)) != 0 {
		t.Error("cleared RedrivePolicy still lists the source")
	}
}

func TestFifoQueueAttributeImmutable(t *testing.T) {
	t.Parallel()
	v := newEnv(t)
	std := v.create("imm", nil)
	f := v.fifo("imm.fifo", nil)
	wantErr(t, v.e.SetAttributes(v.ctx, f, map[string]string{"FifoQueue": "false"}), queue.ErrInvalidAttributeValue,
		"Invalid value for the parameter FifoQueue. Reason: Modifying queue type is not supported.")
	if err := v.e.SetAttributes(v.ctx, std, map[string]string{"FifoQueue": "true"}); err == nil {
		t.Error("setting FifoQueue=true on a standard queue succeeded")
	}
	if !f.Fifo() || std.Fifo() {
		t.Fatal("queue type changed")
	}
	// FifoQueue is not an attribute of standard queues at all: SQS answers
	// InvalidAttributeName (sqs-wire.md §5, "setting FifoQueue on a
	// standard queue").
	wantCode(t, v.e.SetAttributes(v.ctx, std, map[string]string{"FifoQueue": "false"}), queue.ErrInvalidAttributeName)
	if got, _ := std.Attributes([]string{"All"}); got["FifoQueue"] != "" {
		t.Errorf("standard queue reports FifoQueue=%q", got["FifoQueue"])
	}
}

// KMS SSE and SQS-managed SSE cannot be combined (sqs-wire.md §5, [A]).
func TestSSEKindsExclusive(t *testing.T) {
	t.Parallel()
	v := newEnv(t)
	_, err := v.e.CreateQueue(v.ctx, queue.CreateQueueInput{Account: acct, Name: "sse", Attributes: map[string]string{
		"KmsMasterKeyId": "alias/aws/sqs", "SqsManagedSseEnabled": "true",
	}})
	wantErr(t, err, queue.ErrInvalidAttributeName, "You can use one type of server-side encryption (SSE) at one time.")
	q := v.create("sse-kms", map[string]string{"KmsMasterKeyId": "alias/aws/sqs"})
	got, _ := q.Attributes([]string{"All"})
	if got["SqsManagedSseEnabled"] != "false" || got["KmsDataKeyReusePeriodSeconds"] != "300" {
		t.Errorf("KMS queue attributes: %v", got)
	}
}

func TestListQueuesPrefix(t *testing.T) {
	t.Parallel()
	v := newEnv(t)
	for _, n := range []string{"beta", "alpha2", "alpha", "Alpha3"} {
		v.create(n, nil)
	}
	if _, err := v.e.CreateQueue(v.ctx, queue.CreateQueueInput{Account: "999999999999", Name: "alpha9"}); err != nil {
		t.Fatal(err)
	}
	cases := map[string][]string{
		"":       {"Alpha3", "alpha", "alpha2", "beta"},
		"alpha":  {"alpha", "alpha2"},
		"Alpha":  {"Alpha3"},
		"alpha2": {"alpha2"},
		"gamma":  {},
	}
	for prefix, want := range cases {
		if got := names(v.e.Queues(acct, prefix)); !slices.Equal(got, want) {
			t.Errorf("Queues(%q) = %v, want %v", prefix, got, want)
		}
	}
	q, err := v.e.QueueByArn(arnOf("beta"))
	if err != nil || q.Name() != "beta" {
		t.Errorf("QueueByArn: %v %v", q, err)
	}
	_, err = v.e.QueueByArn("not-an-arn")
	wantCode(t, err, queue.ErrInvalidParameterValue)
}

func TestTags(t *testing.T) {
	t.Parallel()
	v := newEnv(t)
	q, err := v.e.CreateQueue(v.ctx, queue.CreateQueueInput{Account: acct, Name: "tags", Tags: map[string]string{"env": "dev"}})
	if err != nil {
		t.Fatal(err)
	}
	tags := q.Tags()
	tags["mutated"] = "x"
	if got := q.Tags(); !maps.Equal(got, map[string]string{"env": "dev"}) {
		t.Fatalf("Tags() = %v (must be a copy)", got)
	}
	if err := v.e.Tag(v.ctx, q, map[string]string{"team": "a", "env": "prod"}, nil); err != nil {
		t.Fatal(err)
	}
	if err := v.e.Tag(v.ctx, q, nil, []string{"team", "absent"}); err != nil {
		t.Fatal(err)
	}
	if got := q.Tags(); !maps.Equal(got, map[string]string{"env": "prod"}) {
		t.Errorf("Tags() = %v", got)
	}
	wantCode(t, v.e.Tag(v.ctx, q, map[string]string{}, nil), queue.ErrMissingParameter)
	wantCode(t, v.e.Tag(v.ctx, q, nil, nil), queue.ErrMissingParameter)
	wantCode(t, v.e.Tag(v.ctx, q, map[string]string{"aws:x": "1"}, nil), queue.ErrInvalidParameterValue)
	wantCode(t, v.e.Tag(v.ctx, q, map[string]string{strings.Repeat("k", 129): "1"}, nil), queue.ErrInvalidParameterValue)
	wantCode(t, v.e.Tag(v.ctx, q, map[string]string{"k": strings.Repeat("v", 257)}, nil), queue.ErrInvalidParameterValue)
	many := map[string]string{}
	for i := range 50 {
		many["k"+strconv.Itoa(i)] = "v"
	}
	// 50 new tags plus "env" is 51.
	wantCode(t, v.e.Tag(v.ctx, q, many, nil), queue.ErrInvalidParameterValue)
	if got := q.Tags(); len(got) != 1 {
		t.Errorf("failed Tag changed tags: %v", got)
	}
}

func TestDeadLetterSources(t *testing.T) {
	t.Parallel()
	v := newEnv(t)
	dlq := v.create("dls-dlq", nil)
	v.create("dls-src2", map[string]string{"RedrivePolicy": redrive(dlq, 2)})
	v.create("dls-src1", map[string]string{"RedrivePolicy": redrive(dlq, 1)})
	v.create("dls-other", nil)
	if got := names(v.e.DeadLetterSources(dlq)); !slices.Equal(got, []string{"dls-src1", "dls-src2"}) {
		t.Errorf("DeadLetterSources = %v", got)
	}
	other, _ := v.e.Queue(acct, "dls-other")
	if got := v.e.DeadLetterSources(other); len(got) != 0 {
		t.Errorf("DeadLetterSources(other) = %v", names(got))
	}
}

func TestPurge(t *testing.T) {
	t.Parallel()
	v := newEnv(t)
	q := v.create("purge", map[string]string{"DelaySeconds": "0"})
	v.send(q, "a")
	v.send(q, "b")
	v.sendIn(q, queue.SendInput{Body: "delayed", DelaySeconds: ptr[int64](60)})
	inflight := v.recvOne(q, -1)
	wantCounts(t, q, 1, 1, 1)
	if err := v.e.Purge(v.ctx, q); err != nil {
		t.Fatal(err)
	}
	wantCounts(t, q, 0, 0, 0)
	if err := v.e.Delete(v.ctx, q, inflight.ReceiptHandle); err != nil {
		t.Errorf("deleting a purged message: %v", err)
	}
	v.advance(59 * time.Second)
	wantErr(t, v.e.Purge(v.ctx, q), queue.ErrPurgeQueueInProgress, "Only one PurgeQueue operation on purge is allowed every 60 seconds.")
	v.send(q, "after")
	v.advance(2 * time.Second)
	if err := v.e.Purge(v.ctx, q); err != nil {
		t.Fatalf("purge after 61 s: %v", err)
	}
	wantCounts(t, q, 0, 0, 0)
	if got := v.recv(q, 10, -1); len(got) != 0 {
		t.Errorf("received after purge: %v", bodies(got))
	}
}

func TestMaxQueues(t *testing.T) {
	ctx := context.Background()
	e, err := queue.Open(ctx, queue.Options{Store: memstore.New(), MaxQueues: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	for _, name := range []string{"a", "b"} {
		if _, err := e.CreateQueue(ctx, queue.CreateQueueInput{Account: "000000000000", Name: name}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.CreateQueue(ctx, queue.CreateQueueInput{Account: "000000000000", Name: "a"}); err != nil {
		t.Errorf("creating an existing queue again at the cap: %v", err)
	}
	_, err = e.CreateQueue(ctx, queue.CreateQueueInput{Account: "000000000000", Name: "c"})
	if queue.ErrorCode(err) != queue.ErrOverLimit {
		t.Errorf("third queue: %v, want OverLimit", err)
	}
}
