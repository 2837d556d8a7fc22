package postgres

import (
	"context"
	"errors"
	"sync"

	"github.com/jackc/pgx/v5"
)

// ErrClosed is returned, wrapped, by every method called after Close.
var ErrClosed = errors.New("postgres: store closed")

// pool is a small pool of connections, all made from one config. (pgxpool
// would need a module this project does not carry.) A connection that is
// broken, or is given back inside a transaction or mid-query, is closed
// instead of reused.
type pool struct {
	cfg   *pgx.ConnConfig
	idle  chan *pgx.Conn // connections ready for use
	slots chan struct{}  // one token per connection open or opening

	mu     sync.Mutex
	closed bool
}

func newPool(cfg *pgx.ConnConfig, size int) *pool {
	return &pool{
		cfg:   cfg,
		idle:  make(chan *pgx.Conn, size),
		slots: make(chan struct{}, size),
	}
}

// acquire returns an idle connection, or a new one while the pool is not
// full, or waits for one to be released or for ctx to end.
func (p *pool) acquire(ctx context.Context) (*pgx.Conn, error) {
	if p.isClosed() {
		return nil, ErrClosed
	}
	select {
	case c := <-p.idle:
		return c, nil
	default:
	}
	select {
	case c := <-p.idle:
		return c, nil
	case p.slots <- struct{}{}:
		c, err := pgx.ConnectConfig(ctx, p.cfg)
		if err != nil {
			<-p.slots
			return nil, err
		}
		return c, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// release gives c back to the pool, or closes it when it is not reusable
// or the pool is closed.
func (p *pool) release(c *pgx.Conn) {
	reusable := !c.IsClosed() && !c.PgConn().IsBusy() && c.PgConn().TxStatus() == 'I'
	p.mu.Lock()
	if reusable && !p.closed {
		p.idle <- c // never blocks: at most cap(slots) connections exist
		p.mu.Unlock()
		return
	}
	p.mu.Unlock()
	_ = c.Close(context.Background())
	<-p.slots
}

func (p *pool) isClosed() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.closed
}

// close closes the idle connections; those in use are closed when
// released. It is safe to call more than once.
func (p *pool) close() {
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	for {
		select {
		case c := <-p.idle:
			_ = c.Close(context.Background())
			<-p.slots
		default:
			return
		}
	}
}
