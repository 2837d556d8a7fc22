// Package binenc is the compact binary encoding the durable stores share:
// uvarint-length-prefixed strings and bytes, zigzag varints, and message
// attribute sets. Decoding is defensive: a length never exceeds the input
// left, so corrupt input cannot make a decoder allocate more than its size.
package binenc

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/herald-dev/herald/internal/queue"
)

// attrsVersion is the first byte of an encoded attribute set.
const attrsVersion = 1

// ErrCorrupt is returned (wrapped) for input that is not a valid encoding.
var ErrCorrupt = errors.New("corrupt encoding")

// AppendAttrs appends the binary encoding of a to b and returns it, or b
// unchanged (nil-able) if a is empty. The encoding is a version byte, the
// number of attributes, and for each: name, DataType, StringValue,
// BinaryValue, then StringList and BinaryList as a count and items; every
// string or byte slice is a uvarint length and the bytes. Empty and nil
// slices are not told apart.
func AppendAttrs(b []byte, a queue.MessageAttributes) []byte {
	if len(a) == 0 {
		return b
	}
	b = append(b, attrsVersion)
	b = binary.AppendUvarint(b, uint64(len(a)))
	for name, v := range a {
		b = AppendString(b, name)
		b = AppendString(b, v.DataType)
		b = AppendString(b, v.StringValue)
		b = AppendBytes(b, v.BinaryValue)
		b = binary.AppendUvarint(b, uint64(len(v.StringList)))
		for _, s := range v.StringList {
			b = AppendString(b, s)
		}
		b = binary.AppendUvarint(b, uint64(len(v.BinaryList)))
		for _, x := range v.BinaryList {
			b = AppendBytes(b, x)
		}
	}
	return b
}

// AppendString appends s with its uvarint length.
func AppendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// AppendBytes appends x with its uvarint length.
func AppendBytes(b, x []byte) []byte {
	b = binary.AppendUvarint(b, uint64(len(x)))
	return append(b, x...)
}

// DecodeAttrs decodes what AppendAttrs wrote; empty input is no attributes.
// The result does not alias b.
func DecodeAttrs(b []byte) (queue.MessageAttributes, error) {
	if len(b) == 0 {
		return nil, nil
	}
	if b[0] != attrsVersion {
		return nil, fmt.Errorf("attribute encoding version %d: %w", b[0], ErrCorrupt)
	}
	d := Decoder{B: b[1:]}
	n := d.Count()
	a := make(queue.MessageAttributes, n)
	for range n {
		name := d.String()
		var v queue.AttributeValue
		v.DataType = d.String()
		v.StringValue = d.String()
		v.BinaryValue = d.Bytes()
		if k := d.Count(); k > 0 {
			v.StringList = make([]string, k)
			for i := range v.StringList {
				v.StringList[i] = d.String()
			}
		}
		if k := d.Count(); k > 0 {
			v.BinaryList = make([][]byte, k)
			for i := range v.BinaryList {
				v.BinaryList[i] = d.Bytes()
			}
		}
		if d.Err != nil {
			return nil, d.Err
		}
		a[name] = v
	}
	if d.Err == nil && len(d.B) != 0 {
		d.Err = fmt.Errorf("%d trailing bytes: %w", len(d.B), ErrCorrupt)
	}
	return a, d.Err
}

// Decoder reads the pieces of an encoding from B; the first error sticks in
// Err and makes every later read return zero values.
type Decoder struct {
	B   []byte
	Err error
}

// Uvarint reads an unsigned varint.
func (d *Decoder) Uvarint() uint64 {
	if d.Err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.B)
	if n <= 0 {
		d.Err = ErrCorrupt
		return 0
	}
	d.B = d.B[n:]
	return v
}

// Varint reads a zigzag varint.
func (d *Decoder) Varint() int64 {
	if d.Err != nil {
		return 0
	}
	v, n := binary.Varint(d.B)
	if n <= 0 {
		d.Err = ErrCorrupt
		return 0
	}
	d.B = d.B[n:]
	return v
}

// Byte reads one byte.
func (d *Decoder) Byte() byte {
	if d.Err != nil {
		return 0
	}
	if len(d.B) == 0 {
		d.Err = ErrCorrupt
		return 0
	}
	c := d.B[0]
	d.B = d.B[1:]
	return c
}

// Count reads a length that must fit in the remaining input, which bounds
// the allocations that corrupt input can cause.
func (d *Decoder) Count() int {
	v := d.Uvarint()
	if v > uint64(len(d.B)) {
		d.Err = ErrCorrupt
		return 0
	}
	return int(v)
}

// Raw reads a length-prefixed byte slice that aliases the input.
func (d *Decoder) Raw() []byte {
	n := d.Count()
	if d.Err != nil {
		return nil
	}
	x := d.B[:n:n]
	d.B = d.B[n:]
	return x
}

// String reads a length-prefixed string.
func (d *Decoder) String() string { return string(d.Raw()) }

// Bytes reads a length-prefixed byte slice into a copy; empty is nil.
func (d *Decoder) Bytes() []byte {
	x := d.Raw()
	if len(x) == 0 {
		return nil
	}
	return append([]byte(nil), x...)
}
