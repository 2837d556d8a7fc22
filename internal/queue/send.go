package queue

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"time"
)

// SendInput is one message to send.
type SendInput struct {
	Body             string
	HasBody          bool // false when the request did not carry MessageBody at all
	DelaySeconds     *int64
	Attributes       MessageAttributes
	SystemAttributes MessageAttributes
	GroupID          string
	DedupID          string
	SenderID         string
}

// SendResult is what SendMessage returns for one message.
type SendResult struct {
	MessageID             string
	MD5OfBody             string
	MD5OfAttributes       string
	MD5OfSystemAttributes string
	SequenceNumber        string // FIFO only
}

// size is what counts toward MaximumMessageSize.
func (in *SendInput) size() int {
	return len(in.Body) + in.Attributes.Size() // system attributes do not count
}

// validate checks one message against q's configuration. It is called with
// q.mu held.
func (q *Queue) validate(in *SendInput) error {
	if !in.HasBody || in.Body == "" {
		return errMissing("MessageBody")
	}
	if !ValidBody(in.Body) {
		return Errorf(ErrInvalidMessageContents, "Invalid binary character was found in the message body, the set of allowed characters is #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF")
	}
	if err := ValidateMessageAttributes(in.Attributes); err != nil {
		return err
	}
	if err := ValidateSystemAttributes(in.SystemAttributes); err != nil {
		return err
	}
	if n := in.size(); n > q.cfg.maxSize {
		return Errorf(ErrInvalidParameterValue, "One or more parameters are invalid. Reason: Message must be shorter than %d bytes.", q.cfg.maxSize)
	}
	if in.DelaySeconds != nil {
		d := *in.DelaySeconds
		if q.cfg.fifo && d != 0 {
			return errInvalidParam("DelaySeconds", strconv.FormatInt(d, 10), "The request include parameter that is not valid for this queue type.")
		}
		if d < 0 || d > MaxDelaySeconds {
			return errInvalidParam("DelaySeconds", strconv.FormatInt(d, 10), "DelaySeconds must be >= 0 and <= 900.")
		}
	}
	if in.GroupID != "" || q.cfg.fifo {
		if q.cfg.fifo && in.GroupID == "" {
			return errMissing("MessageGroupId")
		}
		if !ValidFifoID(in.GroupID) {
			return errInvalidParam("MessageGroupId", in.GroupID, "MessageGroupId can only include alphanumeric and punctuation characters. 1 to 128 in length.")
		}
	}
	if in.DedupID != "" && !q.cfg.fifo {
		return errInvalidParam("MessageDeduplicationId", in.DedupID, "The request include parameter that is not valid for this queue type.")
	}
	if q.cfg.fifo {
		if in.DedupID == "" && !q.cfg.contentDedup {
			return Errorf(ErrInvalidParameterValue, "The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly")
		}
		if in.DedupID != "" && !ValidFifoID(in.DedupID) {
			return errInvalidParam("MessageDeduplicationId", in.DedupID, "MessageDeduplicationId can only include alphanumeric and punctuation characters. 1 to 128 in length.")
		}
	}
	return nil
}

// ValidFifoID accepts 1 to 128 alphanumeric and punctuation characters.
func ValidFifoID(s string) bool {
	if len(s) < 1 || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= 0x20 || c >= 0x7f {
			return false
		}
	}
	return true
}

// Send sends one message.
func (e *Engine) Send(ctx context.Context, q *Queue, in SendInput) (SendResult, error) {
	res, errs, err := e.sendBatch(ctx, q, []SendInput{in})
	if err != nil {
		return SendResult{}, err
	}
	if errs[0] != nil {
		return SendResult{}, errs[0]
	}
	return res[0], nil
}

// SendBatch sends several messages durably in one store transaction. It
// returns a result or an error for each entry; err is set when nothing could
// be sent (the queue is gone, the store failed, or — as SQS does for a
// batch — a FIFO entry lacks its MessageGroupId).
func (e *Engine) SendBatch(ctx context.Context, q *Queue, ins []SendInput) ([]SendResult, []error, error) {
	if q.Fifo() {
		for i := range ins {
			if ins[i].GroupID == "" {
				return nil, nil, Errorf(ErrInvalidParameterValue, "The request must contain the parameter MessageGroupId.")
			}
		}
	}
	return e.sendBatch(ctx, q, ins)
}

func (e *Engine) sendBatch(ctx context.Context, q *Queue, ins []SendInput) ([]SendResult, []error, error) {
	p := q.prepareSend(ins, e.now())
	if p.err != nil {
		return nil, nil, p.err
	}
	if err := e.applyCancelable(ctx, p.ops); err != nil {
		p.abort()
		return nil, nil, err
	}
	e.finishSends(ctx, p)
	return p.results, p.errs, nil
}

// pendingSend is a batch of messages for one queue, validated and written
// into ops but neither durable nor visible yet.
type pendingSend struct {
	q         *Queue
	results   []SendResult
	errs      []error
	err       error // the queue is gone
	ops       []Op
	fresh     []*message
	dedupKeys []string
}

