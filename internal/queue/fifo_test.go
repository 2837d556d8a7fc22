package queue_test

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/herald-dev/herald/internal/queue"
)

func TestFifoOrderWithinGroup(t *testing.T) {
	t.Parallel()
	v := newEnv(t)
	q := v.fifo("order.fifo", nil)
	var want []string
	last := ""
	for i := range 7 {
		b := fmt.Sprintf("m%d", i)
		r := v.sendGroup(q, "g", b, b)
		if len(r.SequenceNumber) != 20 || r.SequenceNumber <= last {
			t.Fatalf("SequenceNumber %q after %q", r.SequenceNumber, last)
		}
		last = r.SequenceNumber
		want = append(want, b)
	}
	// One receive takes several messages of the group, in order; with
	// visibility 0 the group unlocks at once.
	if got := bodies(v.recv(q, 5, 0)); !slices.Equal(got, want[:5]) {
		t.Fatalf("first receive %v, want %v", got, want[:5])
	}
	// Receive and delete one by one: strict order.
	var seen []string
	for range 7 {
		m := v.recvOne(q, 30)
		seen = append(seen, m.Body)
		if m.GroupID != "g" || m.DedupID != m.Body {
			t.Errorf("GroupID %q DedupID %q", m.GroupID, m.DedupID)
		}
		v.del(q, m.ReceiptHandle)
	}
	if !slices.Equal(seen, want) {
		t.Errorf("order %v, want %v", seen, want)
	}
}

func TestFifoGroupLocking(t *testing.T) {
	t.Parallel()
	v := newEnv(t)
	q := v.fifo("lock.fifo", nil)
	v.sendGroup(q, "g1", "a", "a")
	v.sendGroup(q, "g1", "b", "b")
	v.sendGroup(q, "g2", "c", "c")
	a := v.recvOne(q, 30)
	if a.Body != "a" {
		t.Fatalf("first = %s", a.Body)
	}
	// g1 is locked while a is in flight; g2 proceeds.
	c := v.recv(q, 10, 30)
	if got := bodies(c); !slices.Equal(got, []string{"c"}) {
		t.Fatalf("with g1 locked received %v, want [c]", got)
	}
	if got := v.recv(q, 10, 30); len(got) != 0 {
		t.Fatalf("received %v while both groups are locked", bodies(got))
	}
	wantCounts(t, q, 1, 2, 0) // b counts as visible although its group is locked
	v.del(q, c[0].ReceiptHandle)
	// Visibility expiry unlocks g1 with a again at its head, not b.
	v.advance(30 * time.Second)
	a2 := v.recvOne(q, 30)
	if a2.Body != "a" || a2.ReceiveCount != 2 {
		t.Fatalf("after expiry got %s rc %d, want a rc 2", a2.Body, a2.ReceiveCount)
	}
	v.del(q, a2.ReceiptHandle)
	if b := v.recvOne(q, 30); b.Body != "b" {
		t.Fatalf("after delete got %s, want b", b.Body)
	}
}

func TestFifoDedupWindow(t *testing.T) {
	t.Parallel()
	v := newEnv(t)
	q := v.fifo("dedup.fifo", nil)
	first := v.sendGroup(q, "g", "d1", "one")
	v.advance(4*time.Minute + 59*time.Second)
	dup := v.sendGroup(q, "g", "d1", "different body")
	if dup.MessageID != first.MessageID || dup.SequenceNumber != first.SequenceNumber {
		t.Errorf("duplicate got id %s seq %s, want %s %s", dup.MessageID, dup.SequenceNumber, first.MessageID, first.SequenceNumber)
	}
	if dup.MD5OfBody != queue.MD5Hex("different body") {
		t.Errorf("duplicate MD5OfBody %s", dup.MD5OfBody)
	}
	wantCounts(t, q, 1, 0, 0)
	// Deleting the message does not end the window.
	m := v.recvOne(q, 30)
	v.del(q, m.ReceiptHandle)
	if again := v.sendGroup(q, "g", "d1", "one"); again.MessageID != first.MessageID {
		t.Error("deleted message's dedup id no longer deduplicates")
	}
	wantCounts(t, q, 0, 0, 0)
	// After five minutes the id is new again.
	v.advance(2 * time.Second)
	fresh := v.sendGroup(q, "g", "d1", "one")
	if fresh.MessageID == first.MessageID || fresh.SequenceNumber <= first.SequenceNumber {
		t.Errorf("after the window got id %s seq %s", fresh.MessageID, fresh.SequenceNumber)
	}
	wantCounts(t, q, 1, 0, 0)
	// Duplicates inside one batch.
	res, errs, err := v.e.SendBatch(v.ctx, q, []queue.SendInput{
		{Body: "x", HasBody: true, GroupID: "g", DedupID: "b"},
		{Body: "y", HasBody: true, GroupID: "g", DedupID: "b"},
	})
	if err != nil || errs[0] != nil || errs[1] != nil || res[0].MessageID != res[1].MessageID {
		t.Errorf("batch duplicates: %+v %v %v", res, errs, err)
	}
	wantCounts(t, q, 2, 0, 0)
	// Sweep drops expired records; later sends are new.
	v.advance(6 * time.Minute)
	v.e.Sweep(v.ctx)
	if r := v.sendGroup(q, "g", "b", "x"); r.MessageID == res[0].MessageID {
		t.Error("dedup record survived its window")
	}
}

