package snshttp

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"

	"github.com/herald-dev/herald/consumer"
)

// Server states.
const (
	stateNew = iota
	stateStarted
	stateStopped
)

// Server runs a Handler on its own listener, at Config.Path, over HTTPS
// when Config.TLSCert and TLSKey are set and plain HTTP otherwise.
//
// Lifecycle: NewServer, Start once, Stop (which is safe to call more than
// once, and before Start). A Server cannot be restarted.
type Server struct {
	cfg     Config
	handler *Handler
	log     *slog.Logger

	mu    sync.Mutex
	state int
	srv   *http.Server
	addr  string
	https bool
	done  chan struct{} // closed when Serve has returned
}

// NewServer returns a Server for cfg that hands notifications to p. A nil
// logger means slog.Default(). It returns cfg.Validate's error, or an error
// when cfg.Listen is empty.
func NewServer(cfg Config, p consumer.Processor, logger *slog.Logger) (*Server, error) {
	if cfg.Listen == "" {
		return nil, errors.New("snshttp: listen address is required")
	}
	h, err := NewHandler(cfg, p, logger)
	if err != nil {
		return nil, err
	}
	return &Server{cfg: cfg, handler: h, log: h.log}, nil
}

// Handler returns the server's Handler.
func (s *Server) Handler() *Handler { return s.handler }

// Stats returns the handler's counters.
func (s *Server) Stats() *Stats { return s.handler.Stats() }

// Start loads the TLS certificate (if configured), listens on cfg.Listen
// and serves in the background; it returns once the listener is open, so
// deliveries can be made as soon as it returns. ctx bounds starting only:
// requests' contexts carry its values but not its cancellation, and the
// server runs until Stop.
//
// Errors: the TLS files cannot be loaded, the address cannot be listened
// on, or the server was already started or stopped.
func (s *Server) Start(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch s.state {
	case stateStarted:
		return errors.New("snshttp: server already started")
	case stateStopped:
		return errors.New("snshttp: server stopped")
	}
	var tlsConfig *tls.Config
	if s.cfg.TLSCert != "" {
		cert, err := tls.LoadX509KeyPair(s.cfg.TLSCert, s.cfg.TLSKey)
		if err != nil {
			return fmt.Errorf("snshttp: TLS certificate: %w", err)
		}
		tlsConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", s.cfg.Listen)
	if err != nil {
		return fmt.Errorf("snshttp: listen: %w", err)
	}
	base := context.WithoutCancel(ctx)
	srv := &http.Server{
		Handler:           s.route(),
		TLSConfig:         tlsConfig,
		ReadHeaderTimeout: s.cfg.ReadHeaderTimeout.Or(DefaultReadHeaderTimeout),
		ReadTimeout:       s.cfg.ReadTimeout.Or(DefaultReadTimeout),
		IdleTimeout:       s.cfg.IdleTimeout.Or(DefaultIdleTimeout),
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return base },
	}
	s.srv, s.addr, s.https = srv, ln.Addr().String(), tlsConfig != nil
	s.done = make(chan struct{})
	s.state = stateStarted
	go func() {
		defer close(s.done)
		var err error
		if tlsConfig != nil {
			err = srv.ServeTLS(ln, "", "") // certificates come from TLSConfig
		} else {
			err = srv.Serve(ln)
		}
		if !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("snshttp: server stopped serving", "addr", ln.Addr().String(), "err", err)
		}
	}()
	s.log.Info("snshttp: listening for SNS deliveries", "url", s.urlLocked())
	return nil
}

// route serves the Handler at the configured path only.
func (s *Server) route() http.Handler {
	path := s.cfg.path()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != path {
			http.NotFound(w, r)
			return
		}
		s.handler.ServeHTTP(w, r)
	})
}

// Addr returns the address the server listens on ("127.0.0.1:43127", the
// chosen port when Listen's is 0), or "" before Start.
func (s *Server) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addr
}

// URL returns the endpoint's URL, to subscribe with ("http://" or
// "https://", Addr and Path), or "" before Start. When Listen's host is
// unspecified (":8080", "0.0.0.0:8080") so is the URL's: subscribe a name
// the broker can reach instead.
func (s *Server) URL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.urlLocked()
}

func (s *Server) urlLocked() string {
	if s.addr == "" {
		return ""
	}
	scheme := "http://"
	if s.https {
		scheme = "https://"
	}
	return scheme + s.addr + s.cfg.path()
}

// Stop stops the server gracefully: it closes the listener, then waits for
// requests in flight (a notification being processed, a subscription being
// confirmed) to be answered, or for ctx to end, in which case it closes
// the remaining connections and returns ctx's error, wrapped. The answer
// SNS then gets is a broken connection, which it retries.
//
// Stop is safe to call more than once and before Start; every call but the
// first returns nil at once.
func (s *Server) Stop(ctx context.Context) error {
	s.mu.Lock()
	state := s.state
	s.state = stateStopped
	srv, done, addr := s.srv, s.done, s.addr
	s.mu.Unlock()
	if state != stateStarted {
		return nil
	}
	err := srv.Shutdown(ctx)
	if err != nil {
		_ = srv.Close()
		err = fmt.Errorf("snshttp: stop: %w", err)
	}
	<-done
	s.log.Info("snshttp: stopped", "addr", addr)
	return err
}
