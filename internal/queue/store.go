package queue

import (
	"context"
	"fmt"
)

// QueueRecord is the durable description of a queue.
type QueueRecord struct {
	ID         int64             // unique for the life of the store, never reused
	Account    string            // owning account id
	Name       string            // queue name, unique per account
	Attributes map[string]string // settable attributes as last set (not the computed ones)
	Tags       map[string]string
	CreatedAt  int64 // unix seconds
	ModifiedAt int64 // unix seconds
}

// MessageRecord is the durable form of one message.
type MessageRecord struct {
	QueueID          int64
	Seq              int64  // engine-wide monotonic sequence, also the FIFO SequenceNumber
	ID               string // MessageId
	Body             string
	Attributes       MessageAttributes // user message attributes
	SystemAttributes MessageAttributes // AWSTraceHeader
	SenderID         string
	SentAt           int64 // unix milliseconds
	VisibleAt        int64 // unix nanoseconds; when the message may next be received
	ReceiveCount     int32
	FirstReceiveAt   int64 // unix milliseconds, 0 if never received
	GroupID          string
	DedupID          string
	DeadLetterSource string // ARN of the queue the message was dead-lettered from
}

// DedupRecord remembers a FIFO deduplication id for the 5-minute window.
type DedupRecord struct {
	QueueID   int64
	Key       string // dedup id, prefixed by group id when DeduplicationScope=messageGroup
	MessageID string
	Seq       int64
	ExpiresAt int64 // unix milliseconds
}

// Record is an opaque durable record kept for another part of Herald (the
// SNS topics, subscriptions and pending deliveries) in the same store, so
// that its changes can commit in one transaction with queue changes. Kind and
// Key identify it; Value is the owner's encoding.
type Record struct {
	Kind  string
	Key   string
	Value []byte
}

// OpKind says what an Op does.
type OpKind uint8

// Kinds of store operation.
const (
	OpPutQueue      OpKind = iota + 1 // insert or replace Queue
	OpDeleteQueue                     // delete queue QueueID and all its messages and dedup records
	OpPutMessage                      // insert Message
	OpUpdateMessage                   // set VisibleAt, ReceiveCount, FirstReceiveAt of (QueueID, Seq)
	OpDeleteMessage                   // delete (QueueID, Seq)
	OpPutDedup                        // insert or replace Dedup
	OpDeleteDedup                     // delete dedup records of QueueID with ExpiresAt <= Op.ExpiresAt
	OpPurgeQueue                      // delete every message of QueueID with Seq <= Op.Seq
	OpDropQueue                       // delete queue QueueID and its dedup records, leaving its messages to be deleted in smaller steps
	OpPutRecord                       // insert or replace Record
	OpDeleteRecord                    // delete the record of Record.Kind and Record.Key
)

// Op is one change to persist. Only the fields that its Kind names are used.
type Op struct {
	Kind           OpKind
	Queue          *QueueRecord
	Message        *MessageRecord
	Dedup          *DedupRecord
	Record         *Record
	QueueID        int64
	Seq            int64
	VisibleAt      int64
	ReceiveCount   int32
	FirstReceiveAt int64
	ExpiresAt      int64
}

// Snapshot is everything a store holds, read at start-up.
type Snapshot struct {
	Queues   []QueueRecord
	Messages []MessageRecord // in Seq order
	Dedup    []DedupRecord
	Records  []Record // by Kind, then Key
	NextSeq  int64    // greater than every Seq ever written, even of deleted messages
	NextID   int64    // greater than every queue ID ever written
}

// Store persists the engine's state.
//
// Apply must be safe for concurrent use. When it returns nil every op is
// durable (it survives a crash of the process and, for disk stores, of the
// machine). Ops of one call are applied in order and atomically; ops of
// concurrent calls may share one transaction (group commit). When Apply
// returns an error none of its ops may be assumed durable.
type Store interface {
	Load(ctx context.Context) (*Snapshot, error)
	Apply(ctx context.Context, ops []Op) error
	Close() error
}

// Validate reports an op that lacks the record its kind needs, or whose kind
// is unknown. Stores call it before applying anything.
func (op *Op) Validate() error {
	switch op.Kind {
	case OpPutQueue:
		if op.Queue == nil {
			return fmt.Errorf("OpPutQueue without Queue")
		}
	case OpPutMessage:
		if op.Message == nil {
			return fmt.Errorf("OpPutMessage without Message")
		}
	case OpPutDedup:
		if op.Dedup == nil {
			return fmt.Errorf("OpPutDedup without Dedup")
		}
	case OpPutRecord, OpDeleteRecord:
		if op.Record == nil {
			return fmt.Errorf("%s without Record", map[OpKind]string{OpPutRecord: "OpPutRecord", OpDeleteRecord: "OpDeleteRecord"}[op.Kind])
		}
	case OpDeleteQueue, OpDropQueue, OpUpdateMessage, OpDeleteMessage, OpDeleteDedup, OpPurgeQueue:
	default:
		return fmt.Errorf("unknown op kind %d", op.Kind)
	}
	return nil
}
