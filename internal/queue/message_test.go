package queue_test

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/herald-dev/herald/internal/queue"
	"github.com/herald-dev/herald/internal/store/memstore"
)

var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func TestSendReceiveDelete(t *testing.T) {
	t.Parallel()
	v := newEnv(t)
	q := v.create("srd", nil)
	sentAt := v.clock.Now().UnixMilli()
	attrs := queue.MessageAttributes{"k": {DataType: "String", StringValue: "v"}}
	r := v.sendIn(q, queue.SendInput{Body: "hello", Attributes: attrs, SenderID: "AIDEXAMPLE"})
	if !uuidRE.MatchString(r.MessageID) {
		t.Errorf("MessageID %q is not a v4 UUID", r.MessageID)
	}
	if r.SequenceNumber != "" {
		t.Errorf("standard queue SequenceNumber = %q", r.SequenceNumber)
	}
	wantCounts(t, q, 1, 0, 0)
	v.advance(time.Second)
	m := v.recvOne(q, -1)
	if m.ID != r.MessageID || m.Body != "hello" || m.ReceiveCount != 1 || m.SenderID != "AIDEXAMPLE" ||
		m.SentAt != sentAt || m.FirstReceiveAt != sentAt+1000 || m.Attributes["k"].StringValue != "v" {
		t.Errorf("received %+v", m.MessageRecord)
	}
	if m.ReceiptHandle == "" {
		t.Fatal("no receipt handle")
	}
	wantCounts(t, q, 0, 1, 0)
	if got := v.recv(q, 10, -1); len(got) != 0 {
		t.Fatalf("in-flight message received again: %v", bodies(got))
	}
	v.del(q, m.ReceiptHandle)
	wantCounts(t, q, 0, 0, 0)
	v.del(q, m.ReceiptHandle) // deleting twice succeeds
	v.advance(time.Hour)
	if got := v.recv(q, 10, -1); len(got) != 0 {
		t.Fatalf("deleted message came back: %v", bodies(got))
	}
}

func TestReceiveMax(t *testing.T) {
	t.Parallel()
	v := newEnv(t)
	q := v.create("max", nil)
	for i := range 15 {
		v.send(q, string(rune('a'+i)))
	}
	if got := v.recv(q, 0, -1); len(got) != 1 {
		t.Errorf("Max 0 received %d, want 1", len(got))
	}
	if got := v.recv(q, 10, -1); len(got) != 10 {
		t.Errorf("Max 10 received %d", len(got))
	}
	if got := v.recv(q, 10, -1); len(got) != 4 {
		t.Errorf("rest: received %d, want 4", len(got))
	}
	for _, in := range []queue.ReceiveInput{
		{Max: 11}, {Max: -1},
		{VisibilityTimeout: ptr[int64](-1)}, {VisibilityTimeout: ptr[int64](43201)},
		{WaitTimeSeconds: ptr[int64](21)}, {WaitTimeSeconds: ptr[int64](-1)},
		{AttemptID: "has space"}, {AttemptID: strings.Repeat("a", 129)},
	} {
		_, err := v.e.Receive(v.ctx, q, in)
		wantCode(t, err, queue.ErrInvalidParameterValue)
	}
}

func TestVisibilityTimeoutExpiry(t *testing.T) {
	t.Parallel()
	v := newEnv(t)
	q := v.create("vis", map[string]string{"VisibilityTimeout": "20"})
	v.send(q, "m")
	first := v.recvOne(q, -1)
	v.advance(19 * time.Second)
	if got := v.recv(q, 1, -1); len(got) != 0 {
		t.Fatal("visible before its visibility timeout")
	}
	v.advance(time.Second)
	second := v.recvOne(q, -1)
	if second.ReceiveCount != 2 || second.ID != first.ID || second.ReceiptHandle == first.ReceiptHandle {
		t.Errorf("second receive: rc %d, same id %v, same handle %v", second.ReceiveCount, second.ID == first.ID, second.ReceiptHandle == first.ReceiptHandle)
	}
	if second.FirstReceiveAt != first.FirstReceiveAt {
		t.Errorf("FirstReceiveAt changed: %d -> %d", first.FirstReceiveAt, second.FirstReceiveAt)
	}
	// Per-request visibility overrides the queue's; 0 means visible at once.
	v.advance(20 * time.Second)
	third := v.recvOne(q, 0)
	if fourth := v.recvOne(q, 5); fourth.ReceiveCount != third.ReceiveCount+1 {
		t.Errorf("rc %d after %d", fourth.ReceiveCount, third.ReceiveCount)
	}
	v.advance(4 * time.Second)
	if got := v.recv(q, 1, -1); len(got) != 0 {
		t.Fatal("visible before the per-request timeout of 5 s")
	}
}

