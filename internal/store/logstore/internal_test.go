package logstore

// White-box tests: the codec, and group commits built by hand.

import (
	"context"
	"errors"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/herald-dev/herald/internal/queue"
	"github.com/herald-dev/herald/internal/store/binenc"
	"github.com/herald-dev/herald/internal/store/storetest"
)

// codecOps returns ops of every kind, with extreme and empty values.
func codecOps() []queue.Op {
	q := storetest.Queue(math.MaxInt64)
	empty := queue.QueueRecord{ID: math.MinInt64}
	m := storetest.Message(7, math.MaxInt64)
	m.ReceiveCount = math.MinInt32
	plain := storetest.PlainMessage(-1, math.MinInt64, "")
	d := storetest.Dedup(3, "ключ", 9, math.MinInt64)
	return []queue.Op{
		{Kind: queue.OpPutQueue, Queue: &q},
		{Kind: queue.OpPutQueue, Queue: &empty},
		{Kind: queue.OpDeleteQueue, QueueID: -5},
		{Kind: queue.OpDropQueue, QueueID: math.MaxInt64},
		{Kind: queue.OpPutMessage, Message: &m},
		{Kind: queue.OpPutMessage, Message: &plain},
		{Kind: queue.OpUpdateMessage, QueueID: 1, Seq: 2, VisibleAt: math.MaxInt64, ReceiveCount: math.MaxInt32, FirstReceiveAt: math.MinInt64},
		{Kind: queue.OpDeleteMessage, QueueID: 1, Seq: -2},
		{Kind: queue.OpPutDedup, Dedup: &d},
		{Kind: queue.OpDeleteDedup, QueueID: 3, ExpiresAt: 1 << 62},
		{Kind: queue.OpPurgeQueue, QueueID: 3, Seq: 1 << 40},
		{Kind: queue.OpPutRecord, Record: &queue.Record{Kind: "topic", Key: "arn:aws:sns:x", Value: []byte{0, 1, 2, 255}}},
		{Kind: queue.OpPutRecord, Record: &queue.Record{Kind: "", Key: "", Value: []byte{}}},
		{Kind: queue.OpDeleteRecord, Record: &queue.Record{Kind: "topic", Key: "arn:aws:sns:x"}},
		{Kind: opMeta, Seq: math.MaxInt64, QueueID: math.MinInt64},
	}
}

// normOp makes empty maps and slices nil, so that ops that encode equally
// compare equal.
func normOp(op queue.Op) queue.Op {
	if op.Queue != nil {
		q := storetest.NormalizeQueue(*op.Queue)
		op.Queue = &q
	}
	if op.Message != nil {
		m := storetest.NormalizeMessage(*op.Message)
		op.Message = &m
	}
	if op.Record != nil {
		r := *op.Record
		if len(r.Value) == 0 {
			r.Value = nil
		}
		op.Record = &r
	}
	return op
}

// decodeAll decodes a payload into copies of its ops and their sizes.
func decodeAll(payload []byte) ([]queue.Op, []int, error) {
	var ops []queue.Op
	var sizes []int
	err := decodeOps(payload, func(op *queue.Op, size int) error {
		ops = append(ops, *op)
		sizes = append(sizes, size)
		return nil
	})
	return ops, sizes, err
}

func TestCodecRoundTrip(t *testing.T) {
	ops := codecOps()
	var payload []byte
	var want []int
	for i := range ops {
		n := len(payload)
		payload = appendOp(payload, &ops[i])
		want = append(want, len(payload)-n)
	}
	got, sizes, err := decodeAll(payload)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(ops) {
		t.Fatalf("%d ops decoded, want %d", len(got), len(ops))
	}
	for i := range ops {
		if !reflect.DeepEqual(normOp(got[i]), normOp(ops[i])) {
			t.Errorf("op %d (kind %d):\n got %+v\nwant %+v", i, ops[i].Kind, normOp(got[i]), normOp(ops[i]))
		}
		if sizes[i] != want[i] {
			t.Errorf("op %d: size %d, encoded in %d bytes", i, sizes[i], want[i])
		}
	}
	// The decoded records do not alias the payload.
	for i := range payload {
		payload[i] = 0xff
	}
	for i := range ops {
		if !reflect.DeepEqual(normOp(got[i]), normOp(ops[i])) {
			t.Errorf("op %d changed with the payload it was decoded from", i)
		}
	}
	// Every proper prefix is refused or decodes fewer ops; none panics.
	payload = payload[:0]
	for i := range ops {
		payload = appendOp(payload, &ops[i])
	}
	for n := range len(payload) {
		got, _, err := decodeAll(payload[:n])
		if err == nil && len(got) >= len(ops) {
			t.Fatalf("prefix of %d bytes decoded all %d ops", n, len(got))
		}
	}
}

