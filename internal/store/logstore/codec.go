package logstore

import (
	"encoding/binary"
	"fmt"
	"slices"

	"github.com/herald-dev/herald/internal/queue"
	"github.com/herald-dev/herald/internal/store/binenc"
)

// opMeta is an internal op kind, never passed to Apply: the high-water
// marks of Seq and queue ID, written at the start of every segment so that
// they survive the segments that held the records themselves.
const opMeta queue.OpKind = 100

// appendOp appends the encoding of op to b: its kind byte, then the fields
// its kind uses, integers as zigzag varints and strings length-prefixed.
func appendOp(b []byte, op *queue.Op) []byte {
	b = append(b, byte(op.Kind))
	v := binary.AppendVarint
	switch op.Kind {
	case queue.OpPutQueue:
		q := op.Queue
		b = v(b, q.ID)
		b = binenc.AppendString(b, q.Account)
		b = binenc.AppendString(b, q.Name)
		b = appendMap(b, q.Attributes)
		b = appendMap(b, q.Tags)
		b = v(b, q.CreatedAt)
		b = v(b, q.ModifiedAt)
	case queue.OpDeleteQueue, queue.OpDropQueue:
		b = v(b, op.QueueID)
	case queue.OpPutMessage:
		b = appendMessage(b, op.Message)
	case queue.OpUpdateMessage:
		b = v(b, op.QueueID)
		b = v(b, op.Seq)
		b = v(b, op.VisibleAt)
		b = v(b, int64(op.ReceiveCount))
		b = v(b, op.FirstReceiveAt)
	case queue.OpDeleteMessage, queue.OpPurgeQueue:
		b = v(b, op.QueueID)
		b = v(b, op.Seq)
	case queue.OpPutDedup:
		d := op.Dedup
		b = v(b, d.QueueID)
		b = binenc.AppendString(b, d.Key)
		b = binenc.AppendString(b, d.MessageID)
		b = v(b, d.Seq)
		b = v(b, d.ExpiresAt)
	case queue.OpDeleteDedup:
		b = v(b, op.QueueID)
		b = v(b, op.ExpiresAt)
	case queue.OpPutRecord:
		b = binenc.AppendString(b, op.Record.Kind)
		b = binenc.AppendString(b, op.Record.Key)
		b = binenc.AppendBytes(b, op.Record.Value)
	case queue.OpDeleteRecord:
		b = binenc.AppendString(b, op.Record.Kind)
		b = binenc.AppendString(b, op.Record.Key)
	case opMeta:
		b = v(b, op.Seq)
		b = v(b, op.QueueID)
	}
	return b
}

func appendMessage(b []byte, m *queue.MessageRecord) []byte {
	v := binary.AppendVarint
	b = v(b, m.QueueID)
	b = v(b, m.Seq)
	b = binenc.AppendString(b, m.ID)
	b = binenc.AppendString(b, m.Body)
	b = appendAttrs(b, m.Attributes)
	b = appendAttrs(b, m.SystemAttributes)
	b = binenc.AppendString(b, m.SenderID)
	b = v(b, m.SentAt)
	b = v(b, m.VisibleAt)
	b = v(b, int64(m.ReceiveCount))
	b = v(b, m.FirstReceiveAt)
	b = binenc.AppendString(b, m.GroupID)
	b = binenc.AppendString(b, m.DedupID)
	return binenc.AppendString(b, m.DeadLetterSource)
}

// appendAttrs appends an attribute set as a length-prefixed binenc blob.
func appendAttrs(b []byte, a queue.MessageAttributes) []byte {
	if len(a) == 0 {
		return append(b, 0)
	}
	start := len(b)
	b = append(b, make([]byte, binary.MaxVarintLen32)...)
	b = binenc.AppendAttrs(b, a)
	n := len(b) - start - binary.MaxVarintLen32
	// Rewrite the reserved prefix as the blob's length, then close the gap.
	var pre [binary.MaxVarintLen32]byte
	k := binary.PutUvarint(pre[:], uint64(n))
	copy(b[start:], pre[:k])
	copy(b[start+k:], b[start+binary.MaxVarintLen32:])
	return b[:len(b)-(binary.MaxVarintLen32-k)]
}

