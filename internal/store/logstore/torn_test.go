package logstore_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math/rand/v2"
	"os"
	"strings"
	"testing"

	"github.com/herald-dev/herald/internal/queue"
	"github.com/herald-dev/herald/internal/store/logstore"
	"github.com/herald-dev/herald/internal/store/storetest"
)

// realFrame returns the frame (8-byte header and payload) that the store
// writes for one Apply of ops, read back from a scratch log.
func realFrame(t *testing.T, ops ...queue.Op) []byte {
	t.Helper()
	dir := t.TempDir()
	s := openOpts(t, dir, logstore.Options{})
	base := validEnd(t, segName(dir, 1))
	mustApply(t, s, ops...)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(segName(dir, 1))
	if err != nil {
		t.Fatal(err)
	}
	frame := data[base:validEnd(t, segName(dir, 1))]
	if n := binary.LittleEndian.Uint32(frame); int(n) != len(frame)-8 {
		t.Fatalf("frame length %d, payload %d bytes", n, len(frame)-8)
	}
	return frame
}

// validEnd returns the offset where the valid frames of a segment file end:
// at the end of the file, at a zero frame header (the zeros the store
// extends its active segment with), or at a frame that is cut short or
// fails its checksum. It reads the format on its own, as segment.go
// describes it.
func validEnd(t testing.TB, path string) int64 {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(data) < 16 || string(data[:8]) != "HRLDLOG1" {
		t.Fatalf("%s: bad header", path)
	}
	off := 16
	for len(data)-off >= 8 {
		n := int(binary.LittleEndian.Uint32(data[off:]))
		sum := binary.LittleEndian.Uint32(data[off+4:])
		if n == 0 && sum == 0 || n > len(data)-off-8 || crc32.Checksum(data[off+8:off+8+n], castagnoli) != sum {
			break
		}
		off += 8 + n
	}
	return int64(off)
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// writeAt writes b at off in the file at path.
func writeAt(t testing.TB, path string, b []byte, off int64) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt(b, off); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// fillStore writes a few records of every kind through m and returns the
// next seq to use.
func fillStore(m *model, n int) int64 {
	m.apply(putQ(storetest.Queue(1)), putQ(storetest.Queue(2)))
	seq := int64(1)
	for i := range n {
		m.apply(putM(storetest.Message(1, seq)), putD(storetest.Dedup(1, fmt.Sprintf("d%d", seq), seq, 1000+seq)))
		if i%3 == 0 {
			m.apply(updM(1, seq, 42, 3, 7), putR("topic", fmt.Sprintf("t%d", i), strings.Repeat("v", i)))
		}
		if i%4 == 0 {
			m.apply(delM(1, seq))
		}
		seq++
	}
	return seq
}

// TestTornTail puts what a crash may leave after the last acknowledged
// frame of the newest segment (over the zeros the store extends it with,
// or at the end of a file cut at its last frame): Open keeps everything
// acknowledged, cuts the file back to the end of the good frames, and new
// writes land there and survive a reopen.
func TestTornTail(t *testing.T) {
	t.Parallel()
	good := realFrame(t, putM(storetest.Message(7, 99)), putR("k", "x", "y"))
	badCRC := bytes.Clone(good)
	badCRC[5] ^= 0x40
	badPayload := bytes.Clone(good)
	badPayload[len(badPayload)-3] ^= 0x01
	garbage := make([]byte, 777)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range garbage {
		garbage[i] = byte(r.IntN(255) + 1) // never a run of zeros
	}
	huge := binary.LittleEndian.AppendUint32(nil, 1<<31)
	huge = binary.LittleEndian.AppendUint32(huge, 12345)
	tails := map[string][]byte{
		"garbage":             garbage,
		"short frame header":  good[:5],
		"frame header only":   good[:8],
		"truncated frame":     good[:len(good)-1],
		"half a frame":        good[:len(good)/2],
		"bad checksum":        badCRC,
		"bad payload":         badPayload,
		"length beyond cap":   append(huge, garbage[:64]...),
		"good then truncated": append(bytes.Clone(good), good[:len(good)-4]...),
	}
	for name, tail := range tails {
		for _, layout := range []string{"over zeros", "at end of file"} {
			for _, segBytes := range []int64{0, 4096} {
				t.Run(fmt.Sprintf("%s/%s/segment=%d", name, layout, segBytes), func(t *testing.T) {
					t.Parallel()
					opts := logstore.Options{SegmentBytes: segBytes}
					dir := t.TempDir()
					s := openOpts(t, dir, opts)
					m := newModel(t, s)
					seq := fillStore(m, 40)
					if err := s.Close(); err != nil {
						t.Fatal(err)
					}
					segs := segFiles(t, dir)
					last := segs[len(segs)-1]
					goodEnd := validEnd(t, last)
					wantEnd := goodEnd
					if name == "good then truncated" {
						wantEnd += int64(len(good)) // its first frame is whole
						if err := m.mem.Apply(context.Background(), []queue.Op{putM(storetest.Message(7, 99)), putR("k", "x", "y")}); err != nil {
							t.Fatal(err)
						}
					}
					if layout == "at end of file" {
						if err := os.Truncate(last, goodEnd); err != nil {
							t.Fatal(err)
						}
					} else if size := fileSize(t, last); size < goodEnd+int64(len(tail))+8 {
						t.Fatalf("the newest segment has %d bytes, its frames end at %d: no zeros after them", size, goodEnd)
					}
					writeAt(t, last, tail, goodEnd)

					s = openOpts(t, dir, opts)
					m.s = s
					if got := fileSize(t, last); got != wantEnd {
						t.Errorf("after Open the newest segment has %d bytes, want %d (the end of its good frames)", got, wantEnd)
					}
					if got := len(segFiles(t, dir)); got != len(segs) {
						t.Errorf("%d segments after Open, want %d", got, len(segs))
					}
					m.check("after Open with a torn tail")
					m.apply(putM(storetest.Message(1, seq)), putR("after", "tail", "ok"))
					m.apply(updM(1, seq, 1, 1, 1))
					m.check("after a write")
					m.s = reopen(t, s, dir, opts)
					m.check("after reopen")
				})
			}
		}
	}
}

// TestStaleBytesAfterZeros: a power loss may keep a later page of an
// unacknowledged frame and lose its first one, which stays zeros. Open
// ends the log at the zeros; new frames then overwrite the stale bytes,
// and what is left of them after the last new frame must not hide or
// break anything at the next Open.
func TestStaleBytesAfterZeros(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := openOpts(t, dir, logstore.Options{})
	m := newModel(t, s)
	seq := fillStore(m, 10)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	path := segName(dir, 1)
	goodEnd := validEnd(t, path)
	stale := bytes.Repeat([]byte{0xa5, 0x5a, 0x33}, 1000)
	writeAt(t, path, stale, goodEnd+100)
	m.s = openOpts(t, dir, logstore.Options{})
	m.check("after Open")
	for range 3 { // about 1.8 KiB: the last frame ends inside the stale bytes
		m.apply(putM(storetest.Message(1, seq)))
		seq++
	}
	m.s = reopen(t, m.s, dir, logstore.Options{})
	m.check("after writes over the stale bytes and a reopen")
	m.apply(putM(storetest.Message(1, seq)), delM(1, 2))
	m.s = reopen(t, m.s, dir, logstore.Options{})
	m.check("after another write and reopen")
}

// TestTornSegmentHeader: a newest segment whose header never fully reached
// the disk (the crash came while it was created) is removed by Open, and
// the log goes on in the segment before it.
func TestTornSegmentHeader(t *testing.T) {
	t.Parallel()
	for _, n := range []int{0, 5, 15} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			opts := logstore.Options{SegmentBytes: 4096}
			s := openOpts(t, dir, opts)
			m := newModel(t, s)
			seq := fillStore(m, 30)
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			segs := segFiles(t, dir)
			if len(segs) < 2 {
				t.Fatalf("%d segments, want several", len(segs))
			}
			next := segName(dir, uint64(len(segs)+100)) // above any existing
			// A real torn header is a prefix of the real one.
			hdr := append([]byte("HRLDLOG1"), make([]byte, 8)...)
			binary.LittleEndian.PutUint64(hdr[8:], uint64(len(segs)+100))
			if err := os.WriteFile(next, hdr[:n], 0o644); err != nil {
				t.Fatal(err)
			}
			lastGood := segs[len(segs)-1]
			goodEnd := validEnd(t, lastGood)

			s = openOpts(t, dir, logstore.Options{}) // no roll on the next write
			m.s = s
			if _, err := os.Stat(next); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("torn segment %s still there after Open (err %v)", next, err)
			}
			m.check("after Open")
			m.apply(putM(storetest.Message(1, seq)), putR("after", "torn", "header"))
			if got := validEnd(t, lastGood); got <= goodEnd {
				t.Errorf("the write did not go to the segment before the torn one (%d bytes, was %d)", got, goodEnd)
			}
			m.s = reopen(t, s, dir, logstore.Options{})
			m.check("after a write and reopen")
		})
	}
}

