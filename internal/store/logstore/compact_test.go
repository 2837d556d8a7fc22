package logstore_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/herald-dev/herald/internal/queue"
	"github.com/herald-dev/herald/internal/store/logstore"
	"github.com/herald-dev/herald/internal/store/storetest"
)

// waitCompactor waits until no compaction is under way (one starts only
// after a commit, so none starts while the test writes nothing).
func waitCompactor(t *testing.T, s *logstore.Store) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for logstore.Compacting(s) {
		if time.Now().After(deadline) {
			t.Fatalf("the compactor is still busy after 10 s: %+v", s.Stats())
		}
		time.Sleep(time.Millisecond)
	}
}

// TestCompaction writes many messages into 4 KiB segments and deletes most
// of them while long-lived messages, queue, dedup and opaque records stay:
// the store must remove dead segments and compact the oldest live ones so
// that the number of segment files stays bounded by the live data, and
// after a reopen everything live must be exactly as a memstore fed the
// same ops has it, including updates made after a record was relocated
// and the NextSeq and NextID carried by records long deleted.
func TestCompaction(t *testing.T) {
	t.Parallel()
	const segBytes = 4096
	opts := logstore.Options{SegmentBytes: segBytes}
	dir := t.TempDir()
	s := openOpts(t, dir, opts)
	m := newModel(t, s)

	// High-water marks whose records are deleted at once: only the meta
	// frames of later segments keep them once segment 1 is gone.
	m.apply(putQ(storetest.Queue(1000)))
	m.apply(putM(storetest.Message(1000, 5_000_000)), putD(storetest.Dedup(1000, "hw", 6_000_000, 1)))
	m.apply(delQ(1000))

	for id := int64(1); id <= 3; id++ {
		m.apply(putQ(storetest.Queue(id)), putD(storetest.Dedup(id, "long", id, 1<<40)))
	}
	for i := range 5 {
		m.apply(putR("topic", fmt.Sprintf("t%d", i), strings.Repeat("T", 100+i)))
	}
	var long []int64 // long-lived messages
	updates := map[int64]int32{}
	rng := rand.New(rand.NewPCG(7, 7))
	seq := int64(100)
	maxSegs, maxOver := 0, int64(0)
	observe := func(phase string) {
		// Compaction starts when the dead bytes exceed the live ones plus a
		// segment and runs beside the writes; on a busy machine it lags
		// behind them, so the bounds hold once it has caught up.
		waitCompactor(t, s)
		st := s.Stats()
		maxSegs = max(maxSegs, st.Segments)
		maxOver = max(maxOver, st.LogBytes-2*st.LiveBytes)
		if st.LiveBytes > st.LogBytes || st.LiveBytes <= 0 {
			t.Fatalf("%s: LiveBytes %d, LogBytes %d", phase, st.LiveBytes, st.LogBytes)
		}
		if st.LogBytes > 2*st.LiveBytes+8*segBytes {
			t.Fatalf("%s: %d bytes of log for %d live ones (%d segments): compaction does not keep up", phase, st.LogBytes, st.LiveBytes, st.Segments)
		}
	}
	// One Apply per step, mostly: a put, the delete of the previous
	// message unless it lives on, and now and then an update of a
	// long-lived one, a dedup expiry or a replaced queue and record.
	prev := int64(0)
	step := func(i int, keepEvery int) {
		seq++
		qid := 1 + int64(i%3)
		var msg queue.MessageRecord
		if i%2 == 0 {
			msg = storetest.Message(qid, seq)
		} else {
			msg = storetest.PlainMessage(qid, seq, strings.Repeat("b", 200+i%50))
		}
		ops := []queue.Op{putM(msg), putD(storetest.Dedup(qid, fmt.Sprintf("k%d", seq), seq, int64(i)))}
		if prev != 0 {
			ops = append(ops, delM(prev>>32, prev&(1<<32-1)))
			prev = 0
		}
		if keepEvery > 0 && i%keepEvery == 0 {
			long = append(long, qid<<32|seq)
		} else {
			prev = qid<<32 | seq
		}
		if i%5 == 0 && len(long) > 0 {
			k := long[rng.IntN(len(long))]
			updates[k]++
			ops = append(ops, updM(k>>32, k&(1<<32-1), int64(i)*1000, updates[k], int64(i)))
		}
		if i%40 == 0 {
			for q := int64(1); q <= 3; q++ {
				ops = append(ops, queue.Op{Kind: queue.OpDeleteDedup, QueueID: q, ExpiresAt: int64(i)})
			}
		}
		if i%100 == 0 {
			q := storetest.Queue(2)
			q.ModifiedAt = int64(i)
			q.Attributes["DelaySeconds"] = fmt.Sprint(i)
			ops = append(ops, putQ(q), putR("topic", "t0", fmt.Sprintf("v%d", i)))
		}
		m.apply(ops...)
		if i%20 == 0 {
			observe(fmt.Sprintf("step %d", i))
		}
	}
	// Growth: every tenth message lives on.
	for i := range 400 {
		step(i, 8)
	}
	waitCompactor(t, s)
	st := s.Stats()
	t.Logf("after growth: %+v; at most %d segments, log at most %d bytes over twice the live ones", st, maxSegs, maxOver)
	if st.Compactions == 0 || st.SegmentsRemoved == 0 {
		t.Fatalf("no compaction or segment removal: %+v", st)
	}
	if _, err := os.Stat(segName(dir, 1)); err == nil {
		t.Errorf("segment 1 still there")
	}
	m.check("after growth")

	// Steady state: the live set no longer grows, so neither may the log.
	grown := st.Segments
	maxSegs = 0
	for i := 400; i < 900; i++ {
		step(i, 0)
	}
	waitCompactor(t, s)
	st = s.Stats()
	t.Logf("after steady state: %+v; at most %d segments", st, maxSegs)
	if maxSegs > grown+4 {
		t.Errorf("steady state reached %d segments, %d before it: the log grows without live data", maxSegs, grown)
	}
	m.check("after steady state")

	// Updates of relocated messages, then a restart.
	for _, k := range long {
		updates[k] += 10
		m.apply(updM(k>>32, k&(1<<32-1), 777, updates[k], 888))
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if st, files := s.Stats(), len(segFiles(t, dir)); st.Segments != files {
		t.Errorf("after Close Stats says %d segments, there are %d files", st.Segments, files)
	}
	s = openOpts(t, dir, opts)
	m.s = s
	m.check("after reopen")
	if st := s.Stats(); st.Segments != len(segFiles(t, dir)) {
		t.Errorf("after reopen Stats says %d segments, %d files", st.Segments, len(segFiles(t, dir)))
	}

	// Delete everything: the log shrinks to a segment or two, and the
	// high-water marks still hold after another restart.
	for _, k := range long {
		m.apply(delM(k>>32, k&(1<<32-1)))
	}
	for q := int64(1); q <= 3; q++ {
		m.apply(delQ(q))
	}
	for i := range 5 {
		m.apply(delR("topic", fmt.Sprintf("t%d", i)))
	}
	for i := range 100 { // churn until the old segments are gone
		m.apply(putR("churn", "x", strings.Repeat("c", 2*i)))
	}
	m.apply(delR("churn", "x"))
	waitCompactor(t, s)
	st = s.Stats()
	t.Logf("after deleting everything: %+v", st)
	if st.Segments > 3 {
		t.Errorf("%d segments hold nothing live", st.Segments)
	}
	s = reopen(t, s, dir, opts)
	m.s = s
	m.check("empty, after reopen")
	snap := mustLoad(t, s)
	if snap.NextSeq != 6_000_001 || snap.NextID != 1001 {
		t.Errorf("NextSeq, NextID = %d, %d; want 6000001, 1001", snap.NextSeq, snap.NextID)
	}
}

// TestRandomOps applies random ops of every kind to a log of 4 KiB
// segments and to a memstore, reopening now and then, and compares them.
func TestRandomOps(t *testing.T) {
	t.Parallel()
	for _, seed := range []uint64{1, 2, 3} {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			t.Parallel()
			opts := logstore.Options{SegmentBytes: 4096}
			dir := t.TempDir()
			s := openOpts(t, dir, opts)
			m := newModel(t, s)
			rng := rand.New(rand.NewPCG(seed, 99))
			seq, qid := int64(0), int64(0)
			queues := []int64{}
			randQueue := func() int64 {
				if len(queues) == 0 || rng.IntN(20) == 0 {
					return 1 + rng.Int64N(qid+1) // maybe one that is gone
				}
				return queues[rng.IntN(len(queues))]
			}
			var msgs [][2]int64 // puts, most of them live
			randMsg := func(remove bool) (int64, int64) {
				if len(msgs) == 0 || rng.IntN(10) == 0 {
					return randQueue(), max(1, seq-rng.Int64N(30)) // maybe one that is gone
				}
				j := rng.IntN(len(msgs))
				m := msgs[j]
				if remove {
					msgs[j] = msgs[len(msgs)-1]
					msgs = msgs[:len(msgs)-1]
				}
				return m[0], m[1]
			}
			var compactions uint64
			for i := range 600 {
				n := 1 + rng.IntN(3)
				ops := make([]queue.Op, 0, n)
				for range n {
					var op queue.Op
					switch k := rng.IntN(100); {
					case k < 4 || len(queues) == 0:
						qid++
						queues = append(queues, qid)
						op = putQ(storetest.Queue(qid))
					case k < 6:
						q := storetest.Queue(randQueue())
						q.ModifiedAt = int64(i)
						op = putQ(q)
					case k < 7:
						j := rng.IntN(len(queues))
						op = delQ(queues[j])
						queues = append(queues[:j], queues[j+1:]...)
					case k < 8:
						j := rng.IntN(len(queues))
						op = queue.Op{Kind: queue.OpDropQueue, QueueID: queues[j]}
						queues = append(queues[:j], queues[j+1:]...)
					case k < 35:
						seq++
						q := randQueue()
						msgs = append(msgs, [2]int64{q, seq})
						if rng.IntN(2) == 0 {
							op = putM(storetest.Message(q, seq))
						} else {
							op = putM(storetest.PlainMessage(q, seq, strings.Repeat("p", rng.IntN(300))))
						}
					case k < 50:
						q, sq := randMsg(false)
						op = updM(q, sq, rng.Int64(), rng.Int32(), rng.Int64N(1e12))
					case k < 75:
						op = delM(randMsg(true))
					case k < 80:
						op = putD(storetest.Dedup(randQueue(), fmt.Sprintf("d%d", rng.IntN(20)), max(1, seq-rng.Int64N(30)), rng.Int64N(100)))
					case k < 82:
						op = queue.Op{Kind: queue.OpDeleteDedup, QueueID: randQueue(), ExpiresAt: rng.Int64N(100)}
					case k < 83:
						op = queue.Op{Kind: queue.OpPurgeQueue, QueueID: randQueue(), Seq: max(1, seq-rng.Int64N(30))}
					case k < 93:
						op = putR(fmt.Sprintf("kind%d", rng.IntN(3)), fmt.Sprintf("key%d", rng.IntN(15)), strings.Repeat("r", rng.IntN(120)))
					default:
						op = delR(fmt.Sprintf("kind%d", rng.IntN(3)), fmt.Sprintf("key%d", rng.IntN(15)))
					}
					ops = append(ops, op)
				}
				m.apply(ops...)
				if i%200 == 199 {
					waitCompactor(t, s)
					compactions += s.Stats().Compactions
					m.check(fmt.Sprintf("op %d", i))
					s = reopen(t, s, dir, opts)
					m.s = s
					m.check(fmt.Sprintf("op %d, after reopen", i))
				}
			}
			t.Logf("%d compactions; %+v", compactions, s.Stats())
			if compactions == 0 {
				t.Errorf("no compaction happened")
			}
		})
	}
}
