package test

import (
	"context"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/herald-dev/herald/internal/bench"
)

// TestLoad drives a dedicated broker with 1,000 concurrent long-polling
// consumers and 100 paced batch producers over a few queues, then drains the
// queues and checks a ledger of every message: each acknowledged send was
// received, nothing was received again once its delete was acknowledged,
// nothing was received twice before its delete (the visibility timeout is
// far longer than a receive + delete), and the queues end empty. It reports
// sends/s, receives/s, end-to-end latency (send to receive) and the latency
// of SendMessageBatch calls.
//
// It is not run by a plain "go test ./test/": it needs HERALD_LOAD=1 or a
// -run pattern that names it (go test -run TestLoad ./test/).
//
// Environment:
//
//	HERALD_LOAD=1            run it
//	HERALD_LOAD_SECONDS=n    load phase in seconds (default 60; 5 with -short)
//	HERALD_LOAD_RATE=n       target send rate in msgs/s (default 3000)
//	HERALD_TEST_STORE=memory run the broker with --in-memory
//
// It deliberately does not call t.Parallel: it must run alone, since it
// saturates the machine and measures latencies (Go runs the parallel tests
// only after the sequential ones have finished, so nothing overlaps it).
func TestLoad(t *testing.T) {
	if os.Getenv("HERALD_LOAD") != "1" && !runSelects("Load") {
		t.Skip("load test: set HERALD_LOAD=1 or select it with -run TestLoad")
	}
	const (
		queues        = 4
		consumers     = 1000
		producers     = 100
		batch         = 10
		waitSeconds   = 20
		visibility    = 60 // seconds; far longer than any receive → delete
		drainDeadline = 60 * time.Second
	)
	dur := 60 * time.Second
	if testing.Short() {
		dur = 5 * time.Second
	}
	if s := os.Getenv("HERALD_LOAD_SECONDS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 {
			t.Fatalf("HERALD_LOAD_SECONDS=%q: want a positive number of seconds", s)
		}
		dur = time.Duration(n) * time.Second
	}
	// 3,000 msgs/s (300 batches/s, i.e. 900 calls/s with the receives and
	// deletes) keeps broker and client at about 1.2 of 2 cores on a quiet
	// 2-core machine: busy, with room for the long polls' bookkeeping.
	rate := 3000
	if s := os.Getenv("HERALD_LOAD_RATE"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 {
			t.Fatalf("HERALD_LOAD_RATE=%q: want a positive number of messages per second", s)
		}
		rate = n
	}

	// Each side holds ~1,100 sockets (1,000 long polls plus producers and
	// deletes). Go raises its soft RLIMIT_NOFILE to the hard limit at start
	// (so does herald), so this only matters with a low hard limit; the
	// broker inherits what is set here.
	raiseNoFile(t, 4096)

	// The SDK allocates a lot per call and shares the two cores with the
	// broker: collect garbage less often, as "herald bench" does.
	defer debug.SetGCPercent(debug.SetGCPercent(200))

	var args []string
	if os.Getenv("HERALD_TEST_STORE") == "memory" {
		args = append(args, "--in-memory")
	}
	srv := startServer(t, args...)
	tr := &http.Transport{
		Proxy:                 nil,
		DialContext:           (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:          0, // no limit in total
		MaxIdleConnsPerHost:   1500,
		MaxConnsPerHost:       0, // no limit: 1,100 requests at once
		IdleConnTimeout:       90 * time.Second,
		ExpectContinueTimeout: time.Second,
		DisableCompression:    true,
	}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: bench.BufferedTransport(tr), Timeout: (waitSeconds + 30) * time.Second}
	// newSQS's options (credentials, region, endpoint, no retries), with a
	// transport sized for the load.
	c := sqs.New(newSQS(srv).Options(), func(o *sqs.Options) {
		o.HTTPClient = hc
		o.Retryer = aws.NopRetryer{}
	})

	urls := make([]string, queues)
	for i := range urls {
		urls[i] = createQueue(t, c, uniq(t, fmt.Sprintf("load%d", i)), "VisibilityTimeout", strconv.Itoa(visibility))
	}

	// The ledger: one entry per message a producer may send, by producer and
	// sequence number, fixed in size so that it needs no lock.
	interval := time.Duration(float64(time.Second) * float64(producers*batch) / float64(rate)) // per producer
	perProducer := (int(dur/interval) + 2) * batch
	l := &loadLedger{entries: make([][]loadEntry, producers)}
	for p := range l.entries {
		l.entries[p] = make([]loadEntry, perProducer)
	}
	errs := &loadErrors{}

	// Consumers first, so that 1,000 long polls wait before the first send.
	cctx, stopConsumers := context.WithCancel(context.Background())
	defer stopConsumers()
	var cwg sync.WaitGroup
	const histShards = 16
	e2e := make([]*lockedHist, histShards)
	for i := range e2e {
		e2e[i] = &lockedHist{h: bench.NewHistogram()}
	}
	for i := 0; i < consumers; i++ {
		cwg.Add(1)
		go func() {
			defer cwg.Done()
			loadConsume(cctx, c, urls[i%queues], l, errs, e2e[i%histShards], waitSeconds, visibility)
		}()
	}
	// Let the long polls reach the broker: all of them must be waiting
	// there (nothing has been sent yet), each on a connection of its own.
	waitFor(t, 10*time.Second, "1,000 long polls in flight", func() bool { return l.polling.Load() == consumers })
	time.Sleep(time.Second)
	if n := errs.count.Load(); n > 0 {
		t.Fatalf("%d errors while the consumers started polling: %s", n, errs.samples())
	}
	if n := l.polling.Load(); n != consumers {
		t.Fatalf("%d long polls in flight after 3s, want %d (some returned early)", n, consumers)
	}
	if fds := procFDs(srv); fds >= 0 {
		t.Logf("%d long polls waiting; the broker holds %d open files", consumers, fds)
		if fds < consumers {
			t.Errorf("the broker holds %d open files, fewer than the %d long-poll connections", fds, consumers)
		}
	}

	// Producers: paced, each sends a batch every interval (staggered), for dur.
	srvCPU0, cliCPU0 := procCPU(srv), selfCPU()
	start := time.Now()
	end := start.Add(dur)
	sendHists := make([]*bench.Histogram, producers)
	var missed atomic.Int64
	var pwg sync.WaitGroup
	for p := 0; p < producers; p++ {
		sendHists[p] = bench.NewHistogram()
		pwg.Add(1)
		go func() {
			defer pwg.Done()
			first := start.Add(interval * time.Duration(p) / producers)
			missed.Add(loadProduce(c, urls[p%queues], l, p, errs, sendHists[p], first, end, interval))
		}()
	}
	pwg.Wait()
	loadDur := time.Since(start)
	sentLoad, recvLoad := l.acked.Load(), l.firstRecv.Load()
	srvCPU, cliCPU := procCPU(srv)-srvCPU0, selfCPU()-cliCPU0

	// Drain: wait until every acknowledged send has been deleted.
	drainStart := time.Now()
	for l.deletedN.Load() < l.acked.Load() && time.Since(drainStart) < drainDeadline {
		time.Sleep(50 * time.Millisecond)
	}
	drained := time.Since(drainStart)
	stopConsumers()
	cwg.Wait()
	totalDur := time.Since(start)

	// Report.
	sendHist := bench.NewHistogram()
	for _, h := range sendHists {
		sendHist.Merge(h)
	}
	e2eHist := bench.NewHistogram()
	for _, h := range e2e {
		e2eHist.Merge(h.h)
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	t.Logf("load: %d queues, %d long-polling consumers (wait %ds, max 10, visibility %ds), %d producers (SendMessageBatch of %d, paced at %d msgs/s in all), %v",
		queues, consumers, waitSeconds, visibility, producers, batch, rate, dur)
	t.Logf("sends: %d acknowledged in %.1fs = %.0f msgs/s (%.0f batches/s); %d batch slots missed (producer behind schedule)",
		sentLoad, loadDur.Seconds(), float64(sentLoad)/loadDur.Seconds(), float64(sentLoad)/batch/loadDur.Seconds(), missed.Load())
	t.Logf("receives: %d messages during the load = %.0f msgs/s; %d in all in %.1fs; %d ReceiveMessage calls (%d empty), %d DeleteMessageBatch calls; drain took %v",
		recvLoad, float64(recvLoad)/loadDur.Seconds(), l.firstRecv.Load(), totalDur.Seconds(), l.receiveCalls.Load(), l.emptyReceives.Load(), l.deleteCalls.Load(), drained.Round(time.Millisecond))
	t.Logf("end-to-end latency (send → receive): p50 %v, p99 %v, max %v (%d messages)",
		e2eHist.Percentile(50), e2eHist.Percentile(99), e2eHist.Max(), e2eHist.Count())
	t.Logf("SendMessageBatch: p50 %v, p99 %v, max %v (%d calls)",
		sendHist.Percentile(50), sendHist.Percentile(99), sendHist.Max(), sendHist.Count())
	t.Logf("CPU during the load: broker %.2f cores, test client %.2f cores (of %d); client heap in use %d MiB at the end",
		srvCPU.Seconds()/loadDur.Seconds(), cliCPU.Seconds()/loadDur.Seconds(), runtime.NumCPU(), ms.HeapInuse>>20)

	// Check.
	if n := errs.count.Load(); n > 0 {
		t.Errorf("%d calls failed; samples:\n%s", n, errs.samples())
	}
	if sentLoad == 0 {
		t.Fatal("no send was acknowledged")
	}
	lost, undeleted := 0, 0
	for p, es := range l.entries {
		for n := range es {
			e := &es[n]
			f := e.flags.Load()
			if f&flagAcked == 0 {
				continue
			}
			if e.recvs.Load() == 0 {
				lost++
				if lost <= 5 {
					t.Errorf("message p%d-%d: send acknowledged, never received", p, n)
				}
			} else if f&flagDeleted == 0 {
				undeleted++
				if undeleted <= 5 {
					t.Errorf("message p%d-%d: received, delete never acknowledged", p, n)
				}
			}
		}
	}
	dupAfter, dupBefore := l.dupAfterDelete.Load(), l.dupBeforeDelete.Load()
	t.Logf("ledger: %d acknowledged sends, %d lost, %d not deleted, %d received again after an acknowledged delete, %d received twice before their delete, %d bodies not from this test",
		l.acked.Load(), lost, undeleted, dupAfter, dupBefore, l.foreign.Load())
	if lost > 0 {
		t.Errorf("%d acknowledged sends were never received", lost)
	}
	if undeleted > 0 {
		t.Errorf("%d received messages were not deleted within the drain deadline %v", undeleted, drainDeadline)
	}
	if dupAfter > 0 {
		t.Errorf("%d receives of a message whose delete had been acknowledged", dupAfter)
	}
	// Every receive is followed at once by its delete, far within the 60s
	// visibility timeout, so a second receive before the delete means the
	// broker handed out an in-flight message.
	if dupBefore > 0 {
		t.Errorf("%d receives of a message that was already in flight (visibility %ds, not expired)", dupBefore, visibility)
	}
	if n := l.foreign.Load(); n > 0 {
		t.Errorf("%d received bodies were not sent by this test", n)
	}
	for _, u := range urls {
		visible, inflight, delayed := approx(t, c, u)
		if visible != 0 || inflight != 0 || delayed != 0 {
			t.Errorf("queue %s after the drain: %d visible, %d not visible, %d delayed; want all 0", u, visible, inflight, delayed)
		}
	}
}