// TestCorruptOlderSegment: damage to a segment other than the newest is
// not what a crash leaves; Open must refuse rather than drop data.
func TestCorruptOlderSegment(t *testing.T) {
	t.Parallel()
	damage := map[string]func(t *testing.T, path string){
		"flipped byte in last frame": func(t *testing.T, path string) {
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			data[len(data)-2] ^= 0x10
			if err := os.WriteFile(path, data, 0o644); err != nil {
				t.Fatal(err)
			}
		},
		"flipped byte in middle": func(t *testing.T, path string) {
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			data[len(data)/2] ^= 0x10
			if err := os.WriteFile(path, data, 0o644); err != nil {
				t.Fatal(err)
			}
		},
		"truncated": func(t *testing.T, path string) {
			if err := os.Truncate(path, fileSize(t, path)-3); err != nil {
				t.Fatal(err)
			}
		},
		"garbage appended": func(t *testing.T, path string) {
			appendFile(t, path, []byte("not a frame at all"))
		},
		"bad magic": func(t *testing.T, path string) {
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			data[0] ^= 0xff
			if err := os.WriteFile(path, data, 0o644); err != nil {
				t.Fatal(err)
			}
		},
	}
	for name, fn := range damage {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			opts := logstore.Options{SegmentBytes: 4096}
			s := openOpts(t, dir, opts)
			mustApply(t, s, putQ(storetest.Queue(1)))
			for seq := int64(1); seq <= 40; seq++ { // nothing deleted: every segment stays
				mustApply(t, s, putM(storetest.Message(1, seq)))
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			segs := segFiles(t, dir)
			if len(segs) < 3 {
				t.Fatalf("%d segments, want at least 3", len(segs))
			}
			for _, victim := range []string{segs[0], segs[len(segs)/2], segs[len(segs)-2]} {
				saved, err := os.ReadFile(victim)
				if err != nil {
					t.Fatal(err)
				}
				fn(t, victim)
				s, err := logstore.Open(context.Background(), dir, opts)
				if err == nil {
					snap, _ := s.Load(context.Background())
					_ = s.Close()
					n := -1
					if snap != nil {
						n = len(snap.Messages)
					}
					t.Errorf("Open succeeded with %s damaged (%d of 40 messages loaded), want an error", victim, n)
				}
				if err := os.WriteFile(victim, saved, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			// Undamaged again, the log opens whole.
			s = openOpts(t, dir, opts)
			if n := len(mustLoad(t, s).Messages); n != 40 {
				t.Errorf("%d messages after repair, want 40", n)
			}
		})
	}
}

// TestCorruptHeaderOfNewestSegment: a newest segment that holds
// acknowledged frames but whose magic is damaged was not torn by a crash
// (its header was durable before any frame was written). Open must not
// delete it with the data it holds.
func TestCorruptHeaderOfNewestSegment(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := openOpts(t, dir, logstore.Options{})
	mustApply(t, s, putQ(storetest.Queue(1)))
	for seq := int64(1); seq <= 20; seq++ {
		mustApply(t, s, putM(storetest.Message(1, seq)))
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	path := segName(dir, 1)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	data[3] ^= 0x20 // one bit of the magic
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	s, err = logstore.Open(context.Background(), dir, logstore.Options{})
	if err != nil {
		t.Logf("Open refused: %v", err)
		if _, serr := os.Stat(path); serr != nil {
			t.Errorf("the damaged segment was removed: %v", serr)
		}
		return
	}
	defer s.Close()
	snap := mustLoad(t, s)
	if len(snap.Messages) != 20 || len(snap.Queues) != 1 {
		t.Errorf("Open succeeded with the newest segment's magic damaged and the log lost its acknowledged data: "+
			"%d queues and %d messages loaded, want 1 and 20; %s was %d bytes, now its frames end at %d",
			len(snap.Queues), len(snap.Messages), path, len(data), validEnd(t, path))
	}
}

// TestHeaderOnlySegmentKeepsHighWaterMarks: a crash while a segment is
// created can leave its header without the meta frame that carries the
// highest Seq and queue ID. Once the older segments (the only other copy
// of those marks) are removed, NextSeq and NextID must not go back.
func TestHeaderOnlySegmentKeepsHighWaterMarks(t *testing.T) {
	t.Parallel()
	for _, torn := range []string{"header only", "torn meta frame"} {
		t.Run(torn, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			s := openOpts(t, dir, logstore.Options{})
			m := newModel(t, s)
			q := storetest.Queue(500)
			m.apply(putQ(q))
			m.apply(putM(storetest.Message(500, 9000)), putD(storetest.Dedup(500, "k", 9100, 5)))
			m.apply(delQ(500)) // segment 1 now holds nothing live
			m.check("before")
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			// Segment 2 as a crash in createSegment may leave it.
			seg1, err := os.ReadFile(segName(dir, 1))
			if err != nil {
				t.Fatal(err)
			}
			hdr := append([]byte("HRLDLOG1"), binary.LittleEndian.AppendUint64(nil, 2)...)
			content := hdr
			if torn == "torn meta frame" {
				// The first bytes of segment 1's meta frame stand for a torn one.
				content = append(bytes.Clone(hdr), seg1[16:16+6]...)
			}
			if err := os.WriteFile(segName(dir, 2), content, 0o644); err != nil {
				t.Fatal(err)
			}
			m.s = openOpts(t, dir, logstore.Options{})
			m.check("after Open")
			m.apply(putR("any", "write", "x")) // lets the store remove segment 1
			m.check("after a write")
			m.s = reopen(t, m.s, dir, logstore.Options{})
			m.check("after reopen")
			t.Logf("segments on disk: %v", segFiles(t, dir))
		})
	}
}

// TestStaleFrameAfterZeros: bytes that Open found after the zeros that end
// the newest segment's frames are not part of the log, so no later Open
// may take them for frames. Here they are a whole valid frame (as stale
// data or a crafted message body left in a page that outlived its frame's
// header could be), placed exactly where the next frame ends.
func TestStaleFrameAfterZeros(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := openOpts(t, dir, logstore.Options{})
	m := newModel(t, s)
	fillStore(m, 5)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	path := segName(dir, 1)
	goodEnd := validEnd(t, path)
	next := []queue.Op{putR("new", "frame", "x")}
	stale := realFrame(t, putR("stale", "frame", "resurrected"), delQ(1))
	writeAt(t, path, stale, goodEnd+int64(len(realFrame(t, next...))))

	m.s = openOpts(t, dir, logstore.Options{})
	m.check("after Open") // the stale frame is not in the log
	m.apply(next...)
	m.s = reopen(t, m.s, dir, logstore.Options{})
	for _, r := range mustLoad(t, m.s).Records {
		if r.Kind == "stale" {
			t.Errorf("a frame that the previous Open ignored (it lay after the zeros ending the log) was replayed by this one: record %s/%s = %q", r.Kind, r.Key, r.Value)
		}
	}
	m.check("after a write and reopen")
}

// TestFrameEndsJustShortOfZeros: the writer extends the active segment
// with zeros up to the segment size, so a frame may end fewer bytes before
// the end of the file than a frame header takes. Those few zeros end the
// frames like any others: Load reads the log, Open keeps it, and an older
// segment left that way (a crash before the roll cut it back) opens too.
func TestFrameEndsJustShortOfZeros(t *testing.T) {
	t.Parallel()
	msg := putM(storetest.PlainMessage(1, 1, "short of the zeros"))
	frame := realFrame(t, msg)
	scratch := t.TempDir()
	openOpts(t, scratch, logstore.Options{})
	base := validEnd(t, segName(scratch, 1)) // header and meta frame
	for gap := int64(1); gap < 8; gap++ {
		t.Run(fmt.Sprint(gap), func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			opts := logstore.Options{SegmentBytes: base + int64(len(frame)) + gap}
			s := openOpts(t, dir, opts)
			m := newModel(t, s)
			m.apply(msg)
			if got, want := fileSize(t, segName(dir, 1)), opts.SegmentBytes; got != want {
				t.Fatalf("segment is %d bytes, want %d (the frame %d bytes short of its end)", got, want, gap)
			}
			m.check("Load with the frame short of the zeros")
			m.apply(putM(storetest.PlainMessage(1, 2, "next segment")))
			if n := len(segFiles(t, dir)); n != 2 {
				t.Fatalf("%d segments, want 2", n)
			}
			// What a crash between creating the new segment and cutting
			// the old one back leaves: the old one ends in the few zeros.
			appendFile(t, segName(dir, 1), make([]byte, gap))
			m.s = reopen(t, m.s, dir, opts)
			m.check("after reopen with an older segment ending in zeros")
		})
	}
}