func TestFifoContentBasedDedup(t *testing.T) {
	t.Parallel()
	v := newEnv(t)
	q := v.fifo("cbd.fifo", map[string]string{"ContentBasedDeduplication": "true"})
	a := v.sendGroup(q, "g", "", "hello")
	b := v.sendGroup(q, "g2", "", "hello") // scope is the queue: group does not matter
	if a.MessageID != b.MessageID {
		t.Error("same body was not deduplicated")
	}
	explicit := v.sendGroup(q, "g", "explicit", "hello")
	if explicit.MessageID == a.MessageID {
		t.Error("an explicit dedup id must override the content hash")
	}
	m := v.recvOne(q, 30)
	sum := sha256.Sum256([]byte("hello"))
	if m.DedupID != hex.EncodeToString(sum[:]) {
		t.Errorf("DedupID = %q, want sha256 of the body", m.DedupID)
	}
	wantCounts(t, q, 1, 1, 0) // the explicit one waits behind the in-flight head of g
	// Without content-based dedup a dedup id is required.
	plain := v.fifo("nocbd.fifo", nil)
	_, err := v.e.Send(v.ctx, plain, queue.SendInput{Body: "x", HasBody: true, GroupID: "g"})
	wantErr(t, err, queue.ErrInvalidParameterValue, "The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly")
}

func TestFifoDedupScopeMessageGroup(t *testing.T) {
	t.Parallel()
	v := newEnv(t)
	q := v.fifo("scope.fifo", map[string]string{"DeduplicationScope": "messageGroup", "FifoThroughputLimit": "perMessageGroupId"})
	a := v.sendGroup(q, "g1", "d", "a")
	b := v.sendGroup(q, "g2", "d", "b")
	c := v.sendGroup(q, "g1", "d", "c")
	if a.MessageID == b.MessageID {
		t.Error("same dedup id in different groups was deduplicated")
	}
	if c.MessageID != a.MessageID {
		t.Error("same dedup id in the same group was not deduplicated")
	}
	wantCounts(t, q, 2, 0, 0)
}

func TestFifoSendValidation(t *testing.T) {
	t.Parallel()
	v := newEnv(t)
	q := v.fifo("fv.fifo", nil)
	_, err := v.e.Send(v.ctx, q, queue.SendInput{Body: "x", HasBody: true, DedupID: "d"})
	wantErr(t, err, queue.ErrMissingParameter, "The request must contain the parameter MessageGroupId.")
	_, err = v.e.Send(v.ctx, q, queue.SendInput{Body: "x", HasBody: true, GroupID: "g", DedupID: "d", DelaySeconds: ptr[int64](5)})
	wantErr(t, err, queue.ErrInvalidParameterValue, "Value 5 for parameter DelaySeconds is invalid. Reason: The request include parameter that is not valid for this queue type.")
	_, err = v.e.Send(v.ctx, q, queue.SendInput{Body: "x", HasBody: true, GroupID: "g", DedupID: "bad id"})
	wantCode(t, err, queue.ErrInvalidParameterValue)
	_, _, err = v.e.SendBatch(v.ctx, q, []queue.SendInput{
		{Body: "x", HasBody: true, GroupID: "g", DedupID: "1"}, {Body: "y", HasBody: true, DedupID: "2"},
	})
	wantErr(t, err, queue.ErrInvalidParameterValue, "The request must contain the parameter MessageGroupId.")
	wantCounts(t, q, 0, 0, 0)
}

