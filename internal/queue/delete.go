package queue

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"strconv"
	"time"
	"unsafe"
)

// Receipt handles encode the queue id, the message's sequence and the
// receive count that issued them. A handle is current while the message's
// receive count still equals the one it carries.
const handleVersion = 1

func encodeHandle(queueID, seq int64, rc int32) string {
	var b [1 + 8 + 8 + 4 + 8]byte
	b[0] = handleVersion
	binary.BigEndian.PutUint64(b[1:], uint64(queueID))
	binary.BigEndian.PutUint64(b[9:], uint64(seq))
	binary.BigEndian.PutUint32(b[17:], uint32(rc))
	// A checksum so that a typo is reported as invalid, not as stale.
	binary.BigEndian.PutUint64(b[21:], handleCheck(queueID, seq, rc))
	var out [handleLen]byte
	base64.RawURLEncoding.Encode(out[:], b[:])
	return string(out[:])
}

// handleLen is the length of an encoded receipt handle.
const handleLen = (29*8 + 5) / 6

func handleCheck(queueID, seq int64, rc int32) uint64 {
	x := uint64(queueID)*0x9E3779B97F4A7C15 ^ uint64(seq)*0xC2B2AE3D27D4EB4F ^ uint64(uint32(rc))*0x165667B19E3779F9
	x ^= x >> 29
	x *= 0xBF58476D1CE4E5B9
	x ^= x >> 32
	return x
}

type handle struct {
	queueID int64
	seq     int64
	rc      int32
}

func decodeHandle(s string) (handle, bool) {
	var b []byte
	var buf [48]byte
	if base64.RawURLEncoding.DecodedLen(len(s)) <= len(buf) {
		// DecodeString without its copies: Decode only reads the string.
		n, err := base64.RawURLEncoding.Decode(buf[:], unsafe.Slice(unsafe.StringData(s), len(s)))
		if err != nil {
			return handle{}, false
		}
		b = buf[:n]
	} else {
		var err error
		if b, err = base64.RawURLEncoding.DecodeString(s); err != nil {
			return handle{}, false
		}
	}
	return parseHandle(b)
}

// parseHandle reads a receipt handle's decoded bytes and checks them.
func parseHandle(b []byte) (handle, bool) {
	if len(b) != 29 || b[0] != handleVersion {
		return handle{}, false
	}
	h := handle{
		queueID: int64(binary.BigEndian.Uint64(b[1:])),
		seq:     int64(binary.BigEndian.Uint64(b[9:])),
		rc:      int32(binary.BigEndian.Uint32(b[17:])),
	}
	if binary.BigEndian.Uint64(b[21:]) != handleCheck(h.queueID, h.seq, h.rc) {
		return handle{}, false
	}
	return h, true
}

func errBadHandle(s string) *Error {
	return Errorf(ErrReceiptHandleIsInvalid, "The input receipt handle \"%s\" is not a valid receipt handle.", s)
}

func (q *Queue) parseHandle(s string) (handle, error) {
	if s == "" {
		return handle{}, errMissing("ReceiptHandle")
	}
	h, ok := decodeHandle(s)
	if !ok || h.queueID != q.rec.ID {
		return handle{}, errBadHandle(s)
	}
	return h, nil
}

// Delete deletes the message a receipt handle names. Deleting a message that
// is already gone succeeds. A handle from an earlier receive of a message
// that has since been received again succeeds without deleting it, as SQS
// documents.
func (e *Engine) Delete(ctx context.Context, q *Queue, receipt string) error {
	errs, err := e.DeleteBatch(ctx, q, []string{receipt})
	if err != nil {
		return err
	}
	return errs[0]
}