// appendMap appends a string map as a count and key, value pairs in key
// order (so that equal maps encode equally).
func appendMap(b []byte, m map[string]string) []byte {
	b = binary.AppendUvarint(b, uint64(len(m)))
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		b = binenc.AppendString(b, k)
		b = binenc.AppendString(b, m[k])
	}
	return b
}

// decodeOp decodes one op from d into a fresh Op; the records it points to
// do not alias d's input.
func decodeOp(d *binenc.Decoder) (queue.Op, error) {
	op := queue.Op{Kind: queue.OpKind(d.Byte())}
	switch op.Kind {
	case queue.OpPutQueue:
		q := &queue.QueueRecord{ID: d.Varint(), Account: d.String(), Name: d.String()}
		q.Attributes = decodeMap(d)
		q.Tags = decodeMap(d)
		q.CreatedAt = d.Varint()
		q.ModifiedAt = d.Varint()
		op.Queue = q
	case queue.OpDeleteQueue, queue.OpDropQueue:
		op.QueueID = d.Varint()
	case queue.OpPutMessage:
		m, err := decodeMessage(d)
		if err != nil {
			return op, err
		}
		op.Message = m
	case queue.OpUpdateMessage:
		op.QueueID, op.Seq, op.VisibleAt = d.Varint(), d.Varint(), d.Varint()
		op.ReceiveCount = int32(d.Varint())
		op.FirstReceiveAt = d.Varint()
	case queue.OpDeleteMessage, queue.OpPurgeQueue:
		op.QueueID, op.Seq = d.Varint(), d.Varint()
	case queue.OpPutDedup:
		op.Dedup = &queue.DedupRecord{QueueID: d.Varint(), Key: d.String(), MessageID: d.String(), Seq: d.Varint(), ExpiresAt: d.Varint()}
	case queue.OpDeleteDedup:
		op.QueueID, op.ExpiresAt = d.Varint(), d.Varint()
	case queue.OpPutRecord:
		op.Record = &queue.Record{Kind: d.String(), Key: d.String(), Value: d.Bytes()}
		if op.Record.Value == nil && d.Err == nil {
			op.Record.Value = []byte{}
		}
	case queue.OpDeleteRecord:
		op.Record = &queue.Record{Kind: d.String(), Key: d.String()}
	case opMeta:
		op.Seq, op.QueueID = d.Varint(), d.Varint()
	default:
		if d.Err == nil {
			return op, fmt.Errorf("op kind %d: %w", op.Kind, binenc.ErrCorrupt)
		}
	}
	return op, d.Err
}

func decodeMessage(d *binenc.Decoder) (*queue.MessageRecord, error) {
	m := &queue.MessageRecord{QueueID: d.Varint(), Seq: d.Varint(), ID: d.String(), Body: d.String()}
	var err error
	if m.Attributes, err = binenc.DecodeAttrs(d.Raw()); err != nil {
		return nil, err
	}
	if m.SystemAttributes, err = binenc.DecodeAttrs(d.Raw()); err != nil {
		return nil, err
	}
	m.SenderID = d.String()
	m.SentAt, m.VisibleAt = d.Varint(), d.Varint()
	m.ReceiveCount = int32(d.Varint())
	m.FirstReceiveAt = d.Varint()
	m.GroupID, m.DedupID, m.DeadLetterSource = d.String(), d.String(), d.String()
	return m, d.Err
}

func decodeMap(d *binenc.Decoder) map[string]string {
	n := d.Count()
	if n == 0 || d.Err != nil {
		return nil
	}
	m := make(map[string]string, n)
	for range n {
		k := d.String()
		m[k] = d.String()
	}
	return m
}

// decodeOps decodes a frame's payload: ops back to back.
func decodeOps(payload []byte, fn func(op *queue.Op, size int) error) error {
	d := binenc.Decoder{B: payload}
	for len(d.B) > 0 {
		before := len(d.B)
		op, err := decodeOp(&d)
		if err != nil {
			return err
		}
		if err := fn(&op, before-len(d.B)); err != nil {
			return err
		}
	}
	return nil
}
