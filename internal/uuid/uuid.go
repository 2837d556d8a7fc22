// Package uuid formats UUIDs in their canonical text form and makes random
// (version 4) ones: message ids, request ids, subscription ids.
package uuid

import (
	"crypto/rand"
	"encoding/hex"
)

// Format returns b as xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx, lower case.
func Format(b [16]byte) string {
	var s [36]byte
	hex.Encode(s[0:8], b[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], b[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], b[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], b[8:10])
	s[23] = '-'
	hex.Encode(s[24:], b[10:])
	return string(s[:])
}

// Random returns 16 random bytes (crypto/rand).
func Random() [16]byte {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return b
}

// NewV4 returns a random RFC 4122 version 4 UUID.
func NewV4() string {
	b := Random()
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return Format(b)
}