func TestStaleHandleStandard(t *testing.T) {
	t.Parallel()
	v := newEnv(t)
	q := v.create("stale", nil)
	v.send(q, "m")
	old := v.recvOne(q, 1)
	v.advance(time.Second)
	cur := v.recvOne(q, 30)
	// An old handle of a standard queue: success, but nothing is deleted.
	if err := v.e.Delete(v.ctx, q, old.ReceiptHandle); err != nil {
		t.Fatalf("Delete(stale handle) = %v, want nil", err)
	}
	wantCounts(t, q, 0, 1, 0)
	// ChangeVisibility with the stale handle fails and changes nothing.
	wantCode(t, v.e.ChangeVisibility(v.ctx, q, old.ReceiptHandle, 0), queue.ErrInvalidParameterValue)
	wantCounts(t, q, 0, 1, 0)
	v.del(q, cur.ReceiptHandle)
	wantCounts(t, q, 0, 0, 0)
}

func TestReceiptHandleInvalid(t *testing.T) {
	t.Parallel()
	v := newEnv(t)
	q := v.create("handles", nil)
	other := v.create("handles-other", nil)
	v.send(other, "x")
	foreign := v.recvOne(other, -1).ReceiptHandle
	v.send(q, "m")
	good := v.recvOne(q, -1).ReceiptHandle
	tampered := []byte(good)
	tampered[5] ^= 1
	for _, h := range []string{"garbage", "!!!", strings.Repeat("A", 39), string(tampered), foreign, good + "x"} {
		err := v.e.Delete(v.ctx, q, h)
		wantErr(t, err, queue.ErrReceiptHandleIsInvalid, `The input receipt handle "`+h+`" is not a valid receipt handle.`)
		wantCode(t, v.e.ChangeVisibility(v.ctx, q, h, 10), queue.ErrReceiptHandleIsInvalid)
	}
	wantCode(t, v.e.Delete(v.ctx, q, ""), queue.ErrMissingParameter)
	wantCounts(t, q, 0, 1, 0)
	wantCounts(t, other, 0, 1, 0)
}

