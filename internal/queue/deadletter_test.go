package queue_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/herald-dev/herald/internal/queue"
)

func TestDeadLetterStandard(t *testing.T) {
	t.Parallel()
	v := newEnv(t)
	dlq := v.create("dl-dlq", nil)
	src := v.create("dl-src", map[string]string{"RedrivePolicy": redrive(dlq, 2)})
	attrs := queue.MessageAttributes{"k": {DataType: "String", StringValue: "v"}}
	sent := v.sendIn(src, queue.SendInput{Body: "poison", Attributes: attrs})
	sentAt := v.clock.Now().UnixMilli()
	v.advance(time.Second)
	for rc := int32(1); rc <= 2; rc++ {
		if m := v.recvOne(src, 0); m.ReceiveCount != rc {
			t.Fatalf("receive %d: rc %d", rc, m.ReceiveCount)
		}
	}
	v.send(src, "healthy")
	// The third receive moves poison away and still delivers healthy.
	if got := bodies(v.recv(src, 10, 30)); !slices.Equal(got, []string{"healthy"}) {
		t.Fatalf("third receive got %v, want [healthy]", got)
	}
	wantCounts(t, src, 0, 1, 0)
	wantCounts(t, dlq, 1, 0, 0)
	m := v.recvOne(dlq, 30)
	if m.ID != sent.MessageID || m.Body != "poison" || m.Attributes["k"].StringValue != "v" || m.DeadLetterSource != src.Arn() {
		t.Errorf("dead-lettered message %+v", m.MessageRecord)
	}
	// The receive count is not reset by dead-lettering.
	if m.ReceiveCount != 3 {
		t.Errorf("ReceiveCount in DLQ = %d, want 3 (2 from the source + this receive)", m.ReceiveCount)
	}
	// Standard queues keep the original enqueue timestamp.
	if m.SentAt != sentAt {
		t.Errorf("SentAt %d, want the original %d", m.SentAt, sentAt)
	}
}

func TestDeadLetterFifoKeepsGroup(t *testing.T) {
	t.Parallel()
	v := newEnv(t)
	dlq := v.fifo("dl-dlq.fifo", nil)
	src := v.fifo("dl-src.fifo", map[string]string{"RedrivePolicy": redrive(dlq, 1)})
	v.sendGroup(src, "g", "a", "a")
	v.sendGroup(src, "g", "b", "b")
	if m := v.recvOne(src, 0); m.Body != "a" {
		t.Fatalf("got %s", m.Body)
	}
	// a is moved; the group's next message is delivered in its place.
	if got := bodies(v.recv(src, 1, 30)); !slices.Equal(got, []string{"b"}) {
		t.Fatalf("after dead-lettering a got %v, want [b]", got)
	}
	m := v.recvOne(dlq, 30)
	if m.Body != "a" || m.GroupID != "g" || m.DedupID != "a" || m.DeadLetterSource != src.Arn() {
		t.Errorf("FIFO dead letter %+v", m.MessageRecord)
	}
}

// For FIFO queues the enqueue timestamp resets when a message moves to the
// DLQ; standard queues keep it (AWS developer guide, "Setting-up
// dead-letter queue retention").
func TestDeadLetterRetentionClock(t *testing.T) {
	t.Parallel()
	for _, fifo := range []bool{false, true} {
		v := newEnv(t)
		var dlq, src *queue.Queue
		if fifo {
			dlq = v.fifo("ret-dlq.fifo", map[string]string{"MessageRetentionPeriod": "120"})
			src = v.fifo("ret-src.fifo", map[string]string{"RedrivePolicy": redrive(dlq, 1)})
			v.sendGroup(src, "g", "d", "m")
		} else {
			dlq = v.create("ret-dlq", map[string]string{"MessageRetentionPeriod": "120"})
			src = v.create("ret-src", map[string]string{"RedrivePolicy": redrive(dlq, 1)})
			v.send(src, "m")
		}
		v.advance(100 * time.Second)
		v.recvOne(src, 0)
		v.recv(src, 1, 0) // moves it, 100 s after it was sent
		wantCounts(t, dlq, 1, 0, 0)
		v.advance(50 * time.Second) // 150 s after send, 50 s after the move
		v.e.Sweep(v.ctx)
		want := 0
		if fifo {
			want = 1
		}
		if got := counts(dlq)[0]; got != want {
			t.Errorf("fifo=%v: %d messages left in the DLQ (retention 120 s) 150 s after send and 50 s after the move, want %d", fifo, got, want)
		}
	}
}