// runSelects reports whether the -run pattern names word (the test was
// asked for explicitly).
func runSelects(word string) bool {
	f := flag.Lookup("test.run")
	return f != nil && strings.Contains(f.Value.String(), word)
}

// selfCPU returns the CPU time (user + system) this process has used.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// procFDs returns how many files the broker process has open, from /proc
// (-1 where there is no /proc).
func procFDs(s *server) int {
	s.mu.Lock()
	cmd := s.cmd
	s.mu.Unlock()
	if cmd == nil || cmd.Process == nil {
		return -1
	}
	des, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", cmd.Process.Pid))
	if err != nil {
		return -1
	}
	return len(des)
}

// procCPU returns the CPU time (user + system) the broker process has used,
// from /proc (0 where there is no /proc).
func procCPU(s *server) time.Duration {
	s.mu.Lock()
	cmd := s.cmd
	s.mu.Unlock()
	if cmd == nil || cmd.Process == nil {
		return 0
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", cmd.Process.Pid))
	if err != nil {
		return 0
	}
	// Fields after the command name (which ends with the last ')'):
	// state is field 3, utime 14 and stime 15, in clock ticks (USER_HZ, 100
	// on Linux).
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0
	}
	return time.Duration(ut+st) * 10 * time.Millisecond
}

