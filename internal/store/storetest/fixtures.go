// Package storetest is the conformance suite every queue.Store
// implementation must pass, plus fixtures and helpers for store tests
// (durability and crash tests use the same deterministic records).
package storetest

import (
	"cmp"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/herald-dev/herald/internal/queue"
)

// OpenFunc opens the store kept in dir. It may be called more than once on
// the same dir to simulate a restart; the suite closes the previous store
// first. An in-memory store may return the same instance.
type OpenFunc func(t *testing.T, dir string) queue.Store

// Queue returns a deterministic queue record with attributes and tags.
func Queue(id int64) queue.QueueRecord {
	return queue.QueueRecord{
		ID:      id,
		Account: "000000000000",
		Name:    fmt.Sprintf("queue-%d", id),
		Attributes: map[string]string{
			"VisibilityTimeout": "30",
			"Policy":            `{"Version":"2012-10-17","Statement":[]}`,
		},
		Tags:       map[string]string{"env": "test", "ünïcode": "✓"},
		CreatedAt:  1700000000 + id,
		ModifiedAt: 1700000100 + id,
	}
}

// Message returns a deterministic message of queueID with sequence seq and
// every field set: user attributes of each type (binary values hold every
// byte value), a system attribute, and a body that depends on seq. Crash
// tests use it so that writer and checker agree on the exact content.
func Message(queueID, seq int64) queue.MessageRecord {
	bin := make([]byte, 256)
	for i := range bin {
		bin[i] = byte(i + int(seq))
	}
	return queue.MessageRecord{
		QueueID: queueID,
		Seq:     seq,
		ID:      fmt.Sprintf("msg-%d-%d", queueID, seq),
		Body:    fmt.Sprintf("body %d\twith\r\nlines, ünïcode ✓ and 𝄞 ", seq) + strings.Repeat("x", int(seq%7)),
		Attributes: queue.MessageAttributes{
			"s":   {DataType: "String", StringValue: fmt.Sprintf("v%d", seq)},
			"n":   {DataType: "Number.int", StringValue: "-12.5e3"},
			"b":   {DataType: "Binary", BinaryValue: bin},
			"res": {DataType: "String.x", StringList: []string{"a", "", "c"}, BinaryList: [][]byte{{0}, {1, 2}}},
		},
		SystemAttributes: queue.MessageAttributes{
			"AWSTraceHeader": {DataType: "String", StringValue: "Root=1-5759e988-bd862e3fe1be46a994272793"},
		},
		SenderID:         "AIDAEXAMPLE",
		SentAt:           1700000000000 + seq,
		VisibleAt:        1700000000000000000 + seq*1000,
		ReceiveCount:     int32(seq % 5),
		FirstReceiveAt:   1700000000500 + seq,
		GroupID:          fmt.Sprintf("g%d", seq%3),
		DedupID:          fmt.Sprintf("d%d", seq),
		DeadLetterSource: "arn:aws:sqs:us-east-1:000000000000:src",
	}
}

// PlainMessage returns a message with only the required fields and no
// attributes: the common case.
func PlainMessage(queueID, seq int64, body string) queue.MessageRecord {
	return queue.MessageRecord{QueueID: queueID, Seq: seq, ID: fmt.Sprintf("m%d", seq), Body: body, SentAt: seq}
}

// Dedup returns a deterministic deduplication record.
func Dedup(queueID int64, key string, seq, expiresAt int64) queue.DedupRecord {
	return queue.DedupRecord{QueueID: queueID, Key: key, MessageID: fmt.Sprintf("m%d", seq), Seq: seq, ExpiresAt: expiresAt}
}

// Reopen closes s and opens the store in dir again, as after a restart.
func Reopen(t *testing.T, open OpenFunc, dir string, s queue.Store) queue.Store {
	t.Helper()
	if err := s.Close(); err != nil {
		t.Fatalf("close before reopen: %v", err)
	}
	r := open(t, dir)
	t.Cleanup(func() { _ = r.Close() })
	return r
}

// RequireMessages fails t unless every message of want is in snap with
// exactly the same content (nil and empty maps are equal).
func RequireMessages(t *testing.T, snap *queue.Snapshot, want []queue.MessageRecord) {
	t.Helper()
	have := make(map[[2]int64]queue.MessageRecord, len(snap.Messages))
	for _, m := range snap.Messages {
		have[[2]int64{m.QueueID, m.Seq}] = m
	}
	for _, w := range want {
		got, ok := have[[2]int64{w.QueueID, w.Seq}]
		if !ok {
			t.Errorf("message queue=%d seq=%d missing", w.QueueID, w.Seq)
			continue
		}
		if !reflect.DeepEqual(NormalizeMessage(got), NormalizeMessage(w)) {
			t.Errorf("message queue=%d seq=%d:\n got %+v\nwant %+v", w.QueueID, w.Seq, got, w)
		}
	}
}

// Normalize returns a copy of s with queues sorted by ID, dedup records by
// queue and key, and empty maps and slices made nil, for comparison.
// Messages keep their order; records are left out.
func Normalize(s *queue.Snapshot) queue.Snapshot {
	n := queue.Snapshot{NextSeq: s.NextSeq, NextID: s.NextID}
	for _, q := range s.Queues {
		n.Queues = append(n.Queues, NormalizeQueue(q))
	}
	slices.SortFunc(n.Queues, func(a, b queue.QueueRecord) int { return cmp.Compare(a.ID, b.ID) })
	for _, m := range s.Messages {
		n.Messages = append(n.Messages, NormalizeMessage(m))
	}
	n.Dedup = slices.Clone(s.Dedup)
	slices.SortFunc(n.Dedup, func(a, b queue.DedupRecord) int {
		return cmp.Or(cmp.Compare(a.QueueID, b.QueueID), strings.Compare(a.Key, b.Key))
	})
	if len(n.Dedup) == 0 {
		n.Dedup = nil
	}
	return n
}

func normMap(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	return m
}

// NormalizeQueue returns q with empty attribute and tag maps made nil.
func NormalizeQueue(q queue.QueueRecord) queue.QueueRecord {
	q.Attributes = normMap(q.Attributes)
	q.Tags = normMap(q.Tags)
	return q
}

// NormalizeMessage returns m with empty attribute maps and slices made nil,
// its attribute maps copied.
func NormalizeMessage(m queue.MessageRecord) queue.MessageRecord {
	m.Attributes = normAttrs(m.Attributes)
	m.SystemAttributes = normAttrs(m.SystemAttributes)
	return m
}

func normAttrs(a queue.MessageAttributes) queue.MessageAttributes {
	if len(a) == 0 {
		return nil
	}
	out := maps.Clone(a)
	for k, v := range out {
		if len(v.BinaryValue) == 0 {
			v.BinaryValue = nil
		}
		if len(v.StringList) == 0 {
			v.StringList = nil
		}
		if len(v.BinaryList) == 0 {
			v.BinaryList = nil
		}
		v.BinaryList = slices.Clone(v.BinaryList)
		for i, b := range v.BinaryList {
			if len(b) == 0 {
				v.BinaryList[i] = nil
			}
		}
		out[k] = v
	}
	return out
}
