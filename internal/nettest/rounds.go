// Package nettest helps tests check that an HTTP client reuses its
// connections under concurrent load.
package nettest

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// RoundServer is an HTTP server that answers in rounds: it holds each
// request until Width requests have arrived since the last round ended,
// then answers them all with the same response. A client that sends rounds
// of Width concurrent requests therefore has Width connections open at
// once in every round; Dials tells how many it opened in all.
type RoundServer struct {
	*httptest.Server
	Width int

	dials   atomic.Int64
	mu      sync.Mutex
	arrived int
	release chan struct{}
}

// NewRoundServer starts a RoundServer answering every request with status
// 200, contentType and body. It is closed when the test ends.
func NewRoundServer(t testing.TB, width int, contentType, body string) *RoundServer {
	s := &RoundServer{Width: width, release: make(chan struct{})}
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		s.mu.Lock()
		s.arrived++
		release := s.release
		if s.arrived == s.Width {
			close(s.release)
			s.release, s.arrived = make(chan struct{}), 0
		}
		s.mu.Unlock()
		select {
		case <-release:
		case <-time.After(10 * time.Second): // a round that never fills fails the test on Dials
		}
		w.Header().Set("Content-Type", contentType)
		_, _ = io.WriteString(w, body)
	}))
	s.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			s.dials.Add(1)
		}
	}
	s.Start()
	t.Cleanup(s.Close)
	return s
}

// Dials is the number of connections clients have opened so far.
func (s *RoundServer) Dials() int64 { return s.dials.Load() }

// Rounds runs rounds rounds of s.Width concurrent calls of call, each round
// after the previous one ended, and fails t when the calls after the first
// round opened more than a couple of new connections: a client that keeps
// too few idle connections dials again for most requests of every round.
func (s *RoundServer) Rounds(t testing.TB, rounds int, call func() error) {
	t.Helper()
	for round := 1; round <= rounds; round++ {
		var wg sync.WaitGroup
		for range s.Width {
			wg.Go(func() {
				if err := call(); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if round == 1 && s.Dials() < int64(s.Width) {
			t.Fatalf("round 1 used %d connections for %d concurrent requests", s.Dials(), s.Width)
		}
	}
	if n := s.Dials(); n > int64(s.Width)+2 {
		t.Errorf("%d rounds of %d concurrent requests opened %d connections, want about %d", rounds, s.Width, n, s.Width)
	}
}