// raiseNoFile raises the soft limit of open files to at least want (within
// the hard limit) and logs it.
func raiseNoFile(t *testing.T, want uint64) {
	t.Helper()
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		t.Logf("getrlimit NOFILE: %v", err)
		return
	}
	if rl.Cur >= want {
		t.Logf("open files limit: soft %d, hard %d (enough)", rl.Cur, rl.Max)
		return
	}
	old := rl.Cur
	rl.Cur = min(want, rl.Max)
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		t.Logf("setrlimit NOFILE %d: %v", rl.Cur, err)
		return
	}
	t.Logf("open files limit raised from %d to %d (hard %d)", old, rl.Cur, rl.Max)
}

const (
	flagAcked   = 1 << iota // the send was acknowledged
	flagDeleted             // a delete was acknowledged
)

type loadEntry struct {
	recvs atomic.Int32
	flags atomic.Uint32
}

// loadLedger records every message of the load by producer and sequence
// number.
type loadLedger struct {
	entries [][]loadEntry

	acked, firstRecv, deletedN      atomic.Int64
	dupAfterDelete, dupBeforeDelete atomic.Int64
	foreign                         atomic.Int64
	receiveCalls, emptyReceives     atomic.Int64
	polling                         atomic.Int64 // ReceiveMessage calls in flight
	deleteCalls                     atomic.Int64
}

