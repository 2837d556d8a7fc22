package postgres

import (
	"context"
	"sync"

	"github.com/herald-dev/herald/publisher/store"
	"github.com/jackc/pgx/v5"
)

// connPool lends out at most max connections made from one config.
// (pgxpool needs a module this project does not carry.) Idle connections
// are kept on a stack, so that a light load keeps reusing the same few.
// A connection given back broken, busy or inside a transaction is closed
// rather than reused.
type connPool struct {
	cfg    *pgx.ConnConfig
	tokens chan struct{} // holds one token per connection lent out or being made

	mu     sync.Mutex
	idle   []*pgx.Conn
	closed bool
}

func newConnPool(cfg *pgx.ConnConfig, max int) *connPool {
	return &connPool{cfg: cfg, tokens: make(chan struct{}, max)}
}

// get lends a connection: an idle one, or a new one. It waits while max
// connections are lent out, until one comes back or ctx ends.
func (p *connPool) get(ctx context.Context) (*pgx.Conn, error) {
	select {
	case p.tokens <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		<-p.tokens
		return nil, store.ErrClosed
	}
	if n := len(p.idle); n > 0 {
		c := p.idle[n-1]
		p.idle[n-1] = nil
		p.idle = p.idle[:n-1]
		p.mu.Unlock()
		return c, nil
	}
	p.mu.Unlock()
	c, err := pgx.ConnectConfig(ctx, p.cfg)
	if err != nil {
		<-p.tokens
		return nil, err
	}
	return c, nil
}

// put takes back a connection that get lent.
func (p *connPool) put(c *pgx.Conn) {
	ok := !c.IsClosed() && !c.PgConn().IsBusy() && c.PgConn().TxStatus() == 'I'
	p.mu.Lock()
	if ok && !p.closed {
		p.idle = append(p.idle, c)
		p.mu.Unlock()
		<-p.tokens
		return
	}
	p.mu.Unlock()
	_ = c.Close(context.Background())
	<-p.tokens
}

// isClosed reports whether close was called.
func (p *connPool) isClosed() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.closed
}

// close closes the idle connections and makes get fail; connections lent
// out are closed as they come back. Calling it again does nothing.
func (p *connPool) close() {
	p.mu.Lock()
	idle := p.idle
	p.idle, p.closed = nil, true
	p.mu.Unlock()
	for _, c := range idle {
		_ = c.Close(context.Background())
	}
}
