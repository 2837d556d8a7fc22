package logstore_test

import (
	"context"
	"encoding/binary"
	"io"
	"log/slog"
	"math"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/herald-dev/herald/internal/queue"
	"github.com/herald-dev/herald/internal/store/logstore"
	"github.com/herald-dev/herald/internal/store/memstore"
	"github.com/herald-dev/herald/internal/store/storetest"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// segmentHeader is the 16-byte header of segment id (see segment.go).
func segmentHeader(id uint64) []byte {
	return binary.LittleEndian.AppendUint64([]byte("HRLDLOG1"), id)
}

// seedSegments returns segment files the store wrote: ops of every kind,
// in one frame each and in one frame together, cut at the end of their
// frames (the zeros after them dropped).
func seedSegments(f *testing.F) [][]byte {
	q := storetest.Queue(3)
	m := storetest.Message(3, 10)
	p := storetest.PlainMessage(3, 11, "plain")
	d := storetest.Dedup(3, "dk", 10, 99)
	ops := []queue.Op{
		putQ(q), putM(m), putM(p), putD(d), updM(3, 10, 5, 2, 1),
		putR("topic", "arn", "value"), delR("topic", "arn"), putR("sub", "x", ""),
		delM(3, 11), {Kind: queue.OpDeleteDedup, QueueID: 3, ExpiresAt: 100},
		{Kind: queue.OpPurgeQueue, QueueID: 3, Seq: 5}, {Kind: queue.OpDropQueue, QueueID: 3},
		delQ(3),
	}
	var seeds [][]byte
	for _, together := range []bool{false, true} {
		dir := f.TempDir()
		s, err := logstore.Open(context.Background(), dir, logstore.Options{Logger: quiet})
		if err != nil {
			f.Fatal(err)
		}
		if together {
			mustApply(f, s, ops...)
		} else {
			for _, op := range ops {
				mustApply(f, s, op)
			}
		}
		if err := s.Close(); err != nil {
			f.Fatal(err)
		}
		data, err := os.ReadFile(segName(dir, 1))
		if err != nil {
			f.Fatal(err)
		}
		seeds = append(seeds, data[:validEnd(f, segName(dir, 1))])
	}
	return seeds
}

// FuzzReplay writes the fuzzer's bytes as the only segment file (after a
// valid header when withHeader) and opens the log: Open must not panic or
// hang; if it opens, Load works, a new Apply succeeds, and after a reopen
// the log holds exactly what the first Load returned plus that Apply.
func FuzzReplay(f *testing.F) {
	for _, seg := range seedSegments(f) {
		f.Add(false, seg)
		f.Add(true, seg[16:])
		f.Add(false, seg[:len(seg)-3])
		f.Add(true, append(seg[16:len(seg)/2:len(seg)/2], make([]byte, 40)...))
	}
	f.Add(false, []byte("HRLDL"))
	f.Add(true, []byte{})
	f.Fuzz(func(t *testing.T, withHeader bool, data []byte) {
		dir := t.TempDir()
		content := data
		if withHeader {
			content = append(segmentHeader(1), data...)
		}
		if err := os.WriteFile(segName(dir, 1), content, 0o644); err != nil {
			t.Fatal(err)
		}
		opts := logstore.Options{Logger: quiet}
		watchdog := time.AfterFunc(20*time.Second, func() { panic("Open, Load, Apply or Close hangs") })
		defer watchdog.Stop()
		ctx := context.Background()
		s, err := logstore.Open(ctx, dir, opts)
		if err != nil {
			return
		}
		defer s.Close()
		first, err := s.Load(ctx)
		if err != nil {
			t.Fatalf("Load after a successful Open: %v", err)
		}
		// The reference: what the first Load returned, plus the new Apply.
		mem := memstore.New()
		var seed []queue.Op
		for _, q := range first.Queues {
			seed = append(seed, putQ(q))
		}
		for _, m := range first.Messages {
			seed = append(seed, putM(m))
		}
		for _, d := range first.Dedup {
			seed = append(seed, putD(d))
		}
		for _, r := range first.Records {
			seed = append(seed, putRec(r))
		}
		if err := mem.Apply(ctx, seed); err != nil {
			t.Fatal(err)
		}
		seq, id := first.NextSeq, first.NextID
		sane := seq > 0 && seq < math.MaxInt64/2 && id > 0 && id < math.MaxInt64/2
		ops := []queue.Op{
			putQ(storetest.Queue(id)),
			putM(storetest.Message(id, seq)),
			putR("fuzz", "after", strings.Repeat("a", 10)),
		}
		if len(first.Messages) > 0 {
			m := first.Messages[0]
			ops = append(ops, delM(m.QueueID, m.Seq))
		}
		if err := s.Apply(ctx, ops); err != nil {
			t.Fatalf("Apply after a successful Open: %v", err)
		}
		if err := mem.Apply(ctx, ops); err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		s2, err := logstore.Open(ctx, dir, opts)
		if err != nil {
			t.Fatalf("reopen after a write: %v", err)
		}
		defer s2.Close()
		got, err := s2.Load(ctx)
		if err != nil {
			t.Fatalf("Load after reopen: %v", err)
		}
		want, err := mem.Load(ctx)
		if err != nil {
			t.Fatal(err)
		}
		// Next* depend on records no longer live; compare them apart.
		want.NextSeq, want.NextID = got.NextSeq, got.NextID
		requireSameSnapshot(t, "after a write and reopen", got, want)
		if sane && (got.NextSeq <= seq || got.NextID <= id) {
			t.Errorf("NextSeq, NextID = %d, %d after writing seq %d and queue %d", got.NextSeq, got.NextID, seq, id)
		}
		if sane && (got.NextSeq < first.NextSeq || got.NextID < first.NextID) {
			t.Errorf("NextSeq, NextID went back from %d, %d to %d, %d", first.NextSeq, first.NextID, got.NextSeq, got.NextID)
		}
	})
}