// entry parses a body "load <producer> <seq> <sent unix nanos>".
func (l *loadLedger) entry(body string) (e *loadEntry, sent int64, ok bool) {
	f := strings.Fields(body)
	if len(f) != 4 || f[0] != "load" {
		return nil, 0, false
	}
	p, err1 := strconv.Atoi(f[1])
	n, err2 := strconv.Atoi(f[2])
	sent, err3 := strconv.ParseInt(f[3], 10, 64)
	if err1 != nil || err2 != nil || err3 != nil || p < 0 || p >= len(l.entries) || n < 0 || n >= len(l.entries[p]) {
		return nil, 0, false
	}
	return &l.entries[p][n], sent, true
}

// loadErrors counts failed calls and keeps a few samples.
type loadErrors struct {
	count atomic.Int64
	mu    sync.Mutex
	first []string
}

func (e *loadErrors) add(op string, err error) {
	if e.count.Add(1) > 20 {
		return
	}
	e.mu.Lock()
	e.first = append(e.first, fmt.Sprintf("%s %s: %v", time.Now().Format("15:04:05.000"), op, err))
	e.mu.Unlock()
}

func (e *loadErrors) samples() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return strings.Join(e.first, "\n")
}

type lockedHist struct {
	mu sync.Mutex
	h  *bench.Histogram
}