// TestCodecCoversEveryField fills every field of the records with a
// distinct value by reflection, so that a field added to a record but not
// to the codec fails here.
func TestCodecCoversEveryField(t *testing.T) {
	n := int64(0)
	var fill func(v reflect.Value)
	fill = func(v reflect.Value) {
		n++
		switch v.Kind() {
		case reflect.Int64, reflect.Int32, reflect.Int:
			v.SetInt(n * 1_000_003)
		case reflect.String:
			v.SetString(strings.Repeat("s", int(n)))
		case reflect.Slice:
			v.Set(reflect.ValueOf([]byte{byte(n), 0, byte(n)}).Convert(v.Type()))
		case reflect.Map:
			if v.Type() == reflect.TypeFor[queue.MessageAttributes]() {
				v.Set(reflect.ValueOf(storetest.Message(1, n).Attributes))
			} else {
				v.Set(reflect.ValueOf(map[string]string{"k": strings.Repeat("v", int(n))}))
			}
		case reflect.Struct:
			for i := range v.NumField() {
				fill(v.Field(i))
			}
		default:
			t.Fatalf("no filler for %s", v.Type())
		}
	}
	var q queue.QueueRecord
	var m queue.MessageRecord
	var d queue.DedupRecord
	var r queue.Record
	for _, p := range []any{&q, &m, &d, &r} {
		fill(reflect.ValueOf(p).Elem())
	}
	var upd queue.Op
	fill(reflect.ValueOf(&upd.QueueID).Elem())
	fill(reflect.ValueOf(&upd.Seq).Elem())
	fill(reflect.ValueOf(&upd.VisibleAt).Elem())
	fill(reflect.ValueOf(&upd.ReceiveCount).Elem())
	fill(reflect.ValueOf(&upd.FirstReceiveAt).Elem())
	upd.Kind = queue.OpUpdateMessage
	for _, op := range []queue.Op{
		{Kind: queue.OpPutQueue, Queue: &q},
		{Kind: queue.OpPutMessage, Message: &m},
		{Kind: queue.OpPutDedup, Dedup: &d},
		{Kind: queue.OpPutRecord, Record: &r},
		upd,
	} {
		got, _, err := decodeAll(appendOp(nil, &op))
		if err != nil || len(got) != 1 {
			t.Fatalf("kind %d: %d ops, %v", op.Kind, len(got), err)
		}
		if !reflect.DeepEqual(normOp(got[0]), normOp(op)) {
			t.Errorf("kind %d does not round-trip:\n got %+v\nwant %+v", op.Kind, normOp(got[0]), normOp(op))
		}
	}
}

func TestDecodeCorrupt(t *testing.T) {
	for name, payload := range map[string][]byte{
		"unknown kind":         {0},
		"kind 99":              {99, 1, 2},
		"truncated varint":     {byte(queue.OpDeleteQueue), 0x80},
		"string beyond input":  {byte(queue.OpPutRecord), 10, 'a'},
		"bad attribute format": {byte(queue.OpPutMessage), 2, 2, 0, 0, 3, 9, 9, 9},
	} {
		if _, _, err := decodeAll(payload); !errors.Is(err, binenc.ErrCorrupt) {
			t.Errorf("%s: %v, want ErrCorrupt", name, err)
		}
	}
}

// FuzzDecodeOps decodes arbitrary payloads; whatever decodes must encode
// to something that decodes to the same ops, in as many bytes.
func FuzzDecodeOps(f *testing.F) {
	ops := codecOps()
	for i := range ops {
		f.Add(appendOp(nil, &ops[i]))
	}
	var all []byte
	for i := range ops {
		all = appendOp(all, &ops[i])
	}
	f.Add(all)
	f.Fuzz(func(t *testing.T, payload []byte) {
		got, _, err := decodeAll(payload)
		if err != nil {
			return
		}
		for i := range got {
			enc := appendOp(nil, &got[i])
			again, sizes, err := decodeAll(enc)
			if err != nil {
				t.Fatalf("op %d (%+v) re-encoded does not decode: %v", i, got[i], err)
			}
			if len(again) != 1 || sizes[0] != len(enc) {
				t.Fatalf("op %d re-encoded decodes to %d ops", i, len(again))
			}
			if !reflect.DeepEqual(normOp(again[0]), normOp(got[i])) {
				t.Fatalf("op %d does not round-trip:\n got %+v\nwant %+v", i, normOp(again[0]), normOp(got[i]))
			}
		}
	})
}

