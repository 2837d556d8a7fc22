package sigv4

import (
	"crypto/hmac"
	"crypto/sha256"
	"sync"
)

// maxCachedKeys bounds the signing-key cache; past it the cache starts over.
// A key is valid for one day, so the cache holds one entry per active access
// key in steady state.
const maxCachedKeys = 4096

type cachedKey struct {
	secret string
	key    [sha256.Size]byte
}

// keyCache maps access key, date, region and service to a derived signing
// key. The secret is kept alongside so a rotated secret is noticed.
type keyCache struct {
	mu   sync.RWMutex
	keys map[keyID]cachedKey
}

// keyID names a signing key: a struct rather than a joined string, so that
// a lookup allocates nothing.
type keyID struct{ accessKey, date, region, service string }

func hmacSHA256(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}

// deriveKey computes HMAC chains "AWS4"+secret → date → region → service →
// "aws4_request".
func deriveKey(secret, date, region, service string) [sha256.Size]byte {
	k := hmacSHA256([]byte("AWS4"+secret), date)
	k = hmacSHA256(k, region)
	k = hmacSHA256(k, service)
	k = hmacSHA256(k, "aws4_request")
	var out [sha256.Size]byte
	copy(out[:], k)
	return out
}

func (c *keyCache) get(accessKey, secret, date, region, service string) [sha256.Size]byte {
	id := keyID{accessKey, date, region, service}
	c.mu.RLock()
	e, ok := c.keys[id]
	c.mu.RUnlock()
	if ok && e.secret == secret {
		return e.key
	}
	k := deriveKey(secret, date, region, service)
	c.mu.Lock()
	if c.keys == nil || len(c.keys) >= maxCachedKeys {
		c.keys = make(map[keyID]cachedKey)
	}
	c.keys[id] = cachedKey{secret: secret, key: k}
	c.mu.Unlock()
	return k
}