// prepareSend validates ins, assigns ids and sequence numbers, and returns
// the ops that make them durable. FIFO messages hold their place in their
// group until finishSends or abort.
func (q *Queue) prepareSend(ins []SendInput, now time.Time) *pendingSend {
	e := q.e
	p := &pendingSend{q: q, results: make([]SendResult, len(ins)), errs: make([]error, len(ins)),
		fresh: make([]*message, 0, len(ins))}
	nowMs := now.UnixMilli()

	q.mu.Lock()
	defer q.mu.Unlock()
	if q.deleted {
		p.err = errNoQueue()
		return p
	}
	nops := len(ins)
	if q.cfg.fifo {
		nops *= 2 // a dedup record and a message each
	}
	p.ops = make([]Op, 0, nops)
	for i := range ins {
		in := &ins[i]
		if err := q.validate(in); err != nil {
			p.errs[i] = err
			continue
		}
		r := &p.results[i]
		r.MD5OfBody = MD5Hex(in.Body)
		r.MD5OfAttributes = in.Attributes.MD5()
		r.MD5OfSystemAttributes = in.SystemAttributes.MD5()
		dedupID := in.DedupID
		if q.cfg.fifo {
			if dedupID == "" {
				sum := sha256.Sum256([]byte(in.Body))
				dedupID = hex.EncodeToString(sum[:])
			}
			dk := dedupID
			if q.cfg.dedupPerGroup {
				dk = in.GroupID + "\x00" + dedupID
			}
			if d, ok := q.dedup[dk]; ok && d.expiresAt > nowMs {
				// A duplicate within the window is accepted and not enqueued.
				r.MessageID = d.messageID
				r.SequenceNumber = seqString(d.seq)
				continue
			}
			seq := e.nextSeq.Add(1)
			id := newID()
			q.dedup[dk] = dedupEntry{messageID: id, seq: seq, expiresAt: nowMs + DedupWindowMillis}
			p.dedupKeys = append(p.dedupKeys, dk)
			p.ops = append(p.ops, Op{Kind: OpPutDedup, Dedup: &DedupRecord{QueueID: q.rec.ID, Key: dk, MessageID: id, Seq: seq, ExpiresAt: nowMs + DedupWindowMillis}})
			r.MessageID = id
			r.SequenceNumber = seqString(seq)
			m := q.newMessage(in, id, seq, dedupID, now)
			p.fresh = append(p.fresh, m)
			// Hold the message's place in its group until it is durable.
			m.state = stateUncommitted
			q.uncommitted++
			q.msgs[seq] = m
			q.addToGroup(m)
		} else {
			seq := e.nextSeq.Add(1)
			id := newID()
			r.MessageID = id
			p.fresh = append(p.fresh, q.newMessage(in, id, seq, "", now))
		}
	}
	for _, m := range p.fresh {
		rec := m.MessageRecord
		p.ops = append(p.ops, Op{Kind: OpPutMessage, Message: &rec})
	}
	return p
}

// abort undoes prepareSend after the store failed.
func (p *pendingSend) abort() {
	q := p.q
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, dk := range p.dedupKeys {
		delete(q.dedup, dk)
	}
	for _, m := range p.fresh {
		if m.state == stateUncommitted {
			q.unlink(m)
		}
	}
}

// finishSends makes the durable messages of p visible (or delayed) and
// wakes long polls.
func (e *Engine) finishSends(ctx context.Context, p *pendingSend) {
	q := p.q
	q.mu.Lock()
	if q.deleted {
		q.mu.Unlock()
		return
	}
	nowNano := e.now().UnixNano()
	woken := 0
	var purged []Op
	for _, m := range p.fresh {
		if m.Seq <= q.purgedSeq {
			// A purge ran while this send committed: the message counts
			// as sent before it. Delete it on disk too, after its put.
			if q.msgs[m.Seq] == m {
				q.unlink(m)
			}
			purged = append(purged, Op{Kind: OpDeleteMessage, QueueID: q.rec.ID, Seq: m.Seq})
			continue
		}
		if m.state == stateUncommitted {
			q.uncommitted-- // it is in msgs already
		} else {
			q.msgs[m.Seq] = m
		}
		if m.VisibleAt > nowNano {
			m.state = stateDelayed
			q.delayed++
			q.pending.push(m)
			continue
		}
		m.state = stateReady
		if !q.cfg.fifo {
			q.ready.push(m)
		}
		woken++
	}
	q.signal(woken)
	q.armTimer()
	q.mu.Unlock()
	if err := e.apply(ctx, purged); err != nil {
		e.log.Error("deleting messages purged while sent", "queue", q.rec.Name, "err", err)
	}
}

func (q *Queue) newMessage(in *SendInput, id string, seq int64, dedupID string, now interface{ UnixNano() int64 }) *message {
	delay := q.cfg.delay
	if in.DelaySeconds != nil && !q.cfg.fifo {
		delay = *in.DelaySeconds
	}
	nano := now.UnixNano()
	return &message{
		MessageRecord: MessageRecord{
			QueueID:          q.rec.ID,
			Seq:              seq,
			ID:               id,
			Body:             in.Body,
			Attributes:       in.Attributes,
			SystemAttributes: in.SystemAttributes,
			SenderID:         in.SenderID,
			SentAt:           nano / 1e6,
			VisibleAt:        nano + delay*1e9,
			GroupID:          in.GroupID,
			DedupID:          dedupID,
		},
		heapIdx: -1,
	}
}

// seqString formats a sequence number as SQS does: a long decimal string.
func seqString(seq int64) string { return SequenceNumber(seq) }

// SequenceNumber formats a FIFO sequence number as SQS does: a long decimal
// string that only grows.
func SequenceNumber(seq int64) string { return fmt.Sprintf("%020d", seq) }
