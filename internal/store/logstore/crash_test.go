package logstore_test

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/herald-dev/herald/internal/crashtest"
	"github.com/herald-dev/herald/internal/queue"
	"github.com/herald-dev/herald/internal/store/logstore"
	"github.com/herald-dev/herald/internal/store/storetest"
)

const crashEnv = "HERALD_LOGSTORE_CRASH_DIR"

// crashOpts are the options of the crash child and of the parent's reopen:
// small segments, so that the load rolls segments, removes dead ones and
// compacts while it runs.
var crashOpts = logstore.Options{SegmentBytes: 64 << 10}

// The crash child's plan for message seq: a put (with an opaque record in
// the same Apply for every fifth seq), crashUpdates(seq) updates numbered
// 1, 2, ..., and a delete unless crashKeep(seq).
func crashUpdates(seq int64) int { return 1 + int(seq%3) }
func crashKeep(seq int64) bool   { return seq%4 == 0 }
func crashRecord(seq int64) bool { return seq%5 == 0 }

// crashMessage is message seq as it is after k acknowledged updates.
func crashMessage(seq int64, k int) queue.MessageRecord {
	m := storetest.Message(1, seq)
	if k > 0 {
		m.VisibleAt, m.ReceiveCount, m.FirstReceiveAt = seq*7+int64(k), int32(k), seq*11
	}
	return m
}

func crashRecordValue(seq int64) string {
	return fmt.Sprintf("record of %d %s", seq, strings.Repeat("r", int(seq%50)))
}

// TestCrashChild is the child process of TestCrashRecovery: it writes from
// 16 goroutines until it is killed, printing every acknowledged op and,
// every 20ms, the store's counters. It does nothing when run directly.
func TestCrashChild(t *testing.T) {
	dir := os.Getenv(crashEnv)
	if dir == "" {
		t.Skip("run by TestCrashRecovery")
	}
	fail := func(err error) {
		fmt.Println("error", strings.ReplaceAll(err.Error(), "\n", " "))
		os.Exit(1)
	}
	ctx := context.Background()
	s, err := logstore.Open(ctx, dir, crashOpts)
	if err != nil {
		fail(err)
	}
	snap, err := s.Load(ctx)
	if err != nil {
		fail(err)
	}
	if len(snap.Queues) == 0 {
		q := storetest.Queue(1)
		if err := s.Apply(ctx, []queue.Op{putQ(q)}); err != nil {
			fail(err)
		}
	}
	var mu sync.Mutex
	say := func(format string, args ...any) {
		mu.Lock() // one write(2) per line, never interleaved
		fmt.Fprintf(os.Stdout, format+"\n", args...)
		mu.Unlock()
	}
	say("start %d", snap.NextSeq)
	var next atomic.Int64
	next.Store(snap.NextSeq - 1)
	for range 16 {
		go func() {
			for {
				seq := next.Add(1)
				m := crashMessage(seq, 0)
				ops := []queue.Op{putM(m)}
				if crashRecord(seq) {
					ops = append(ops, putR("crash", strconv.FormatInt(seq, 10), crashRecordValue(seq)))
				}
				if err := s.Apply(ctx, ops); err != nil {
					fail(err)
				}
				say("put %d", seq)
				for k := 1; k <= crashUpdates(seq); k++ {
					u := crashMessage(seq, k)
					if err := s.Apply(ctx, []queue.Op{updM(1, seq, u.VisibleAt, u.ReceiveCount, u.FirstReceiveAt)}); err != nil {
						fail(err)
					}
					say("upd %d %d", seq, k)
				}
				if !crashKeep(seq) {
					if err := s.Apply(ctx, []queue.Op{delM(1, seq)}); err != nil {
						fail(err)
					}
					say("del %d", seq)
				}
			}
		}()
	}
	for {
		time.Sleep(20 * time.Millisecond)
		st := s.Stats()
		say("stats %d %d %d", st.Segments, st.SegmentsRemoved, st.Compactions)
	}
}

// crashAck is what the child acknowledged of one seq.
type crashAck struct {
	put  bool
	upd  int
	del  bool
	seen bool // some line named it
}

// crashRun is one life of the child, as its output told it.
type crashRun struct {
	start                          int64
	acks                           map[int64]*crashAck
	segments, removed, compactions int64
	lines                          int
}