func TestRedrivePolicyValidation(t *testing.T) {
	t.Parallel()
	v := newEnv(t)
	dlq := v.create("rp-dlq", nil)
	fdlq := v.fifo("rp-dlq.fifo", nil)
	deny := v.create("rp-deny", map[string]string{"RedriveAllowPolicy": `{"redrivePermission":"denyAll"}`})
	byQ := v.create("rp-byq", map[string]string{"RedriveAllowPolicy": fmt.Sprintf(`{"redrivePermission":"byQueue","sourceQueueArns":[%q]}`, arnOf("rp-allowed"))})
	cases := []struct {
		name, policy string
		ok           bool
	}{
		{"rp-a", redrive(dlq, 1), true},
		{"rp-b", redrive(dlq, 1000), true},
		{"rp-c", fmt.Sprintf(`{"deadLetterTargetArn":%q,"maxReceiveCount":"7"}`, dlq.Arn()), true},
		{"rp-d", redrive(dlq, 0), false},
		{"rp-e", redrive(dlq, 1001), false},
		{"rp-f", fmt.Sprintf(`{"deadLetterTargetArn":%q}`, dlq.Arn()), false},
		{"rp-g", `{"maxReceiveCount":3}`, false},
		{"rp-h", fmt.Sprintf(`{"deadLetterTargetArn":%q,"maxReceiveCount":3}`, arnOf("missing")), false},
		{"rp-i", redrive(fdlq, 3), false}, // type mismatch
		{"rp-j", redrive(deny, 3), false},
		{"rp-allowed", redrive(byQ, 3), true},
		{"rp-k", redrive(byQ, 3), false},
	}
	for _, c := range cases {
		_, err := v.e.CreateQueue(v.ctx, queue.CreateQueueInput{Account: acct, Name: c.name, Attributes: map[string]string{"RedrivePolicy": c.policy}})
		if c.ok && err != nil {
			t.Errorf("%s %s: %v", c.name, c.policy, err)
		}
		if !c.ok && queue.ErrorCode(err) != queue.ErrInvalidParameterValue {
			t.Errorf("%s %s: err %v, want InvalidParameterValue", c.name, c.policy, err)
		}
	}
	got, _ := v.e.Queue(acct, "rp-c")
	if a, _ := got.Attributes([]string{"RedrivePolicy"}); a["RedrivePolicy"] != redrive(dlq, 7) {
		t.Errorf("RedrivePolicy reported as %s", a["RedrivePolicy"])
	}
}

// deadLetterN sends n messages to src (maxReceiveCount 1) and receives them
// until all are in dlq.
func deadLetterN(t *testing.T, v *env, src, dlq *queue.Queue, n int) {
	t.Helper()
	for i := range n {
		v.send(src, fmt.Sprintf("m%d", i))
	}
	for range 4 * n {
		if counts(dlq)[0] == n {
			return
		}
		v.recv(src, 10, 0)
	}
	t.Fatalf("dead-lettered %d of %d", counts(dlq)[0], n)
}

func waitTask(t *testing.T, v *env, dlq *queue.Queue, status string) queue.MoveTask {
	t.Helper()
	var last queue.MoveTask
	eventually(t, 10*time.Second, "move task "+status, func() bool {
		ts, err := v.e.MoveTasks(acct, dlq.Arn(), 1)
		if err != nil || len(ts) == 0 {
			t.Fatalf("MoveTasks: %v %v", ts, err)
		}
		last = ts[0]
		return last.Status == status
	})
	return last
}

func TestMoveTaskBackToSource(t *testing.T) {
	t.Parallel()
	v := newEnv(t)
	dlq := v.create("mt-dlq", nil)
	src := v.create("mt-src", map[string]string{"RedrivePolicy": redrive(dlq, 1)})
	deadLetterN(t, v, src, dlq, 3)
	h, err := v.e.StartMoveTask(acct, dlq.Arn(), "", nil)
	if err != nil || h == "" {
		t.Fatalf("StartMoveTask: %q %v", h, err)
	}
	task := waitTask(t, v, dlq, queue.TaskCompleted)
	if task.Moved != 3 || task.ToMove != 3 || task.SourceArn != dlq.Arn() || task.DestinationArn != "" ||
		task.MaxPerSecond != 0 || task.StartedTimestamp != v.clock.Now().UnixMilli() || task.FailureReason != "" {
		t.Errorf("task %+v", task)
	}
	wantCounts(t, dlq, 0, 0, 0)
	wantCounts(t, src, 3, 0, 0)
	for _, m := range v.recv(src, 10, 30) {
		if m.ReceiveCount != 1 || m.DeadLetterSource != "" {
			t.Errorf("redriven %s: rc %d source %q", m.Body, m.ReceiveCount, m.DeadLetterSource)
		}
	}
}