// DeleteBatch deletes several messages in one store transaction.
func (e *Engine) DeleteBatch(ctx context.Context, q *Queue, receipts []string) ([]error, error) {
	errs := make([]error, len(receipts))
	ops := make([]Op, 0, len(receipts))
	q.mu.Lock()
	if q.deleted {
		q.mu.Unlock()
		return nil, errNoQueue()
	}
	q.promote(e.now().UnixNano())
	unlocked := 0
	for i, r := range receipts {
		h, err := q.parseHandle(r)
		if err != nil {
			errs[i] = err
			continue
		}
		m := q.msgs[h.seq]
		if m == nil || m.state == stateUncommitted {
			continue
		}
		if m.ReceiveCount != h.rc || (q.cfg.fifo && m.state != stateInflight) {
			// Standard queues accept a stale handle and keep the message;
			// FIFO queues reject a handle whose visibility ran out.
			if q.cfg.fifo {
				errs[i] = errInvalidParam("ReceiptHandle", r, "The receipt handle has expired.")
			}
			continue
		}
		if m.state == stateInflight && m.group != nil && m.group.inflight == 1 {
			unlocked++
		}
		q.unlink(m)
		ops = append(ops, Op{Kind: OpDeleteMessage, QueueID: q.rec.ID, Seq: m.Seq})
	}
	// Deleting the in-flight message of a FIFO group frees the group.
	q.signal(unlocked)
	q.mu.Unlock()
	if err := e.apply(ctx, ops); err != nil {
		return nil, err
	}
	return errs, nil
}

// ChangeVisibility sets the visibility timeout of an in-flight message to
// timeout seconds from now.
func (e *Engine) ChangeVisibility(ctx context.Context, q *Queue, receipt string, timeout int64) error {
	errs, err := e.ChangeVisibilityBatch(ctx, q, []string{receipt}, []int64{timeout})
	if err != nil {
		return err
	}
	return errs[0]
}

// ChangeVisibilityBatch changes several visibility timeouts in one store
// transaction.
func (e *Engine) ChangeVisibilityBatch(ctx context.Context, q *Queue, receipts []string, timeouts []int64) ([]error, error) {
	errs := make([]error, len(receipts))
	var ops []Op
	now := e.now()
	nowNano := now.UnixNano()
	q.mu.Lock()
	if q.deleted {
		q.mu.Unlock()
		return nil, errNoQueue()
	}
	q.promote(nowNano)
	woken := 0
	for i, r := range receipts {
		t := timeouts[i]
		if t < 0 || t > MaxVisibilityTimeout {
			errs[i] = errInvalidParam("VisibilityTimeout", strconv.FormatInt(t, 10), "VisibilityTimeout must be an integer between 0 and 43200")
			continue
		}
		h, err := q.parseHandle(r)
		if err != nil {
			errs[i] = err
			continue
		}
		m := q.msgs[h.seq]
		if m == nil || m.state == stateUncommitted {
			errs[i] = errInvalidParam("ReceiptHandle", r, "Message does not exist or is not available for visibility timeout change.")
			continue
		}
		if m.ReceiveCount != h.rc || (q.cfg.fifo && m.state != stateInflight) {
			errs[i] = errInvalidParam("ReceiptHandle", r, "The receipt handle has expired.")
			continue
		}
		if m.state != stateInflight {
			continue // its visibility already ran out: SQS accepts and does nothing
		}
		if total := time.Duration(nowNano-m.receivedAt) + time.Duration(t)*time.Second; m.receivedAt != 0 && total > MaxVisibilityTimeout*time.Second {
			errs[i] = errInvalidParam("VisibilityTimeout", strconv.FormatInt(t, 10), "Total VisibilityTimeout for the message is beyond the limit [43200 seconds]")
			continue
		}
		m.VisibleAt = nowNano + t*int64(time.Second)
		if t == 0 {
			q.makeReady(m)
			woken++
		} else {
			q.pending.fix(m)
		}
		ops = append(ops, Op{Kind: OpUpdateMessage, QueueID: q.rec.ID, Seq: m.Seq, VisibleAt: m.VisibleAt, ReceiveCount: m.ReceiveCount, FirstReceiveAt: m.FirstReceiveAt})
	}
	q.signal(woken)
	q.timerAt = 0 // the earliest pending time may have moved earlier
	if q.timer != nil {
		q.timer.Stop()
	}
	q.armTimer()
	q.mu.Unlock()
	if err := e.apply(ctx, ops); err != nil {
		return nil, err
	}
	return errs, nil
}