// TestCrashRecovery kills a child process writing with 16 goroutines with
// SIGKILL, three times, reopening the same directory each time, and checks
// that every acknowledged op survived with exact content: acknowledged puts
// are there unless their delete was acknowledged, acknowledged deletes never
// come back, a message never has fewer updates than were acknowledged (nor
// more than one beyond), the opaque record put in the same Apply as a
// message is there with it, what an earlier recovery saw stays exactly as it
// was, and NextSeq never goes back.
func TestCrashRecovery(t *testing.T) {
	if testing.Short() {
		t.Skip("slow: runs a child process")
	}
	t.Parallel()
	dir := t.TempDir()
	type state struct {
		present bool
		k       int
	}
	known := map[int64]state{} // what earlier recoveries saw
	var nextSeq int64
	var removed, compactions int64
	for round := range 3 {
		run := runCrashChild(t, dir, round)
		removed += run.removed
		compactions += run.compactions

		s, err := logstore.Open(context.Background(), dir, crashOpts)
		if err != nil {
			t.Fatalf("round %d: reopen after SIGKILL: %v", round, err)
		}
		snap, err := s.Load(context.Background())
		if err != nil {
			t.Fatalf("round %d: load after SIGKILL: %v", round, err)
		}
		if err := s.Close(); err != nil {
			t.Fatalf("round %d: close: %v", round, err)
		}
		if len(snap.Queues) != 1 || snap.Queues[0].ID != 1 {
			t.Errorf("round %d: queues %+v, want queue 1", round, snap.Queues)
		}
		if run.start != max(nextSeq, 1) {
			t.Errorf("round %d: child started at seq %d, want the NextSeq %d of the last recovery", round, run.start, max(nextSeq, 1))
		}
		have := map[int64]queue.MessageRecord{}
		for _, m := range snap.Messages {
			have[m.Seq] = m
		}
		records := map[string]string{}
		for _, r := range snap.Records {
			if r.Kind == "crash" {
				records[r.Key] = string(r.Value)
			}
		}
		var maxSeq int64
		for seq := range have {
			maxSeq = max(maxSeq, seq)
		}
		for seq := range run.acks {
			maxSeq = max(maxSeq, seq)
		}
		// updates returns how many updates m shows, or -1 if it is not
		// message seq after any number of them.
		updates := func(seq int64, m queue.MessageRecord) int {
			for k := 0; k <= crashUpdates(seq); k++ {
				if reflect.DeepEqual(storetest.NormalizeMessage(m), storetest.NormalizeMessage(crashMessage(seq, k))) {
					return k
				}
			}
			return -1
		}
		errs := 0
		errorf := func(format string, args ...any) {
			t.Helper()
			if errs++; errs <= 20 {
				t.Errorf("round %d: "+format, append([]any{round}, args...)...)
			}
		}
		// What earlier recoveries saw must be untouched: the child writes
		// only seqs from NextSeq on.
		for seq, st := range known {
			m, ok := have[seq]
			switch {
			case ok != st.present:
				errorf("seq %d: present=%v after an earlier recovery saw present=%v", seq, ok, st.present)
			case ok && updates(seq, m) != st.k:
				errorf("seq %d: %d updates (content %+v), an earlier recovery saw %d", seq, updates(seq, m), m, st.k)
			}
		}
		for seq := run.start; seq <= maxSeq; seq++ {
			a := run.acks[seq]
			if a == nil {
				a = &crashAck{}
			}
			m, ok := have[seq]
			k := -1
			if ok {
				k = updates(seq, m)
			}
			switch {
			case a.del && ok:
				errorf("seq %d: delete acknowledged but message present", seq)
			case ok && k < 0:
				errorf("seq %d: content is no state the child wrote: %+v", seq, m)
			case ok && !a.put && k > 0:
				errorf("seq %d: %d updates present but the put was never acknowledged", seq, k)
			case ok && k < a.upd:
				errorf("seq %d: %d updates present, %d acknowledged: the receive count went back", seq, k, a.upd)
			case ok && k > a.upd+1:
				errorf("seq %d: %d updates present, %d acknowledged: at most one can be in flight", seq, k, a.upd)
			case !ok && a.put && !a.del:
				// Only the delete may have been in flight.
				if crashKeep(seq) || a.upd < crashUpdates(seq) {
					errorf("seq %d: put and %d updates acknowledged but message missing", seq, a.upd)
				}
			}
			if crashRecord(seq) {
				v, rok := records[strconv.FormatInt(seq, 10)]
				switch {
				case (a.put || ok) && !rok:
					errorf("seq %d: message put (acknowledged=%v, present=%v) but the record of its Apply missing", seq, a.put, ok)
				case rok && v != crashRecordValue(seq):
					errorf("seq %d: record value %q", seq, v)
				}
			}
			if ok {
				known[seq] = state{present: true, k: k}
			} else {
				known[seq] = state{}
			}
		}
		if snap.NextSeq <= maxSeq {
			t.Errorf("round %d: NextSeq = %d, want > %d", round, snap.NextSeq, maxSeq)
		}
		if snap.NextSeq < nextSeq {
			t.Errorf("round %d: NextSeq went back from %d to %d", round, nextSeq, snap.NextSeq)
		}
		nextSeq = snap.NextSeq
		t.Logf("round %d: %d output lines, seqs %d..%d, %d messages present; child had %d segments, removed %d, compacted %d",
			round, run.lines, run.start, maxSeq, len(snap.Messages), run.segments, run.removed, run.compactions)
		if t.Failed() {
			return
		}
	}
	if removed == 0 || compactions == 0 {
		t.Errorf("the children removed %d segments and compacted %d: the load did not exercise them", removed, compactions)
	}
}

