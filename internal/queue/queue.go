package queue

import (
	"container/list"
	"strings"
	"sync"
	"time"
)

type msgState uint8

const (
	stateReady       msgState = iota // receivable now
	stateDelayed                     // waiting for its delay to pass
	stateInflight                    // received, waiting for delete or visibility timeout
	stateUncommitted                 // FIFO placeholder: assigned, not yet durable
)

type message struct {
	MessageRecord
	state      msgState
	heapIdx    int
	group      *group
	groupElem  *list.Element
	receivedAt int64 // unix nanos of the latest receive
}

type group struct {
	id       string
	msgs     *list.List // *message in Seq order
	inflight int
	elem     *list.Element // position in Queue.groupOrder
}

type dedupEntry struct {
	messageID string
	seq       int64
	expiresAt int64 // unix millis
}

type attemptEntry struct {
	expiresAt int64
	handles   []attemptMsg
}

type attemptMsg struct {
	seq int64
	rc  int32
}

type waiter struct {
	ch   chan struct{}
	elem *list.Element
}

// Queue is one queue's state. Its methods are safe for concurrent use.
type Queue struct {
	e   *Engine
	arn string

	mu      sync.Mutex
	rec     QueueRecord
	cfg     config
	deleted bool

	msgs        map[int64]*message
	ready       msgHeap // standard queues: receivable now, by Seq
	pending     msgHeap // delayed and in-flight messages, by VisibleAt
	groups      map[string]*group
	groupOrder  *list.List // *group with at least one message
	inflight    int
	delayed     int
	uncommitted int // FIFO placeholders in msgs awaiting their commit
	dedup       map[string]dedupEntry
	attempts    map[string]attemptEntry
	lastPurge   time.Time
	purgedSeq   int64      // messages with Seq <= purgedSeq were purged
	waiters     *list.List // *waiter
	timer       *time.Timer
	timerAt     int64
}

func newQueue(e *Engine, rec QueueRecord) *Queue {
	if rec.Attributes == nil {
		rec.Attributes = map[string]string{}
	}
	if rec.Tags == nil {
		rec.Tags = map[string]string{}
	}
	q := &Queue{
		e:          e,
		rec:        rec,
		cfg:        parseConfig(rec.Attributes),
		msgs:       map[int64]*message{},
		ready:      msgHeap{},
		pending:    msgHeap{byTime: true},
		groups:     map[string]*group{},
		groupOrder: list.New(),
		dedup:      map[string]dedupEntry{},
		attempts:   map[string]attemptEntry{},
		waiters:    list.New(),
	}
	q.arn = "arn:aws:sqs:" + e.region + ":" + rec.Account + ":" + rec.Name
	return q
}

// Name returns the queue's name.
func (q *Queue) Name() string { return q.rec.Name }

// Account returns the owning account id.
func (q *Queue) Account() string { return q.rec.Account }

// Arn returns the queue's ARN.
func (q *Queue) Arn() string { return q.arn }

// ID returns the queue's store id.
func (q *Queue) ID() int64 { return q.rec.ID }

// WaitTime returns the queue's ReceiveMessageWaitTimeSeconds: how long a
// ReceiveMessage that names no wait time waits.
func (q *Queue) WaitTime() int64 {
	q.mu.Lock()
	defer q.mu.Unlock()
	return int64(q.cfg.waitTime)
}

// Policy returns the queue's Policy attribute ("" when it has none),
// without building the whole attribute map: authorization reads it on
// every request.
func (q *Queue) Policy() string {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.rec.Attributes[AttrPolicy]
}

// Fifo reports whether q is a FIFO queue.
func (q *Queue) Fifo() bool { return q.cfg.fifo }

// restore adds a message loaded from the store. Messages that were in
// flight stay invisible until their persisted VisibleAt.
func (q *Queue) restore(r MessageRecord, now time.Time) {
	m := &message{MessageRecord: r, heapIdx: -1}
	q.msgs[m.Seq] = m
	if q.cfg.fifo {
		q.addToGroup(m)
	}
	if m.VisibleAt > now.UnixNano() {
		// A received message that is invisible is in flight; one never
		// received is delayed.
		if m.ReceiveCount > 0 {
			m.state = stateInflight
			q.inflight++
			if m.group != nil {
				m.group.inflight++
			}
		} else {
			m.state = stateDelayed
			q.delayed++
		}
		q.pending.push(m)
		return
	}
	m.state = stateReady
	if !q.cfg.fifo {
		q.ready.push(m)
	}
}

func (q *Queue) addToGroup(m *message) {
	g := q.groups[m.GroupID]
	if g == nil {
		g = &group{id: m.GroupID, msgs: list.New()}
		q.groups[m.GroupID] = g
		g.elem = q.groupOrder.PushBack(g)
	}
	m.group = g
	// Messages almost always arrive in Seq order; insert from the back.
	for e := g.msgs.Back(); e != nil; e = e.Prev() {
		if e.Value.(*message).Seq < m.Seq {
			m.groupElem = g.msgs.InsertAfter(m, e)
			return
		}
	}
	m.groupElem = g.msgs.PushFront(m)
}