// A per-message DelaySeconds of 0 is accepted on FIFO queues (sqs-wire.md
// §5, recorded from AWS); only other values are rejected.
func TestFifoAcceptsZeroDelay(t *testing.T) {
	t.Parallel()
	v := newEnv(t)
	q := v.fifo("zero.fifo", nil)
	_, err := v.e.Send(v.ctx, q, queue.SendInput{Body: "x", HasBody: true, GroupID: "g", DedupID: "d", DelaySeconds: ptr[int64](0)})
	if err != nil {
		t.Fatalf("FIFO send with DelaySeconds=0: %v", err)
	}
	wantCounts(t, q, 1, 0, 0)
}

func TestFifoQueueDelay(t *testing.T) {
	t.Parallel()
	v := newEnv(t)
	q := v.fifo("qdelay.fifo", map[string]string{"DelaySeconds": "10"})
	v.sendGroup(q, "g", "1", "one")
	wantCounts(t, q, 0, 0, 1)
	if got := v.recv(q, 10, 30); len(got) != 0 {
		t.Fatal("delayed FIFO message received")
	}
	v.advance(10 * time.Second)
	if m := v.recvOne(q, 30); m.Body != "one" {
		t.Fatalf("got %s", m.Body)
	}
}

func TestFifoReceiveRequestAttemptID(t *testing.T) {
	t.Parallel()
	v := newEnv(t)
	q := v.fifo("attempt.fifo", nil)
	for i := range 3 {
		v.sendGroup(q, "g", fmt.Sprint(i), fmt.Sprint(i))
	}
	recv := func(id string) []queue.Received {
		out, err := v.e.Receive(v.ctx, q, queue.ReceiveInput{Max: 2, VisibilityTimeout: ptr[int64](30), AttemptID: id})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	first := recv("attempt-1")
	if len(first) != 2 {
		t.Fatalf("received %d", len(first))
	}
	v.advance(10 * time.Second)
	replay := recv("attempt-1")
	if len(replay) != 2 {
		t.Fatalf("replay returned %d messages", len(replay))
	}
	for i := range first {
		if replay[i].ID != first[i].ID || replay[i].ReceiptHandle != first[i].ReceiptHandle || replay[i].ReceiveCount != 1 {
			t.Errorf("replay %d: %s/%d, want %s with the same handle and rc 1", i, replay[i].ID, replay[i].ReceiveCount, first[i].ID)
		}
	}
	if got := recv("attempt-2"); len(got) != 0 {
		t.Errorf("another attempt id received %v while the group is locked", bodies(got))
	}
	// Once the messages are visible again the id starts a new receive.
	v.advance(21 * time.Second)
	again := recv("attempt-1")
	if len(again) != 2 || again[0].ReceiveCount != 2 || again[0].ReceiptHandle == first[0].ReceiptHandle {
		t.Errorf("after expiry: %d messages, rc %d", len(again), again[0].ReceiveCount)
	}
	// Replay ends when a message was deleted.
	v.del(q, again[0].ReceiptHandle)
	if got := recv("attempt-1"); len(got) != 0 {
		t.Errorf("replay after a delete returned %v", bodies(got))
	}
}

func TestFifoExpiredHandle(t *testing.T) {
	t.Parallel()
	v := newEnv(t)
	q := v.fifo("expired.fifo", nil)
	for _, promoteFirst := range []bool{true, false} {
		name := fmt.Sprintf("promote=%v", promoteFirst)
		v.sendGroup(q, "g", name, name)
		m := v.recvOne(q, 10)
		v.advance(11 * time.Second)
		if promoteFirst {
			counts(q) // any read of the queue notices the expiry
		}
		err := v.e.Delete(v.ctx, q, m.ReceiptHandle)
		if err == nil || queue.ErrorCode(err) != queue.ErrInvalidParameterValue {
			t.Errorf("%s: Delete(expired FIFO handle) = %v, want InvalidParameterValue", name, err)
		} else {
			wantErr(t, err, queue.ErrInvalidParameterValue, "The receipt handle has expired.")
		}
		if c := counts(q); c != [3]int{1, 0, 0} {
			t.Errorf("%s: counts %v: the message must stay", name, c)
			continue
		}
		wantCode(t, v.e.ChangeVisibility(v.ctx, q, m.ReceiptHandle, 10), queue.ErrInvalidParameterValue)
		v.del(q, v.recvOne(q, 10).ReceiptHandle)
	}
}