func TestMoveTaskToDestination(t *testing.T) {
	t.Parallel()
	v := newEnv(t)
	dlq := v.create("md-dlq", nil)
	src := v.create("md-src", map[string]string{"RedrivePolicy": redrive(dlq, 1)})
	dst := v.create("md-dst", nil)
	deadLetterN(t, v, src, dlq, 4)
	if _, err := v.e.StartMoveTask(acct, dlq.Arn(), dst.Arn(), ptr(100)); err != nil {
		t.Fatal(err)
	}
	task := waitTask(t, v, dlq, queue.TaskCompleted)
	if task.Moved != 4 || task.DestinationArn != dst.Arn() || task.MaxPerSecond != 100 {
		t.Errorf("task %+v", task)
	}
	wantCounts(t, dst, 4, 0, 0)
	wantCounts(t, src, 0, 0, 0)
	wantCounts(t, dlq, 0, 0, 0)
}

func TestMoveTaskErrors(t *testing.T) {
	t.Parallel()
	v := newEnv(t)
	dlq := v.create("me-dlq", nil)
	v.create("me-src", map[string]string{"RedrivePolicy": redrive(dlq, 1)})
	plain := v.create("me-plain", nil)
	_, err := v.e.StartMoveTask(acct, "", "", nil)
	wantCode(t, err, queue.ErrMissingParameter)
	_, err = v.e.StartMoveTask(acct, arnOf("missing"), "", nil)
	wantErr(t, err, queue.ErrResourceNotFound, "SourceArn")
	_, err = v.e.StartMoveTask("999999999999", dlq.Arn(), "", nil)
	wantCode(t, err, queue.ErrResourceNotFound)
	_, err = v.e.StartMoveTask(acct, plain.Arn(), "", nil)
	wantErr(t, err, queue.ErrInvalidParameterValue, "Source queue must be configured as a Dead Letter Queue.")
	_, err = v.e.StartMoveTask(acct, dlq.Arn(), arnOf("missing"), nil)
	wantErr(t, err, queue.ErrResourceNotFound, "DestinationArn")
	_, err = v.e.StartMoveTask(acct, dlq.Arn(), dlq.Arn(), nil)
	wantCode(t, err, queue.ErrInvalidParameterValue)
	for _, rate := range []int{0, -1, 501} {
		_, err = v.e.StartMoveTask(acct, dlq.Arn(), "", ptr(rate))
		wantCode(t, err, queue.ErrInvalidParameterValue)
	}
	_, err = v.e.MoveTasks(acct, dlq.Arn(), 11)
	wantCode(t, err, queue.ErrInvalidParameterValue)
	_, err = v.e.MoveTasks(acct, arnOf("missing"), 1)
	wantCode(t, err, queue.ErrResourceNotFound)
	if ts, err := v.e.MoveTasks(acct, dlq.Arn(), 0); err != nil || len(ts) != 0 {
		t.Errorf("MoveTasks with no tasks: %v %v", ts, err)
	}
	_, err = v.e.CancelMoveTask(acct, "")
	wantCode(t, err, queue.ErrMissingParameter)
	_, err = v.e.CancelMoveTask(acct, "!!!not base64")
	wantErr(t, err, queue.ErrInvalidParameterValue, "Value for parameter TaskHandle is invalid.")
	// A well-formed handle of no task (base64 of {"taskId":"x","sourceArn":<dlq>}).
	unknown := "eyJ0YXNrSWQiOiJ4Iiwic291cmNlQXJuIjoiYXJuOmF3czpzcXM6dXMtZWFzdC0xOjEyMzQ1Njc4OTAxMjptZS1kbHEifQ=="
	_, err = v.e.CancelMoveTask(acct, unknown)
	wantErr(t, err, queue.ErrResourceNotFound, "Task does not exist.")
}