func TestChangeVisibility(t *testing.T) {
	t.Parallel()
	v := newEnv(t)
	q := v.create("cv", nil)

	t.Run("zero makes visible", func(t *testing.T) {
		v.send(q, "zero")
		m := v.recvOne(q, 30)
		if err := v.e.ChangeVisibility(v.ctx, q, m.ReceiptHandle, 0); err != nil {
			t.Fatal(err)
		}
		wantCounts(t, q, 1, 0, 0)
		v.del(q, v.recvOne(q, -1).ReceiptHandle)
	})
	t.Run("extend and shorten", func(t *testing.T) {
		v.send(q, "extend")
		m := v.recvOne(q, 10)
		v.advance(5 * time.Second)
		if err := v.e.ChangeVisibility(v.ctx, q, m.ReceiptHandle, 60); err != nil {
			t.Fatal(err)
		}
		v.advance(59 * time.Second) // 64 s after receive, 59 after the change
		if got := v.recv(q, 1, -1); len(got) != 0 {
			t.Fatal("visible before the extended timeout")
		}
		if err := v.e.ChangeVisibility(v.ctx, q, m.ReceiptHandle, 2); err != nil {
			t.Fatal(err)
		}
		v.advance(2 * time.Second)
		v.del(q, v.recvOne(q, -1).ReceiptHandle)
	})
	t.Run("not in flight", func(t *testing.T) {
		v.send(q, "expired")
		m := v.recvOne(q, 1)
		v.advance(2 * time.Second)
		// Standard queue, visibility already ran out: 200, no-op.
		if err := v.e.ChangeVisibility(v.ctx, q, m.ReceiptHandle, 100); err != nil {
			t.Fatalf("ChangeVisibility after expiry = %v, want nil", err)
		}
		wantCounts(t, q, 1, 0, 0)
		m = v.recvOne(q, 30)
		v.del(q, m.ReceiptHandle)
		wantErr(t, v.e.ChangeVisibility(v.ctx, q, m.ReceiptHandle, 10), queue.ErrInvalidParameterValue,
			"Message does not exist or is not available for visibility timeout change.")
	})
	t.Run("range", func(t *testing.T) {
		v.send(q, "range")
		m := v.recvOne(q, 30)
		wantCode(t, v.e.ChangeVisibility(v.ctx, q, m.ReceiptHandle, 43201), queue.ErrInvalidParameterValue)
		wantCode(t, v.e.ChangeVisibility(v.ctx, q, m.ReceiptHandle, -1), queue.ErrInvalidParameterValue)
		v.del(q, m.ReceiptHandle)
	})
	t.Run("total over 12 hours", func(t *testing.T) {
		v.send(q, "long")
		m := v.recvOne(q, 43200)
		v.advance(time.Hour)
		wantErr(t, v.e.ChangeVisibility(v.ctx, q, m.ReceiptHandle, 43200), queue.ErrInvalidParameterValue,
			"Total VisibilityTimeout for the message is beyond the limit [43200 seconds]")
		if err := v.e.ChangeVisibility(v.ctx, q, m.ReceiptHandle, 43200-3600); err != nil {
			t.Fatalf("exactly 12 h in total: %v", err)
		}
		v.del(q, m.ReceiptHandle)
	})
	t.Run("batch", func(t *testing.T) {
		v.send(q, "b1")
		v.send(q, "b2")
		ms := v.recv(q, 2, 30)
		errs, err := v.e.ChangeVisibilityBatch(v.ctx, q, []string{ms[0].ReceiptHandle, "bad", ms[1].ReceiptHandle}, []int64{0, 0, 50000})
		if err != nil {
			t.Fatal(err)
		}
		if errs[0] != nil || queue.ErrorCode(errs[1]) != queue.ErrReceiptHandleIsInvalid || queue.ErrorCode(errs[2]) != queue.ErrInvalidParameterValue {
			t.Fatalf("batch errors: %v", errs)
		}
		wantCounts(t, q, 1, 1, 0)
		derrs, err := v.e.DeleteBatch(v.ctx, q, []string{ms[1].ReceiptHandle, "bad"})
		if err != nil || derrs[0] != nil || queue.ErrorCode(derrs[1]) != queue.ErrReceiptHandleIsInvalid {
			t.Fatalf("DeleteBatch: %v %v", derrs, err)
		}
		v.del(q, v.recvOne(q, -1).ReceiptHandle)
		wantCounts(t, q, 0, 0, 0)
	})
}

func TestDelay(t *testing.T) {
	t.Parallel()
	v := newEnv(t)
	q := v.create("delay", map[string]string{"DelaySeconds": "10"})
	v.send(q, "queue-delay")
	v.sendIn(q, queue.SendInput{Body: "msg-delay", DelaySeconds: ptr[int64](5)})
	v.sendIn(q, queue.SendInput{Body: "no-delay", DelaySeconds: ptr[int64](0)})
	wantCounts(t, q, 1, 0, 2)
	if got := bodies(v.recv(q, 10, -1)); !slices.Equal(got, []string{"no-delay"}) {
		t.Fatalf("at 0 s: %v", got)
	}
	v.advance(5 * time.Second)
	wantCounts(t, q, 1, 1, 1)
	if got := bodies(v.recv(q, 10, -1)); !slices.Equal(got, []string{"msg-delay"}) {
		t.Fatalf("at 5 s: %v", got)
	}
	v.advance(5 * time.Second)
	if got := bodies(v.recv(q, 10, -1)); !slices.Equal(got, []string{"queue-delay"}) {
		t.Fatalf("at 10 s: %v", got)
	}
	got, _ := q.Attributes([]string{"ApproximateNumberOfMessagesDelayed", "ApproximateNumberOfMessagesNotVisible"})
	if got["ApproximateNumberOfMessagesDelayed"] != "0" || got["ApproximateNumberOfMessagesNotVisible"] != "3" {
		t.Errorf("attributes: %v", got)
	}
}

func TestRetention(t *testing.T) {
	t.Parallel()
	v := newEnv(t)
	q := v.create("retention", map[string]string{"MessageRetentionPeriod": "60"})
	v.send(q, "old-visible")
	v.send(q, "old-inflight")
	v.sendIn(q, queue.SendInput{Body: "old-delayed", DelaySeconds: ptr[int64](900)})
	if m := v.recvOne(q, 43200); m.Body != "old-visible" {
		t.Fatalf("got %s", m.Body)
	}
	v.advance(30 * time.Second)
	v.send(q, "young")
	v.advance(31 * time.Second)
	v.e.Sweep(v.ctx)
	wantCounts(t, q, 1, 0, 0)
	if got := bodies(v.recv(q, 10, -1)); !slices.Equal(got, []string{"young"}) {
		t.Errorf("after retention: %v", got)
	}
}