// loadProduce sends a batch to url at first, first+interval, … until end
// and returns how many slots it missed by falling behind.
func loadProduce(c *sqs.Client, url string, l *loadLedger, p int, errs *loadErrors, h *bench.Histogram, first, end time.Time, interval time.Duration) (missed int64) {
	seq := 0
	ids := make([]string, 10)
	for i := range ids {
		ids[i] = strconv.Itoa(i)
	}
	for next := first; next.Before(end); next = next.Add(interval) {
		if d := time.Until(next); d > 0 {
			time.Sleep(d)
		} else if -d > interval {
			// More than a whole slot behind: skip the slots missed.
			skip := int64(-d / interval)
			missed += skip
			next = next.Add(time.Duration(skip) * interval)
		}
		if seq+len(ids) > len(l.entries[p]) {
			return missed
		}
		sent := time.Now()
		entries := make([]types.SendMessageBatchRequestEntry, len(ids))
		for i := range entries {
			entries[i] = types.SendMessageBatchRequestEntry{
				Id:          aws.String(ids[i]),
				MessageBody: aws.String(fmt.Sprintf("load %d %d %d", p, seq+i, sent.UnixNano())),
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		out, err := c.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(url), Entries: entries})
		cancel()
		h.Record(time.Since(sent))
		if err != nil {
			errs.add("SendMessageBatch", err)
			seq += len(ids)
			continue
		}
		for _, f := range out.Failed {
			errs.add("SendMessageBatch entry", fmt.Errorf("%s: %s %s", aws.ToString(f.Id), aws.ToString(f.Code), aws.ToString(f.Message)))
		}
		for _, s := range out.Successful {
			i, err := strconv.Atoi(aws.ToString(s.Id))
			if err != nil || i < 0 || i >= len(ids) {
				errs.add("SendMessageBatch", fmt.Errorf("unknown entry id %q in the answer", aws.ToString(s.Id)))
				continue
			}
			if l.entries[p][seq+i].flags.Or(flagAcked)&flagAcked == 0 {
				l.acked.Add(1)
			}
		}
		seq += len(ids)
	}
	return missed
}

// loadConsume long-polls url until ctx ends, recording and deleting every
// message it receives.
func loadConsume(ctx context.Context, c *sqs.Client, url string, l *loadLedger, errs *loadErrors, h *lockedHist, wait, vis int32) {
	for ctx.Err() == nil {
		l.polling.Add(1)
		out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl: aws.String(url), MaxNumberOfMessages: 10, WaitTimeSeconds: wait, VisibilityTimeout: vis,
		})
		l.polling.Add(-1)
		if err != nil {
			if ctx.Err() != nil {
				return // stopped: nothing is left to receive
			}
			errs.add("ReceiveMessage", err)
			time.Sleep(100 * time.Millisecond) // do not spin on a broken broker
			continue
		}
		now := time.Now().UnixNano()
		l.receiveCalls.Add(1)
		if len(out.Messages) == 0 {
			l.emptyReceives.Add(1)
			continue
		}
		got := make([]*loadEntry, len(out.Messages))
		h.mu.Lock()
		for i, m := range out.Messages {
			e, sent, ok := l.entry(aws.ToString(m.Body))
			if !ok {
				l.foreign.Add(1)
				continue
			}
			got[i] = e
			if e.flags.Load()&flagDeleted != 0 {
				l.dupAfterDelete.Add(1)
			}
			if e.recvs.Add(1) == 1 {
				l.firstRecv.Add(1)
				h.h.Record(time.Duration(now - sent))
			} else if e.flags.Load()&flagDeleted == 0 {
				l.dupBeforeDelete.Add(1)
			}
		}
		h.mu.Unlock()

		del := make([]types.DeleteMessageBatchRequestEntry, len(out.Messages))
		for i, m := range out.Messages {
			del[i] = types.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: m.ReceiptHandle}
		}
		// The delete is not cancelled with ctx: a message received must be
		// deleted (ctx ends only once every acknowledged send is deleted).
		dctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		res, err := c.DeleteMessageBatch(dctx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(url), Entries: del})
		cancel()
		l.deleteCalls.Add(1)
		if err != nil {
			errs.add("DeleteMessageBatch", err)
			continue
		}
		for _, f := range res.Failed {
			errs.add("DeleteMessageBatch entry", fmt.Errorf("%s: %s %s", aws.ToString(f.Id), aws.ToString(f.Code), aws.ToString(f.Message)))
		}
		for _, s := range res.Successful {
			i, err := strconv.Atoi(aws.ToString(s.Id))
			if err != nil || i < 0 || i >= len(got) {
				errs.add("DeleteMessageBatch", fmt.Errorf("unknown entry id %q in the answer", aws.ToString(s.Id)))
				continue
			}
			if e := got[i]; e != nil && e.flags.Or(flagDeleted)&flagDeleted == 0 {
				l.deletedN.Add(1)
			}
		}
	}
}
