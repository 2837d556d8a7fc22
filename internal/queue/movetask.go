package queue

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strconv"
	"sync"
	"time"
)

// Move task statuses.
const (
	TaskRunning    = "RUNNING"
	TaskCompleted  = "COMPLETED"
	TaskCancelling = "CANCELLING"
	TaskCancelled  = "CANCELLED"
	TaskFailed     = "FAILED"
)

// MoveTask describes a message move task (StartMessageMoveTask).
type MoveTask struct {
	TaskHandle       string
	Status           string
	SourceArn        string
	DestinationArn   string
	MaxPerSecond     int // 0 when not set
	Moved            int64
	ToMove           int64
	FailureReason    string
	StartedTimestamp int64 // unix millis
}

type moveTask struct {
	MoveTask
	cancel context.CancelFunc
	done   chan struct{}
}

type taskRegistry struct {
	e     *Engine
	mu    sync.Mutex
	tasks map[string][]*moveTask // by source ARN, newest last
}

func newTaskRegistry(e *Engine) *taskRegistry {
	return &taskRegistry{e: e, tasks: map[string][]*moveTask{}}
}

func (r *taskRegistry) stopAll() {
	r.mu.Lock()
	var all []*moveTask
	for _, ts := range r.tasks {
		all = append(all, ts...)
	}
	r.mu.Unlock()
	for _, t := range all {
		t.cancel()
		<-t.done
	}
}

type taskHandle struct {
	TaskID    string `json:"taskId"`
	SourceArn string `json:"sourceArn"`
}

// StartMoveTask starts moving messages out of the dead-letter queue
// sourceArn, to destArn or (when empty) to each message's original queue.
func (e *Engine) StartMoveTask(account, sourceArn, destArn string, maxPerSecond *int) (string, error) {
	if sourceArn == "" {
		return "", errMissing("SourceArn")
	}
	src, err := e.QueueByArn(sourceArn)
	if err != nil || src.Account() != account {
		return "", Errorf(ErrResourceNotFound, "The resource that you specified for the SourceArn parameter doesn't exist.")
	}
	if len(e.DeadLetterSources(src)) == 0 {
		return "", Errorf(ErrInvalidParameterValue, "Source queue must be configured as a Dead Letter Queue.")
	}
	var dst *Queue
	if destArn != "" {
		dst, err = e.QueueByArn(destArn)
		if err != nil || dst.Account() != account {
			return "", Errorf(ErrResourceNotFound, "The resource that you specified for the DestinationArn parameter doesn't exist.")
		}
		if dst == src {
			return "", Errorf(ErrInvalidParameterValue, "Source queue and destination queue cannot be the same.")
		}
	}
	rate := 0
	if maxPerSecond != nil {
		rate = *maxPerSecond
		if rate < 1 || rate > 500 {
			return "", errInvalidParam("MaxNumberOfMessagesPerSecond", strconv.Itoa(rate), "Must be between 1 and 500.")
		}
	}
	r := e.tasks
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, t := range r.tasks[sourceArn] {
		if t.Status == TaskRunning || t.Status == TaskCancelling {
			return "", Errorf(ErrInvalidParameterValue, "There is already a task running. Only one active task is allowed for a source queue arn at a given time.")
		}
	}
	hb, _ := json.Marshal(taskHandle{TaskID: newID(), SourceArn: sourceArn})
	src.mu.Lock()
	vis, _, _ := src.counts(e.now().UnixNano())
	src.mu.Unlock()
	ctx, cancel := context.WithCancel(context.Background())
	t := &moveTask{
		MoveTask: MoveTask{
			TaskHandle:       base64.StdEncoding.EncodeToString(hb),
			Status:           TaskRunning,
			SourceArn:        sourceArn,
			DestinationArn:   destArn,
			MaxPerSecond:     rate,
			ToMove:           int64(vis),
			StartedTimestamp: e.now().UnixMilli(),
		},
		cancel: cancel,
		done:   make(chan struct{}),
	}
	ts := append(r.tasks[sourceArn], t)
	if len(ts) > 10 {
		ts = ts[len(ts)-10:]
	}
	r.tasks[sourceArn] = ts
	go r.run(ctx, t, src, dst)
	return t.TaskHandle, nil
}

