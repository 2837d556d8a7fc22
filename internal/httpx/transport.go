// Package httpx holds what Herald's HTTP clients share.
package httpx

import "net/http"

// Transport returns a clone of net/http's default transport (a transport of
// its own, so that closing its idle connections touches no one else's)
// that keeps up to idlePerHost idle connections to each host instead of
// net/http's 2. A client with more requests in flight to one host than it
// keeps idle connections closes a connection after most requests, and the
// next request dials (and handshakes TLS) anew.
func Transport(idlePerHost int) *http.Transport {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = idlePerHost
	tr.MaxIdleConns = max(tr.MaxIdleConns, idlePerHost)
	return tr
}
