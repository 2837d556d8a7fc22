package publisher

import (
	"crypto/rand"
	"sync"
	"time"

	"github.com/herald-dev/herald/internal/uuid"
)

// NewID returns a new unique id: a UUID version 7 (RFC 9562) in its
// canonical text form. Its first 48 bits are the Unix time in
// milliseconds and the next 12 count up within a millisecond, so ids
// issued by one process sort in the order they were issued, and ids of
// different processes sort roughly by time.
func NewID() string {
	var b [16]byte
	if _, err := rand.Read(b[6:]); err != nil {
		panic("publisher: crypto/rand failed: " + err.Error())
	}
	ms, seq := idClock.next()
	b[0], b[1], b[2] = byte(ms>>40), byte(ms>>32), byte(ms>>24)
	b[3], b[4], b[5] = byte(ms>>16), byte(ms>>8), byte(ms)
	b[6] = 0x70 | byte(seq>>8)&0x0f // version 7, 4 high bits of seq
	b[7] = byte(seq)
	b[8] = 0x80 | b[8]&0x3f // RFC 9562 variant
	return uuid.Format(b)
}

// idClock hands out (millisecond, sequence) pairs that never go back: when
// the 12-bit sequence of a millisecond runs out, or the wall clock steps
// back, it borrows the next millisecond.
var idClock clock

type clock struct {
	mu  sync.Mutex
	ms  int64
	seq int64
}

func (c *clock) next() (ms, seq int64) {
	now := time.Now().UnixMilli()
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case now > c.ms:
		c.ms, c.seq = now, 0
	case c.seq < 0xfff:
		c.seq++
	default:
		c.ms, c.seq = c.ms+1, 0
	}
	return c.ms, c.seq
}
