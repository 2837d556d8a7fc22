package test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// The durability tests run a dedicated server on the durable store (a
// fresh --data directory), crash it with SIGKILL and start it again on the
// same directory and address.

func TestCrashRecoveryKeepsState(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	c := newSQS(srv)
	ctx := ctxT(t)

	std := createQueue(t, c, "crash-std", "VisibilityTimeout", "60", "DelaySeconds", "0", "MaximumMessageSize", "4096")
	if _, err := c.TagQueue(ctx, &sqs.TagQueueInput{QueueUrl: aws.String(std), Tags: pairs("team", "core")}); err != nil {
		t.Fatal(err)
	}
	fifo := createQueue(t, c, "crash.fifo", "FifoQueue", "true")
	sent := map[string]string{} // body -> MessageId
	for i := 0; i < 5; i++ {
		body := fmt.Sprint("m", i)
		out, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(std), MessageBody: aws.String(body),
			MessageAttributes: map[string]types.MessageAttributeValue{"i": strAttr("Number", fmt.Sprint(i)), "b": binAttr("Binary", []byte{byte(i), 0xff})}})
		if err != nil {
			t.Fatal(err)
		}
		sent[body] = aws.ToString(out.MessageId)
	}
	got := receive(t, c, std, 2, 0) // two in flight for 60s
	if len(got) != 2 {
		t.Fatalf("received %d, want 2", len(got))
	}
	deleteMsg(t, c, std, got[0]) // one deleted, one in flight, three visible
	inFlight := aws.ToString(got[1].Body)
	f1 := sendFIFO(t, c, fifo, "g", "dedup-1", "f1")

	srv.restart(t)

	if a := queueAttrs(t, c, std); a["VisibilityTimeout"] != "60" || a["MaximumMessageSize"] != "4096" {
		t.Errorf("attributes after restart: %v", a)
	}
	tags, err := c.ListQueueTags(ctx, &sqs.ListQueueTagsInput{QueueUrl: aws.String(std)})
	if err != nil || tags.Tags["team"] != "core" {
		t.Errorf("tags after restart: %v %v", tags, err)
	}
	if v, inflight, _ := approx(t, c, std); v != 3 || inflight != 1 {
		t.Errorf("after restart: %d visible, %d in flight; want 3 and 1", v, inflight)
	}
	rest := receiveN(t, c, std, 3, 5*time.Second)
	for _, m := range rest {
		b := aws.ToString(m.Body)
		if b == aws.ToString(got[0].Body) {
			t.Errorf("deleted message %s came back after the crash", b)
		}
		if b == inFlight {
			t.Errorf("in-flight message %s became visible again after the crash, before its 60s timeout", b)
		}
		if aws.ToString(m.MessageId) != sent[b] {
			t.Errorf("message %s has MessageId %s after restart, want %s", b, aws.ToString(m.MessageId), sent[b])
		}
		if len(m.MessageAttributes) != 2 || m.Attributes["ApproximateReceiveCount"] != "1" {
			t.Errorf("message %s after restart: attributes %v, receive count %s", b, m.MessageAttributes, m.Attributes["ApproximateReceiveCount"])
		}
	}

	// FIFO deduplication and sequence numbers survive the crash.
	again := sendFIFO(t, c, fifo, "g", "dedup-1", "f1 again")
	if aws.ToString(again.MessageId) != aws.ToString(f1.MessageId) {
		t.Errorf("dedup id sent again after the crash got MessageId %s, want %s", aws.ToString(again.MessageId), aws.ToString(f1.MessageId))
	}
	f2 := sendFIFO(t, c, fifo, "g", "dedup-2", "f2")
	if seqNum(t, aws.ToString(f2.SequenceNumber)).Cmp(seqNum(t, aws.ToString(f1.SequenceNumber))) <= 0 {
		t.Errorf("SequenceNumber after the crash %s, not above %s", aws.ToString(f2.SequenceNumber), aws.ToString(f1.SequenceNumber))
	}
	if ms := receive(t, c, fifo, 10, 0); len(bodies(ms)) != 2 || bodies(ms)[0] != "f1" || bodies(ms)[1] != "f2" {
		t.Errorf("FIFO after the crash received %q, want [f1 f2]", bodies(ms))
	}
}

// TestCrashLosesNoAcknowledgedSend kills the server while clients are
// sending: every send that got a 200 must be there after the restart.
func TestCrashLosesNoAcknowledgedSend(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	c := newSQS(srv)
	url := createQueue(t, c, "crash-acks")

	var mu sync.Mutex
	acked := map[string]bool{}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; ctx.Err() == nil && i < 5000; i++ {
				body := fmt.Sprintf("w%d-%d", w, i)
				if i%2 == 0 {
					if _, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(body)}); err != nil {
						return
					}
					mu.Lock()
					acked[body] = true
					mu.Unlock()
					continue
				}
				var es []types.SendMessageBatchRequestEntry
				for j := 0; j < 3; j++ {
					es = append(es, types.SendMessageBatchRequestEntry{Id: aws.String(fmt.Sprint("e", j)), MessageBody: aws.String(fmt.Sprintf("%s.%d", body, j))})
				}
				out, err := c.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(url), Entries: es})
				if err != nil {
					return
				}
				mu.Lock()
				for _, s := range out.Successful {
					acked[fmt.Sprintf("%s.%s", body, aws.ToString(s.Id)[1:])] = true
				}
				mu.Unlock()
			}
		}(w)
	}
	waitFor(t, 20*time.Second, "200 acknowledged sends", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(acked) >= 200
	})
	srv.kill9()
	cancel()
	wg.Wait()
	srv.restart(t)

	v, inflight, _ := approx(t, c, url)
	if v+inflight < len(acked) {
		t.Errorf("after the crash the queue holds %d messages, %d sends were acknowledged", v+inflight, len(acked))
	}
	seen := map[string]bool{}
	for {
		ms := receive(t, c, url, 10, 0)
		if len(ms) == 0 {
			break
		}
		var del []types.DeleteMessageBatchRequestEntry
		for i, m := range ms {
			seen[aws.ToString(m.Body)] = true
			del = append(del, types.DeleteMessageBatchRequestEntry{Id: aws.String(fmt.Sprint(i)), ReceiptHandle: m.ReceiptHandle})
		}
		if _, err := c.DeleteMessageBatch(ctxT(t), &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(url), Entries: del}); err != nil {
			t.Fatal(err)
		}
	}
	lost := 0
	for b := range acked {
		if !seen[b] {
			lost++
			if lost <= 5 {
				t.Errorf("acknowledged message %s lost in the crash", b)
			}
		}
	}
	t.Logf("%d acknowledged sends, %d received after the crash, %d lost", len(acked), len(seen), lost)
}

// TestShutdownWakesLongPolls checks that SIGTERM does not wait for a
// 20-second long poll to end.
func TestShutdownWakesLongPolls(t *testing.T) {
	t.Parallel()
	srv := startServer(t, "--in-memory")
	c := newSQS(srv)
	url := createQueue(t, c, "shutdown")
	done := make(chan error, 1)
	go func() {
		_, err := c.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), WaitTimeSeconds: 20})
		done <- err
	}()
	time.Sleep(200 * time.Millisecond) // let the poll park; there is no signal for it
	start := time.Now()
	srv.stop()
	if el := time.Since(start); el > 3*time.Second {
		t.Errorf("shutdown with a long poll open took %v, want under 3s", el)
	}
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Errorf("the long poll did not end with the server")
	}
}