// submitGroup hands reqs to the writer in one go, so that they are taken
// as one group, and waits for their answers.
func submitGroup(s *Store, reqs []*request) []error {
	errs := make([]error, len(reqs))
	if err := s.q.Enqueue(reqs...); err != nil {
		for i := range errs {
			errs[i] = err
		}
		return errs
	}
	for i, r := range reqs {
		errs[i] = s.q.Wait(context.Background(), r)
	}
	return errs
}

func applyReq(ops ...queue.Op) *request {
	return &request{kind: reqApply, ops: ops}
}

// TestGroupWithRefusedApply: in one group commit, the Apply that would
// pass MaxBytes is refused alone; the others, before and after it, commit
// in the same frame.
func TestGroupWithRefusedApply(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(context.Background(), dir, Options{MaxBytes: 10_000})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	q := storetest.Queue(1)
	if err := s.Apply(context.Background(), []queue.Op{{Kind: queue.OpPutQueue, Queue: &q}}); err != nil {
		t.Fatal(err)
	}
	msg := func(seq int64, size int) queue.Op {
		m := storetest.PlainMessage(1, seq, strings.Repeat("m", size))
		return queue.Op{Kind: queue.OpPutMessage, Message: &m}
	}
	before := s.Stats().Commits
	errs := submitGroup(s, []*request{
		applyReq(msg(1, 3000)),
		applyReq(msg(2, 20_000)), // alone over the cap
		applyReq(msg(3, 3000)),
		applyReq(msg(4, 3000), msg(5, 3000)), // fits alone, not after 1 and 3
		applyReq(msg(6, 100), queue.Op{Kind: queue.OpDeleteMessage, QueueID: 1, Seq: 1}),
	})
	if st := s.Stats(); st.Commits != before+1 {
		t.Errorf("%d commits for one group", st.Commits-before)
	}
	for i, want := range []bool{true, false, true, false, true} {
		if ok := errs[i] == nil; ok != want {
			t.Errorf("Apply %d: %v", i, errs[i])
		}
		if !want && !errors.Is(errs[i], queue.ErrStorageFull) {
			t.Errorf("Apply %d: %v, want ErrStorageFull", i, errs[i])
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = Open(context.Background(), dir, Options{MaxBytes: 10_000})
	if err != nil {
		t.Fatal(err)
	}
	snap, err := s.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var seqs []int64
	for _, m := range snap.Messages {
		seqs = append(seqs, m.Seq)
	}
	if !slices.Equal(seqs, []int64{3, 6}) {
		t.Errorf("messages %v after reopen, want [3 6]", seqs)
	}
}

// TestAbandonedRequestSkipped: a request abandoned by its caller before
// the writer takes it is never applied, and does not hold up the group.
// Whether the caller gives up before the writer takes the request is the
// scheduler's call (groupcommit's tests pin it down): if the writer was
// first, the request must be applied and answered instead.
func TestAbandonedRequestSkipped(t *testing.T) {
	s, err := Open(context.Background(), t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rec := func(key string) queue.Op {
		return queue.Op{Kind: queue.OpPutRecord, Record: &queue.Record{Kind: "k", Key: key, Value: []byte("v")}}
	}
	a, b, c := applyReq(rec("a")), applyReq(rec("b")), applyReq(rec("c"))
	before := s.Stats().Commits
	if err := s.q.Enqueue(a, b, c); err != nil {
		t.Fatal(err)
	}
	gone, cancel := context.WithCancel(context.Background())
	cancel()
	want := []string{"a", "c"}
	switch err := s.q.Wait(gone, b); {
	case errors.Is(err, context.Canceled) && b.Abandoned():
	case err == nil && !b.Abandoned():
		t.Log("the writer took b before its caller gave up")
		want = []string{"a", "b", "c"}
	default:
		t.Fatalf("abandoned request: %v (abandoned %v)", err, b.Abandoned())
	}
	for _, r := range []*request{a, c} {
		if err := s.q.Wait(context.Background(), r); err != nil {
			t.Fatal(err)
		}
	}
	if n := s.Stats().Commits - before; n != 1 {
		t.Errorf("%d commits for one group", n)
	}
	snap, err := s.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, r := range snap.Records {
		keys = append(keys, r.Key)
	}
	if !slices.Equal(keys, want) {
		t.Errorf("records %v, want %v", keys, want)
	}
}