// Receive must drop messages past their retention period that no sweep has
// removed yet. The engine is not closed at the end: if Receive panics with
// the queue's lock held, Close would hang the whole test binary.
func TestRetentionOnReceive(t *testing.T) {
	t.Parallel()
	for _, fifo := range []bool{false, true} {
		clock := newClock()
		e, err := queue.Open(context.Background(), queue.Options{Store: memstore.New(), Now: clock.Now, SweepInterval: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		name, attrs := "unswept", map[string]string{"MessageRetentionPeriod": "60"}
		in := queue.SendInput{Body: "old", HasBody: true}
		if fifo {
			name, attrs["FifoQueue"], in.GroupID, in.DedupID = "unswept.fifo", "true", "g", "d"
		}
		q, err := e.CreateQueue(context.Background(), queue.CreateQueueInput{Account: acct, Name: name, Attributes: attrs})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.Send(context.Background(), q, in); err != nil {
			t.Fatal(err)
		}
		clock.Advance(61 * time.Second)
		got, err := safeReceive(e, q)
		if err != nil {
			t.Errorf("fifo=%v: %v", fifo, err)
			continue
		}
		if len(got) != 0 {
			t.Errorf("fifo=%v: received expired message %v", fifo, bodies(got))
		}
		if c := counts(q); c != [3]int{} {
			t.Errorf("fifo=%v: counts %v after receive dropped the expired message", fifo, c)
		}
		e.Close()
	}
}

// safeReceive short-polls up to 10 messages and turns a panic into an error.
func safeReceive(e *queue.Engine, q *queue.Queue) (out []queue.Received, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("Receive panicked: %v", r)
		}
	}()
	return e.Receive(context.Background(), q, queue.ReceiveInput{Max: 10, WaitTimeSeconds: ptr[int64](0)})
}

func TestSendBatch(t *testing.T) {
	t.Parallel()
	v := newEnv(t)
	q := v.create("batch", nil)
	res, errs, err := v.e.SendBatch(v.ctx, q, []queue.SendInput{
		{Body: "one", HasBody: true},
		{Body: "bad\x00", HasBody: true},
		{Body: "two", HasBody: true, DelaySeconds: ptr[int64](1800)},
		{Body: "three", HasBody: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	if errs[0] != nil || errs[3] != nil || queue.ErrorCode(errs[1]) != queue.ErrInvalidMessageContents || queue.ErrorCode(errs[2]) != queue.ErrInvalidParameterValue {
		t.Fatalf("errs = %v", errs)
	}
	if res[0].MessageID == "" || res[0].MessageID == res[3].MessageID {
		t.Errorf("results %+v", res)
	}
	if got := bodies(v.recv(q, 10, -1)); !slices.Equal(got, []string{"one", "three"}) {
		t.Errorf("received %v", got)
	}
}

// The in-flight limit is 120,000 and there is no option to lower it, so
// this test fills a queue to the limit.
func TestInflightLimit(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("120,000 messages: skipped in -short and -race runs")
	}
	t.Parallel()
	v := newEnv(t)
	q := v.create("overlimit", nil)
	batch := make([]queue.SendInput, 10)
	for i := range batch {
		batch[i] = queue.SendInput{Body: "m", HasBody: true}
	}
	for range queue.MaxInflightStandard/10 + 1 {
		if _, _, err := v.e.SendBatch(v.ctx, q, batch); err != nil {
			t.Fatal(err)
		}
	}
	for range queue.MaxInflightStandard / 10 {
		if n := len(v.recv(q, 10, -1)); n != 10 {
			t.Fatalf("received %d", n)
		}
	}
	wantCounts(t, q, 10, queue.MaxInflightStandard, 0)
	_, err := v.e.Receive(v.ctx, q, queue.ReceiveInput{Max: 1})
	wantCode(t, err, queue.ErrOverLimit)
	// When visibility runs out, receiving works again.
	v.advance(31 * time.Second)
	if n := len(v.recv(q, 10, -1)); n != 10 {
		t.Errorf("after expiry received %d", n)
	}
}