func (r *taskRegistry) run(ctx context.Context, t *moveTask, src, dst *Queue) {
	defer close(t.done)
	e := r.e
	finish := func(status, reason string) {
		r.mu.Lock()
		if t.Status == TaskCancelling || ctx.Err() != nil {
			status = TaskCancelled
		}
		t.Status = status
		t.FailureReason = reason
		r.mu.Unlock()
	}
	start := time.Now()
	var moved int64
	for moved < t.ToMove {
		if ctx.Err() != nil {
			finish(TaskCancelled, "")
			return
		}
		batch := int64(10)
		if t.MaxPerSecond > 0 {
			// Stay under the rate: wait until moved/elapsed allows more.
			allowed := int64(time.Since(start).Seconds()*float64(t.MaxPerSecond)) + 1
			if allowed <= moved {
				select {
				case <-ctx.Done():
				case <-time.After(time.Second / time.Duration(t.MaxPerSecond)):
				}
				continue
			}
			batch = min(batch, allowed-moved)
		}
		batch = min(batch, t.ToMove-moved)
		msgs := src.takeReady(int(batch))
		if len(msgs) == 0 {
			break
		}
		n, err := e.moveOut(ctx, src, dst, msgs)
		moved += int64(n)
		r.mu.Lock()
		t.Moved = moved
		r.mu.Unlock()
		if err != nil {
			finish(TaskFailed, "AWS.SimpleQueueService.NonExistentQueue")
			return
		}
	}
	finish(TaskCompleted, "")
}

// takeReady returns up to n receivable messages without receiving them.
func (q *Queue) takeReady(n int) []*message {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.promote(q.e.now().UnixNano())
	var out []*message
	if q.cfg.fifo {
		for ge := q.groupOrder.Front(); ge != nil && len(out) < n; ge = ge.Next() {
			g := ge.Value.(*group)
			for me := g.msgs.Front(); me != nil && len(out) < n; me = me.Next() {
				if m := me.Value.(*message); m.state == stateReady && g.inflight == 0 {
					out = append(out, m)
				} else {
					break
				}
			}
		}
		return out
	}
	// Peek in Seq order without disturbing the heap.
	for _, m := range q.ready.items {
		if len(out) >= n {
			break
		}
		out = append(out, m)
	}
	return out
}

// moveOut moves msgs to dst, or to each message's original queue when dst
// is nil.
func (e *Engine) moveOut(ctx context.Context, src, dst *Queue, msgs []*message) (int, error) {
	if dst != nil {
		return len(msgs), e.move(ctx, src, dst, msgs, false)
	}
	byDest := map[string][]*message{}
	var order []string
	for _, m := range msgs {
		if _, ok := byDest[m.DeadLetterSource]; !ok {
			order = append(order, m.DeadLetterSource)
		}
		byDest[m.DeadLetterSource] = append(byDest[m.DeadLetterSource], m)
	}
	n := 0
	for _, arn := range order {
		d, err := e.QueueByArn(arn)
		if err != nil {
			return n, err
		}
		if err := e.move(ctx, src, d, byDest[arn], false); err != nil {
			return n, err
		}
		n += len(byDest[arn])
	}
	return n, nil
}

// MoveTasks lists up to max (1..10) most recent move tasks of sourceArn,
// newest first.
func (e *Engine) MoveTasks(account, sourceArn string, max int) ([]MoveTask, error) {
	if sourceArn == "" {
		return nil, errMissing("SourceArn")
	}
	if max == 0 {
		max = 1
	}
	if max < 1 || max > 10 {
		return nil, errInvalidParam("MaxResults", strconv.Itoa(max), "Must be between 1 and 10.")
	}
	src, err := e.QueueByArn(sourceArn)
	if err != nil || src.Account() != account {
		return nil, Errorf(ErrResourceNotFound, "The resource that you specified for the SourceArn parameter doesn't exist.")
	}
	r := e.tasks
	r.mu.Lock()
	defer r.mu.Unlock()
	ts := r.tasks[sourceArn]
	var out []MoveTask
	for i := len(ts) - 1; i >= 0 && len(out) < max; i-- {
		out = append(out, ts[i].MoveTask)
	}
	return out, nil
}

// CancelMoveTask cancels a running task and returns how many messages it
// had moved.
func (e *Engine) CancelMoveTask(account, handle string) (int64, error) {
	if handle == "" {
		return 0, errMissing("TaskHandle")
	}
	bad := Errorf(ErrInvalidParameterValue, "Value for parameter TaskHandle is invalid.")
	raw, err := base64.StdEncoding.DecodeString(handle)
	if err != nil {
		return 0, bad
	}
	var h taskHandle
	if json.Unmarshal(raw, &h) != nil || h.TaskID == "" {
		return 0, bad
	}
	r := e.tasks
	r.mu.Lock()
	var t *moveTask
	for _, x := range r.tasks[h.SourceArn] {
		if x.TaskHandle == handle {
			t = x
		}
	}
	if t == nil {
		r.mu.Unlock()
		return 0, Errorf(ErrResourceNotFound, "Task does not exist.")
	}
	if src, err := e.QueueByArn(h.SourceArn); err != nil || src.Account() != account {
		r.mu.Unlock()
		return 0, Errorf(ErrResourceNotFound, "Task does not exist.")
	}
	if t.Status != TaskRunning {
		r.mu.Unlock()
		return 0, Errorf(ErrResourceNotFound, "Task does not exist.")
	}
	t.Status = TaskCancelling
	moved := t.Moved
	r.mu.Unlock()
	t.cancel()
	return moved, nil
}