// unlink removes m from every in-memory structure.
func (q *Queue) unlink(m *message) {
	delete(q.msgs, m.Seq)
	switch m.state {
	case stateReady:
		if !q.cfg.fifo {
			q.ready.remove(m)
		}
	case stateDelayed:
		q.pending.remove(m)
		q.delayed--
	case stateInflight:
		q.pending.remove(m)
		q.inflight--
		if m.group != nil {
			m.group.inflight--
		}
	case stateUncommitted:
		q.uncommitted--
	}
	if g := m.group; g != nil {
		g.msgs.Remove(m.groupElem)
		m.groupElem = nil
		if g.msgs.Len() == 0 {
			q.groupOrder.Remove(g.elem)
			delete(q.groups, g.id)
		}
	}
}

// promote makes every pending message whose time has come receivable,
// wakes as many long polls, and returns how many became so. Whoever calls it
// (a receive, an attribute read, the timer) the waiters hear of it.
func (q *Queue) promote(nowNano int64) int {
	n := 0
	for {
		m := q.pending.peek()
		if m == nil || m.VisibleAt > nowNano {
			q.signal(n)
			return n
		}
		q.makeReady(m)
		n++
	}
}

// makeReady moves a delayed or in-flight message out of pending and makes
// it receivable.
func (q *Queue) makeReady(m *message) {
	q.pending.remove(m)
	switch m.state {
	case stateDelayed:
		q.delayed--
	case stateInflight:
		q.inflight--
		if m.group != nil {
			m.group.inflight--
		}
	}
	m.state = stateReady
	if !q.cfg.fifo {
		q.ready.push(m)
	}
}

// counts returns visible, in-flight and delayed message counts.
func (q *Queue) counts(nowNano int64) (visible, inflight, delayed int) {
	q.promote(nowNano)
	return len(q.msgs) - q.inflight - q.delayed - q.uncommitted, q.inflight, q.delayed
}

// sweep drops messages past retention and expired dedup records, returning
// the ops that persist that.
func (q *Queue) sweep(now time.Time) []Op {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.deleted {
		return nil
	}
	nowMs := now.UnixMilli()
	cutoff := nowMs - q.cfg.retention*1000
	var ops []Op
	for _, m := range q.msgs {
		if m.SentAt < cutoff && m.state != stateUncommitted {
			q.unlink(m)
			ops = append(ops, Op{Kind: OpDeleteMessage, QueueID: q.rec.ID, Seq: m.Seq})
		}
	}
	expired := false
	for k, d := range q.dedup {
		if d.expiresAt <= nowMs {
			delete(q.dedup, k)
			expired = true
		}
	}
	if expired {
		ops = append(ops, Op{Kind: OpDeleteDedup, QueueID: q.rec.ID, ExpiresAt: nowMs})
	}
	for k, a := range q.attempts {
		if a.expiresAt <= nowMs {
			delete(q.attempts, k)
		}
	}
	return ops
}

// signal wakes up to n long polls.
func (q *Queue) signal(n int) {
	for n > 0 {
		f := q.waiters.Front()
		if f == nil {
			return
		}
		w := f.Value.(*waiter)
		q.waiters.Remove(f)
		w.elem = nil
		select {
		case w.ch <- struct{}{}:
		default:
		}
		n--
	}
}

func (q *Queue) wakeAll() { q.signal(q.waiters.Len()) }

// armTimer makes sure a timer fires when the earliest pending message
// becomes visible, while anyone waits.
func (q *Queue) armTimer() {
	if q.waiters.Len() == 0 {
		return
	}
	m := q.pending.peek()
	if m == nil {
		return
	}
	at := m.VisibleAt
	if q.timer != nil && q.timerAt != 0 && q.timerAt <= at {
		return
	}
	if q.timer != nil {
		q.timer.Stop()
	}
	q.timerAt = at
	d := time.Duration(at - q.e.now().UnixNano())
	if d < 0 {
		d = 0
	}
	q.timer = time.AfterFunc(d, q.onTimer)
}

func (q *Queue) onTimer() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.timerAt = 0
	q.promote(q.e.now().UnixNano())
	q.armTimer()
}

func parseQueueName(name string, fifo bool) error {
	base := name
	if fifo {
		if !strings.HasSuffix(name, ".fifo") {
			return Errorf(ErrInvalidParameterValue, "The name of a FIFO queue can only include alphanumeric characters, hyphens, or underscores, must end with .fifo suffix and be 1 to 80 in length.")
		}
		base = strings.TrimSuffix(name, ".fifo")
	}
	ok := len(name) >= 1 && len(name) <= 80 && len(base) >= 1
	for _, r := range base {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			ok = false
		}
	}
	if !ok {
		if fifo {
			return Errorf(ErrInvalidParameterValue, "The name of a FIFO queue can only include alphanumeric characters, hyphens, or underscores, must end with .fifo suffix and be 1 to 80 in length.")
		}
		return Errorf(ErrInvalidParameterValue, "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length")
	}
	return nil
}

// Counts returns the numbers of visible, in-flight and delayed messages.
func (q *Queue) Counts() (visible, inflight, delayed int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.counts(q.e.now().UnixNano())
}