// runCrashChild starts the child on dir, lets it write until it has
// removed a segment and compacted one (or for at most 5s), then for a
// random while longer, and kills it with SIGKILL.
func runCrashChild(t *testing.T, dir string, round int) *crashRun {
	t.Helper()
	cmd, out := crashtest.Start(t, "TestCrashChild", crashEnv, dir)
	killed := false
	kill := func() {
		if !killed {
			killed = true
			_ = cmd.Process.Signal(syscall.SIGKILL)
		}
	}
	defer func() { kill(); _ = cmd.Wait() }()

	run := &crashRun{start: -1, acks: map[int64]*crashAck{}}
	ready := make(chan struct{}) // the child removed and compacted
	done := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(out)
		sig := false
		ack := func(seq int64) *crashAck {
			a := run.acks[seq]
			if a == nil {
				a = &crashAck{}
				run.acks[seq] = a
			}
			a.seen = true
			return a
		}
		for sc.Scan() {
			run.lines++
			f := strings.Fields(sc.Text())
			n := make([]int64, len(f))
			for i := 1; i < len(f); i++ {
				n[i], _ = strconv.ParseInt(f[i], 10, 64)
			}
			switch {
			case len(f) == 2 && f[0] == "start":
				run.start = n[1]
			case len(f) == 2 && f[0] == "put":
				ack(n[1]).put = true
			case len(f) == 3 && f[0] == "upd":
				a := ack(n[1])
				if int(n[2]) != a.upd+1 {
					done <- fmt.Errorf("child acknowledged update %d of seq %d after %d", n[2], n[1], a.upd)
					return
				}
				a.upd = int(n[2])
			case len(f) == 2 && f[0] == "del":
				ack(n[1]).del = true
			case len(f) == 4 && f[0] == "stats":
				run.segments, run.removed, run.compactions = n[1], n[2], n[3]
				if !sig && run.removed > 0 && run.compactions > 0 {
					sig = true
					close(ready)
				}
			default:
				done <- fmt.Errorf("child: %q", sc.Text())
				return
			}
		}
		done <- sc.Err()
	}()
	select {
	case <-ready:
	case err := <-done:
		t.Fatalf("round %d: child ended before it was killed: %v", round, err)
	case <-time.After(5 * time.Second):
		t.Logf("round %d: the child did not both remove and compact a segment in 5s", round)
	}
	time.Sleep(time.Duration(rand.IntN(300)) * time.Millisecond)
	kill()
	if err := <-done; err != nil {
		t.Fatalf("round %d: %v", round, err)
	}
	if run.start < 0 {
		t.Fatalf("round %d: the child never started writing", round)
	}
	return run
}
