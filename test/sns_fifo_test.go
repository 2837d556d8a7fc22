package test

import (
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// FIFO topics fanning out to FIFO queues: per-group order, deduplication,
// sequence numbers and the FIFO-only rules of Publish and Subscribe.

func snsCreateFIFOTopic(t *testing.T, c *sns.Client, attrs ...string) string {
	t.Helper()
	return snsCreateTopic(t, c, uniq(t, "tp")+".fifo", append([]string{"FifoTopic", "true"}, attrs...)...)
}

func snsPublishFIFO(t *testing.T, c *sns.Client, arn, group, dedup, msg string) *sns.PublishOutput {
	t.Helper()
	in := &sns.PublishInput{TopicArn: aws.String(arn), Message: aws.String(msg), MessageGroupId: aws.String(group)}
	if dedup != "" {
		in.MessageDeduplicationId = aws.String(dedup)
	}
	out, err := c.Publish(ctxT(t), in)
	if err != nil {
		t.Errorf("Publish %q to group %s: %v", msg, group, err)
		return nil
	}
	return out
}

// snsDrainFIFO receives n messages from a FIFO queue, deleting each batch
// before the next receive (a group stays locked while it has messages in
// flight).
func snsDrainFIFO(t *testing.T, q *sqs.Client, url string, n int) []sqstypes.Message {
	t.Helper()
	return snsCollect(t, q, url, n, 15*time.Second)
}

func TestSNSFIFOOrderAcrossGroups(t *testing.T) {
	t.Parallel()
	c, q := snsShared(t)
	arn := snsCreateFIFOTopic(t, c, "ContentBasedDeduplication", "true")
	q1, _ := snsSubscribeSQS(t, c, q, arn, uniq(t, "q")+".fifo", "RawMessageDelivery", "true")
	q2, _ := snsSubscribeSQS(t, c, q, arn, uniq(t, "q")+".fifo")

	const total = 100
	groups := []string{"alpha", "beta", "gamma"}
	perGroup := map[string]int{}
	for i := 0; i < total; i++ {
		perGroup[groups[i%len(groups)]]++
	}
	var mu sync.Mutex
	ids := map[string]string{}  // message -> MessageId
	seqs := map[string]string{} // message -> SequenceNumber
	var wg sync.WaitGroup
	for _, g := range groups {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var last *big.Int
			for i := 0; i < perGroup[g]; i++ {
				msg := fmt.Sprintf("%s-%03d", g, i)
				out := snsPublishFIFO(t, c, arn, g, "", msg)
				if out == nil {
					return
				}
				n, ok := new(big.Int).SetString(aws.ToString(out.SequenceNumber), 10)
				if !ok {
					t.Errorf("Publish %s: SequenceNumber %q is not a number", msg, aws.ToString(out.SequenceNumber))
					return
				}
				if last != nil && n.Cmp(last) <= 0 {
					t.Errorf("Publish %s: SequenceNumber %s does not grow (previous %s)", msg, n, last)
				}
				last = n
				mu.Lock()
				ids[msg], seqs[msg] = aws.ToString(out.MessageId), aws.ToString(out.SequenceNumber)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	check := func(name, url string, raw bool) {
		t.Helper()
		ms := snsDrainFIFO(t, q, url, total)
		next := map[string]int{}
		for _, m := range ms {
			msg := aws.ToString(m.Body)
			if !raw {
				e := snsParseEnvelope(t, msg)
				msg = e.Message
				if e.MessageId != ids[msg] || e.SequenceNumber != seqs[msg] || e.TopicArn != arn {
					t.Errorf("%s: envelope of %s: MessageId %s SequenceNumber %q TopicArn %s; want %s %s %s",
						name, msg, e.MessageId, e.SequenceNumber, e.TopicArn, ids[msg], seqs[msg], arn)
				}
			}
			g, num, _ := strings.Cut(msg, "-")
			i, err := strconv.Atoi(num)
			if err != nil {
				t.Fatalf("%s: unexpected body %q", name, msg)
			}
			if i != next[g] {
				t.Errorf("%s: group %s got %s, want message %d next (out of order or duplicate)", name, g, msg, next[g])
			}
			next[g] = i + 1
			if got := m.Attributes[string(sqstypes.MessageSystemAttributeNameMessageGroupId)]; got != g {
				t.Errorf("%s: %s has MessageGroupId %q, want %q", name, msg, got, g)
			}
		}
		for _, g := range groups {
			if next[g] != perGroup[g] {
				t.Errorf("%s: group %s delivered %d messages, want %d", name, g, next[g], perGroup[g])
			}
		}
	}
	check("raw queue", q1, true)
	check("enveloped queue", q2, false)
}

func TestSNSFIFODeduplication(t *testing.T) {
	t.Parallel()
	c, q := snsShared(t)

	t.Run("explicit id", func(t *testing.T) {
		t.Parallel()
		arn := snsCreateFIFOTopic(t, c)
		url, _ := snsSubscribeSQS(t, c, q, arn, uniq(t, "q")+".fifo", "RawMessageDelivery", "true")
		first := snsPublishFIFO(t, c, arn, "g", "dedup-1", "once")
		again := snsPublishFIFO(t, c, arn, "g", "dedup-1", "once, again")
		other := snsPublishFIFO(t, c, arn, "g", "dedup-2", "twice")
		if first == nil || again == nil || other == nil {
			t.FailNow()
		}
		if aws.ToString(again.MessageId) != aws.ToString(first.MessageId) {
			t.Errorf("duplicate MessageId = %s, want the first's %s", aws.ToString(again.MessageId), aws.ToString(first.MessageId))
		}
		if aws.ToString(other.MessageId) == aws.ToString(first.MessageId) {
			t.Errorf("a new deduplication id returned the old MessageId")
		}
		got := bodies(snsDrainFIFO(t, q, url, 2))
		if strings.Join(got, ",") != "once,twice" {
			t.Errorf("delivered %q, want [once twice]", got)
		}
	})

	t.Run("content based", func(t *testing.T) {
		t.Parallel()
		arn := snsCreateFIFOTopic(t, c, "ContentBasedDeduplication", "true")
		url, _ := snsSubscribeSQS(t, c, q, arn, uniq(t, "q")+".fifo", "RawMessageDelivery", "true")
		first := snsPublishFIFO(t, c, arn, "g", "", "same body")
		again := snsPublishFIFO(t, c, arn, "other-group", "", "same body")
		other := snsPublishFIFO(t, c, arn, "g", "", "another body")
		if first == nil || again == nil || other == nil {
			t.FailNow()
		}
		if aws.ToString(again.MessageId) != aws.ToString(first.MessageId) {
			t.Errorf("duplicate body MessageId = %s, want the first's %s", aws.ToString(again.MessageId), aws.ToString(first.MessageId))
		}
		got := bodies(snsDrainFIFO(t, q, url, 2))
		if joinSorted(got) != "another body,same body" {
			t.Errorf("delivered %q, want [same body, another body]", got)
		}
		// An explicit id overrides the content hash.
		snsPublishFIFO(t, c, arn, "g", "explicit", "same body")
		if got := bodies(snsDrainFIFO(t, q, url, 1)); got[0] != "same body" {
			t.Errorf("delivered %q", got)
		}
	})

	t.Run("batch", func(t *testing.T) {
		t.Parallel()
		arn := snsCreateFIFOTopic(t, c)
		url, _ := snsSubscribeSQS(t, c, q, arn, uniq(t, "q")+".fifo", "RawMessageDelivery", "true")
		e := func(id, msg, dedup string) snstypes.PublishBatchRequestEntry {
			return snstypes.PublishBatchRequestEntry{Id: aws.String(id), Message: aws.String(msg),
				MessageGroupId: aws.String("g"), MessageDeduplicationId: aws.String(dedup)}
		}
		out, err := c.PublishBatch(ctxT(t), &sns.PublishBatchInput{TopicArn: aws.String(arn), PublishBatchRequestEntries: []snstypes.PublishBatchRequestEntry{
			e("a", "first", "d1"), e("b", "second", "d2"), e("c", "first again", "d1"),
		}})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Successful) != 3 || len(out.Failed) != 0 {
			t.Fatalf("PublishBatch: %d successful, %d failed, want 3, 0", len(out.Successful), len(out.Failed))
		}
		var last *big.Int
		ids := map[string]string{}
		for _, s := range out.Successful {
			ids[aws.ToString(s.Id)] = aws.ToString(s.MessageId)
			n, ok := new(big.Int).SetString(aws.ToString(s.SequenceNumber), 10)
			if !ok {
				t.Errorf("entry %s SequenceNumber %q", aws.ToString(s.Id), aws.ToString(s.SequenceNumber))
				continue
			}
			if aws.ToString(s.Id) != "c" && last != nil && n.Cmp(last) <= 0 {
				t.Errorf("entry %s SequenceNumber %s does not grow", aws.ToString(s.Id), n)
			}
			last = n
		}
		if ids["c"] != ids["a"] {
			t.Errorf("duplicate entry c MessageId %s, want a's %s", ids["c"], ids["a"])
		}
		if got := bodies(snsDrainFIFO(t, q, url, 2)); strings.Join(got, ",") != "first,second" {
			t.Errorf("delivered %q, want [first second]", got)
		}
	})
}

func TestSNSFIFORules(t *testing.T) {
	t.Parallel()
	c, q := snsShared(t)
	ctx := ctxT(t)
	arn := snsCreateFIFOTopic(t, c)
	cbd := snsCreateFIFOTopic(t, c, "ContentBasedDeduplication", "true")

	t.Run("publish", func(t *testing.T) {
		t.Parallel()
		_, err := c.Publish(ctx, &sns.PublishInput{TopicArn: aws.String(cbd), Message: aws.String("x")})
		snsErr(t, err, "InvalidParameter", 400, "Invalid parameter: The MessageGroupId parameter is required for FIFO topics")
		_, err = c.Publish(ctx, &sns.PublishInput{TopicArn: aws.String(arn), Message: aws.String("x"), MessageGroupId: aws.String("g")})
		snsErr(t, err, "InvalidParameter", 400,
			"Invalid parameter: The topic should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly")
		out, err := c.PublishBatch(ctx, &sns.PublishBatchInput{TopicArn: aws.String(cbd), PublishBatchRequestEntries: []snstypes.PublishBatchRequestEntry{
			{Id: aws.String("nogroup"), Message: aws.String("x")},
		}})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Failed) != 1 || aws.ToString(out.Failed[0].Code) != "InvalidParameter" ||
			aws.ToString(out.Failed[0].Message) != "Invalid parameter: The MessageGroupId parameter is required for FIFO topics" {
			t.Errorf("PublishBatch without MessageGroupId: Failed = %+v", out.Failed)
		}
	})

	t.Run("http subscription rejected", func(t *testing.T) {
		t.Parallel()
		_, err := c.Subscribe(ctx, &sns.SubscribeInput{TopicArn: aws.String(arn), Protocol: aws.String("https"), Endpoint: aws.String("https://example.com/hook")})
		snsErr(t, err, "InvalidParameter", 400, "")
	})

	// AWS's documentation: "Amazon SNS FIFO topics support delivery to both
	// Amazon SQS standard and FIFO queues"; a standard queue gets
	// best-effort ordering and at-least-once delivery.
	// (https://docs.aws.amazon.com/sns/latest/dg/fifo-message-delivery.html)
	t.Run("standard queue accepted", func(t *testing.T) {
		t.Parallel()
		qurl := snsQueue(t, q, uniq(t, "std"))
		out, err := c.Subscribe(ctx, &sns.SubscribeInput{
			TopicArn: aws.String(cbd), Protocol: aws.String("sqs"), Endpoint: aws.String(queueArn(t, q, qurl)),
			Attributes: pairs("RawMessageDelivery", "true"), ReturnSubscriptionArn: true,
		})
		if err != nil {
			t.Fatalf("Subscribe a standard queue to a FIFO topic: %v", err)
		}
		if !strings.HasPrefix(aws.ToString(out.SubscriptionArn), cbd+":") {
			t.Errorf("SubscriptionArn = %q", aws.ToString(out.SubscriptionArn))
		}
		snsPublishFIFO(t, c, cbd, "g", "", "to a standard queue")
		if got := bodies(snsCollect(t, q, qurl, 1, 5*time.Second)); got[0] != "to a standard queue" {
			t.Errorf("standard queue got %q", got)
		}
	})
}