func TestMoveTaskRateLimit(t *testing.T) {
	t.Parallel()
	v := newEnv(t)
	dlq := v.create("mr-dlq", nil)
	src := v.create("mr-src", map[string]string{"RedrivePolicy": redrive(dlq, 1)})
	deadLetterN(t, v, src, dlq, 6)
	start := time.Now()
	if _, err := v.e.StartMoveTask(acct, dlq.Arn(), "", ptr(5)); err != nil {
		t.Fatal(err)
	}
	_, err := v.e.StartMoveTask(acct, dlq.Arn(), "", nil)
	wantErr(t, err, queue.ErrInvalidParameterValue, "There is already a task running.")
	time.Sleep(300 * time.Millisecond)
	ts, _ := v.e.MoveTasks(acct, dlq.Arn(), 1)
	if ts[0].Status == queue.TaskRunning && ts[0].Moved > 3 {
		t.Errorf("moved %d in 300 ms at 5 per second", ts[0].Moved)
	}
	task := waitTask(t, v, dlq, queue.TaskCompleted)
	if el := time.Since(start); el < 900*time.Millisecond {
		t.Errorf("6 messages at 5/s moved in %v", el)
	}
	if task.Moved != 6 {
		t.Errorf("moved %d", task.Moved)
	}
}

func TestMoveTaskCancelAndList(t *testing.T) {
	t.Parallel()
	v := newEnv(t)
	dlq := v.create("mc-dlq", nil)
	src := v.create("mc-src", map[string]string{"RedrivePolicy": redrive(dlq, 1)})
	deadLetterN(t, v, src, dlq, 5)
	h, err := v.e.StartMoveTask(acct, dlq.Arn(), "", ptr(1))
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)
	moved, err := v.e.CancelMoveTask(acct, h)
	if err != nil || moved > 1 {
		t.Fatalf("CancelMoveTask = %d, %v", moved, err)
	}
	task := waitTask(t, v, dlq, queue.TaskCancelled)
	if task.Moved >= 5 || counts(dlq)[0] != 5-int(task.Moved) {
		t.Errorf("cancelled task moved %d; DLQ holds %d", task.Moved, counts(dlq)[0])
	}
	if _, err := v.e.CancelMoveTask(acct, h); err == nil {
		t.Error("cancelling a cancelled task succeeded")
	}
	// A new task may start; listing is newest first.
	if _, err := v.e.StartMoveTask(acct, dlq.Arn(), "", nil); err != nil {
		t.Fatal(err)
	}
	waitTask(t, v, dlq, queue.TaskCompleted)
	ts, err := v.e.MoveTasks(acct, dlq.Arn(), 10)
	if err != nil || len(ts) != 2 || ts[0].Status != queue.TaskCompleted || ts[1].Status != queue.TaskCancelled {
		t.Fatalf("MoveTasks = %+v, %v", ts, err)
	}
	wantCounts(t, src, 5, 0, 0)
}

func TestMoveTaskFifo(t *testing.T) {
	t.Parallel()
	v := newEnv(t)
	dlq := v.fifo("mf-dlq.fifo", nil)
	src := v.fifo("mf-src.fifo", map[string]string{"RedrivePolicy": redrive(dlq, 1)})
	for i, g := range []string{"g1", "g2", "g1", "g2"} {
		v.sendGroup(src, g, fmt.Sprint(i), fmt.Sprint(i))
	}
	for range 10 {
		if counts(dlq)[0] == 4 {
			break
		}
		v.recv(src, 10, 0)
	}
	wantCounts(t, dlq, 4, 0, 0)
	if _, err := v.e.StartMoveTask(acct, dlq.Arn(), "", nil); err != nil {
		t.Fatal(err)
	}
	waitTask(t, v, dlq, queue.TaskCompleted)
	wantCounts(t, src, 4, 0, 0)
	got := map[string][]string{}
	for range 4 {
		m := v.recvOne(src, 30)
		got[m.GroupID] = append(got[m.GroupID], m.Body)
		v.del(src, m.ReceiptHandle)
	}
	if !slices.Equal(got["g1"], []string{"0", "2"}) || !slices.Equal(got["g2"], []string{"1", "3"}) {
		t.Errorf("redriven FIFO messages by group: %v", got)
	}
}
