package logstore_test

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/herald-dev/herald/internal/queue"
	"github.com/herald-dev/herald/internal/store/logstore"
	"github.com/herald-dev/herald/internal/store/memstore"
	"github.com/herald-dev/herald/internal/store/storetest"
)

// openOpts opens the log in dir with opts and closes it when the test ends.
func openOpts(t testing.TB, dir string, opts logstore.Options) *logstore.Store {
	t.Helper()
	s, err := logstore.Open(context.Background(), dir, opts)
	if err != nil {
		t.Fatalf("Open %s: %v", dir, err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// reopen closes s and opens dir again with opts.
func reopen(t testing.TB, s *logstore.Store, dir string, opts logstore.Options) *logstore.Store {
	t.Helper()
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	return openOpts(t, dir, opts)
}

func mustApply(t testing.TB, s queue.Store, ops ...queue.Op) {
	t.Helper()
	if err := s.Apply(context.Background(), ops); err != nil {
		t.Fatalf("Apply: %v", err)
	}
}

func mustLoad(t testing.TB, s queue.Store) *queue.Snapshot {
	t.Helper()
	snap, err := s.Load(context.Background())
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return snap
}

// model applies the same ops to a logstore and to a memstore, the
// reference semantics, so that their snapshots can be compared.
type model struct {
	t   testing.TB
	s   *logstore.Store
	mem *memstore.Store
}

func newModel(t testing.TB, s *logstore.Store) *model {
	return &model{t: t, s: s, mem: memstore.New()}
}

func (m *model) apply(ops ...queue.Op) {
	m.t.Helper()
	mustApply(m.t, m.s, ops...)
	if err := m.mem.Apply(context.Background(), ops); err != nil {
		m.t.Fatalf("memstore Apply: %v", err)
	}
}

// check compares the logstore's snapshot with the memstore's, exactly,
// NextSeq and NextID included.
func (m *model) check(what string) {
	m.t.Helper()
	requireSameSnapshot(m.t, what, mustLoad(m.t, m.s), mustLoad(m.t, m.mem))
}

func putQ(r queue.QueueRecord) queue.Op   { return queue.Op{Kind: queue.OpPutQueue, Queue: &r} }
func putM(r queue.MessageRecord) queue.Op { return queue.Op{Kind: queue.OpPutMessage, Message: &r} }
func putD(r queue.DedupRecord) queue.Op   { return queue.Op{Kind: queue.OpPutDedup, Dedup: &r} }
func putR(kind, key, value string) queue.Op {
	return putRec(queue.Record{Kind: kind, Key: key, Value: []byte(value)})
}
func putRec(r queue.Record) queue.Op { return queue.Op{Kind: queue.OpPutRecord, Record: &r} }
func delR(kind, key string) queue.Op {
	return queue.Op{Kind: queue.OpDeleteRecord, Record: &queue.Record{Kind: kind, Key: key}}
}
func delM(queueID, seq int64) queue.Op {
	return queue.Op{Kind: queue.OpDeleteMessage, QueueID: queueID, Seq: seq}
}
func delQ(queueID int64) queue.Op { return queue.Op{Kind: queue.OpDeleteQueue, QueueID: queueID} }
func updM(queueID, seq, visibleAt int64, count int32, first int64) queue.Op {
	return queue.Op{Kind: queue.OpUpdateMessage, QueueID: queueID, Seq: seq, VisibleAt: visibleAt, ReceiveCount: count, FirstReceiveAt: first}
}

// requireSameSnapshot fails t unless got and want hold the same records
// (nil and empty maps and slices are equal) and the same NextSeq and NextID.
func requireSameSnapshot(t testing.TB, what string, got, want *queue.Snapshot) {
	t.Helper()
	g, w := normSnapshot(got), normSnapshot(want)
	if g.NextSeq != w.NextSeq || g.NextID != w.NextID {
		t.Errorf("%s: NextSeq, NextID = %d, %d; want %d, %d", what, g.NextSeq, g.NextID, w.NextSeq, w.NextID)
	}
	if !reflect.DeepEqual(g.Queues, w.Queues) {
		t.Errorf("%s: queues differ:\n got %+v\nwant %+v", what, g.Queues, w.Queues)
	}
	if !reflect.DeepEqual(g.Dedup, w.Dedup) {
		t.Errorf("%s: dedup records differ:\n got %+v\nwant %+v", what, g.Dedup, w.Dedup)
	}
	if !reflect.DeepEqual(g.Records, w.Records) {
		t.Errorf("%s: records differ:\n got %d %+v\nwant %d %+v", what, len(g.Records), g.Records, len(w.Records), w.Records)
	}
	if !reflect.DeepEqual(g.Messages, w.Messages) {
		have := map[[2]int64]queue.MessageRecord{}
		for _, m := range g.Messages {
			have[[2]int64{m.QueueID, m.Seq}] = m
		}
		shown := 0
		for _, m := range w.Messages {
			k := [2]int64{m.QueueID, m.Seq}
			gm, ok := have[k]
			delete(have, k)
			if shown < 5 && (!ok || !reflect.DeepEqual(gm, m)) {
				shown++
				if !ok {
					t.Errorf("%s: message %v missing", what, k)
				} else {
					t.Errorf("%s: message %v:\n got %+v\nwant %+v", what, k, gm, m)
				}
			}
		}
		for k := range have {
			if shown < 10 {
				shown++
				t.Errorf("%s: message %v present, want absent", what, k)
			}
		}
		t.Errorf("%s: %d messages, want %d", what, len(g.Messages), len(w.Messages))
	}
}

// normSnapshot is storetest.Normalize with messages sorted and records
// (empty values made nil) sorted by kind and key.
func normSnapshot(s *queue.Snapshot) queue.Snapshot {
	n := storetest.Normalize(s)
	slices.SortFunc(n.Messages, func(a, b queue.MessageRecord) int {
		return cmp.Or(cmp.Compare(a.Seq, b.Seq), cmp.Compare(a.QueueID, b.QueueID))
	})
	for _, r := range s.Records {
		if len(r.Value) == 0 {
			r.Value = nil
		}
		n.Records = append(n.Records, r)
	}
	slices.SortFunc(n.Records, func(a, b queue.Record) int {
		return cmp.Or(strings.Compare(a.Kind, b.Kind), strings.Compare(a.Key, b.Key))
	})
	return n
}

// segName is the name the store gives segment id (see segment.go).
func segName(dir string, id uint64) string {
	return filepath.Join(dir, fmt.Sprintf("%016d.log", id))
}

// segFiles returns the segment files in dir, ascending.
func segFiles(t testing.TB, dir string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "*.log"))
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(m)
	return m
}

func fileSize(t testing.TB, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

func appendFile(t testing.TB, path string, b []byte) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}
