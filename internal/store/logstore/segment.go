package logstore

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// A segment file is a 16-byte header (magic, then the segment's number)
// followed by frames. A frame is one group commit: a 4-byte payload length,
// a 4-byte CRC-32C of the payload, and the payload, which is ops back to
// back. Frames are only ever appended, and a frame is acknowledged only
// after it is on disk, so the only damage a crash can leave is a torn last
// frame in the newest segment, which Open cuts off. The writer extends the
// active segment with zeros ahead of its frames (see Store.write); a frame
// header of zeros ends a segment's frames.
const (
	magic       = "HRLDLOG1"
	headerSize  = 16
	frameHeader = 8
	maxFrame    = 1 << 30
	segSuffix   = ".log"
)

var crcTable = crc32.MakeTable(crc32.Castagnoli)

func segName(dir string, id uint64) string {
	return filepath.Join(dir, fmt.Sprintf("%016d%s", id, segSuffix))
}

// listSegments returns the numbers of the segment files in dir, ascending.
func listSegments(dir string) ([]uint64, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var ids []uint64
	for _, e := range ents {
		name, ok := strings.CutSuffix(e.Name(), segSuffix)
		if !ok || e.IsDir() {
			continue
		}
		id, err := strconv.ParseUint(name, 10, 64)
		if err != nil {
			continue
		}
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids, nil
}

func segHeader(id uint64) []byte {
	h := make([]byte, headerSize)
	copy(h, magic)
	binary.LittleEndian.PutUint64(h[8:], id)
	return h
}

// appendFrame appends a frame holding payload (already at b[start:] after
// frameHeader reserved bytes) by filling in its header.
func sealFrame(b []byte, start int) {
	payload := b[start+frameHeader:]
	binary.LittleEndian.PutUint32(b[start:], uint32(len(payload)))
	binary.LittleEndian.PutUint32(b[start+4:], crc32.Checksum(payload, crcTable))
}

// errTorn marks the end of the valid frames of a segment.
var errTorn = errors.New("torn or corrupt frame")

// scanFrames calls fn with each frame's payload in data (a whole segment
// file) and returns the offset where the valid frames end. It stops with
// errTorn at the first frame that is cut short or fails its checksum, and
// with fn's error if fn fails.
func scanFrames(data []byte, id uint64, fn func(payload []byte) error) (int64, error) {
	if len(data) < headerSize || string(data[:8]) != magic {
		return 0, fmt.Errorf("segment %d: bad header: %w", id, errTorn)
	}
	if got := binary.LittleEndian.Uint64(data[8:]); got != id {
		return 0, fmt.Errorf("segment %d: header names segment %d", id, got)
	}
	off := headerSize
	for off < len(data) {
		if len(data)-off < frameHeader {
			// Fewer zeros than a frame header: the last frame ended just
			// short of where the writer's zeros stop.
			if allZero(data[off:]) {
				return int64(off), nil
			}
			return int64(off), errTorn
		}
		n := binary.LittleEndian.Uint32(data[off:])
		sum := binary.LittleEndian.Uint32(data[off+4:])
		if n == 0 && sum == 0 {
			// The zeros of a preallocated segment: no frame is empty.
			return int64(off), nil
		}
		if n > maxFrame || int(n) > len(data)-off-frameHeader {
			return int64(off), errTorn
		}
		payload := data[off+frameHeader : off+frameHeader+int(n)]
		if crc32.Checksum(payload, crcTable) != sum {
			return int64(off), errTorn
		}
		if err := fn(payload); err != nil {
			return int64(off), err
		}
		off += frameHeader + int(n)
	}
	return int64(off), nil
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// syncDir makes the creation or removal of files in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}
