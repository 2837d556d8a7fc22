package sqlite

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/herald-dev/herald/internal/queue"
)

// attrsVersion is the first byte of an encoded attribute set.
const attrsVersion = 1

// appendAttrs appends the binary encoding of a to b and returns it, or b
// unchanged (nil-able) if a is empty. The encoding is a version byte, the
// number of attributes, and for each: name, DataType, StringValue,
// BinaryValue, then StringList and BinaryList as a count and items; every
// string or byte slice is a uvarint length and the bytes. Empty and nil
// slices are not told apart.
func appendAttrs(b []byte, a queue.MessageAttributes) []byte {
	if len(a) == 0 {
		return b
	}
	b = append(b, attrsVersion)
	b = binary.AppendUvarint(b, uint64(len(a)))
	for name, v := range a {
		b = appendString(b, name)
		b = appendString(b, v.DataType)
		b = appendString(b, v.StringValue)
		b = appendBytes(b, v.BinaryValue)
		b = binary.AppendUvarint(b, uint64(len(v.StringList)))
		for _, s := range v.StringList {
			b = appendString(b, s)
		}
		b = binary.AppendUvarint(b, uint64(len(v.BinaryList)))
		for _, x := range v.BinaryList {
			b = appendBytes(b, x)
		}
	}
	return b
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendBytes(b, x []byte) []byte {
	b = binary.AppendUvarint(b, uint64(len(x)))
	return append(b, x...)
}

var errCorrupt = errors.New("corrupt attribute encoding")

// decodeAttrs decodes what appendAttrs wrote; empty input is no attributes.
// The result does not alias b.
func decodeAttrs(b []byte) (queue.MessageAttributes, error) {
	if len(b) == 0 {
		return nil, nil
	}
	if b[0] != attrsVersion {
		return nil, fmt.Errorf("attribute encoding version %d: %w", b[0], errCorrupt)
	}
	d := decoder{b: b[1:]}
	n := d.count()
	a := make(queue.MessageAttributes, n)
	for range n {
		name := d.string()
		var v queue.AttributeValue
		v.DataType = d.string()
		v.StringValue = d.string()
		v.BinaryValue = d.bytes()
		if k := d.count(); k > 0 {
			v.StringList = make([]string, k)
			for i := range v.StringList {
				v.StringList[i] = d.string()
			}
		}
		if k := d.count(); k > 0 {
			v.BinaryList = make([][]byte, k)
			for i := range v.BinaryList {
				v.BinaryList[i] = d.bytes()
			}
		}
		if d.err != nil {
			return nil, d.err
		}
		a[name] = v
	}
	if d.err == nil && len(d.b) != 0 {
		d.err = fmt.Errorf("%d trailing bytes: %w", len(d.b), errCorrupt)
	}
	return a, d.err
}

// decoder reads the pieces of an attribute encoding; the first error sticks
// and makes every later read return zero values.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.err = errCorrupt
		return 0
	}
	d.b = d.b[n:]
	return v
}

// count reads a length that must fit in the remaining input, which bounds
// the allocations that corrupt input can cause.
func (d *decoder) count() int {
	v := d.uvarint()
	if v > uint64(len(d.b)) {
		d.err = errCorrupt
		return 0
	}
	return int(v)
}

func (d *decoder) raw() []byte {
	n := d.count()
	if d.err != nil {
		return nil
	}
	x := d.b[:n:n]
	d.b = d.b[n:]
	return x
}

func (d *decoder) string() string { return string(d.raw()) }

func (d *decoder) bytes() []byte {
	x := d.raw()
	if len(x) == 0 {
		return nil
	}
	return append([]byte(nil), x...)
}

// encodeMap encodes queue attributes or tags as a JSON object.
func encodeMap(m map[string]string) (string, error) {
	if len(m) == 0 {
		return "{}", nil
	}
	b, err := json.Marshal(m)
	return string(b), err
}

// decodeMap decodes what encodeMap wrote; "{}" is a nil map.
func decodeMap(s string) (map[string]string, error) {
	if s == "{}" || s == "" {
		return nil, nil
	}
	var m map[string]string
	err := json.Unmarshal([]byte(s), &m)
	return m, err
}
