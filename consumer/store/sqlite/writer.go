package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/herald-dev/herald/consumer"
	"github.com/herald-dev/herald/internal/groupcommit"
)

type opKind uint8

const (
	opClaim opKind = iota
	opComplete
	opRelease
	opExtend
	opPurge
)

// request is one write call waiting for the writer.
type request struct {
	groupcommit.Request
	kind     opKind
	owner    string
	lease    time.Duration
	keys     []string
	versions []consumer.EntityVersion
	before   int64 // opPurge: cutoff, Unix nanoseconds
	limit    int   // opPurge: most rows to delete

	states []consumer.ClaimState // opClaim result, one per key
	n      int64                 // opPurge result: rows deleted
}

// do hands r to the writer and waits for its commit. If ctx ends before
// the writer takes r, do returns ctx's error and r is never applied; once
// taken, do waits for the commit whatever ctx does.
func (s *Store) do(ctx context.Context, r *request) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if len(r.keys) == 0 && len(r.versions) == 0 && r.kind != opPurge {
		return s.checkOpen()
	}
	return s.q.Submit(ctx, r)
}

// commit applies group in one transaction and sets every request's
// answer in errs. The writer goroutine (groupcommit.Queue.Run) calls it.
func (s *Store) commit(group []*request, errs []error) {
	err := s.w.apply(group, time.Now().UnixNano())
	if err != nil {
		s.failed.Add(1)
		err = fmt.Errorf("transaction of %d calls: %w", len(group), err)
	} else {
		s.transactions.Add(1)
		s.calls.Add(uint64(len(group)))
	}
	for i := range errs {
		errs[i] = err
	}
}

// writer owns the write connection and its prepared statements.
type writer struct {
	conn *sql.Conn

	claim, done, complete, version, release, extend, purgeDone, purgeExpired *sql.Stmt
}

func newWriter(ctx context.Context, conn *sql.Conn) (*writer, error) {
	w := &writer{conn: conn}
	for _, p := range []struct {
		stmt **sql.Stmt
		sql  string
	}{
		// Each key of the JSON array ?1 that is not done is taken when
		// unclaimed, claimed by owner itself, or claimed with an expired
		// lease (?4 is now); the keys taken are returned. The others are
		// done or busy: done tells which. One statement per call, not per
		// key: a statement's round trip through database/sql and the
		// driver costs about as much as its work.
		{&w.claim, `INSERT INTO claims (key, owner, expires)
			SELECT value, ?2, ?3 FROM json_each(?1) WHERE NOT EXISTS (SELECT 1 FROM done WHERE key = value)
			ON CONFLICT (key) DO UPDATE SET owner = excluded.owner, expires = excluded.expires
			WHERE claims.owner = excluded.owner OR claims.expires <= ?4
			RETURNING key`},
		{&w.done, `SELECT key FROM done WHERE key IN (SELECT value FROM json_each(?1))`},
		// The trigger done_unclaims drops each key's claim.
		{&w.complete, `INSERT INTO done (key, at) SELECT value, ?2 FROM json_each(?1) WHERE true
			ON CONFLICT (key) DO NOTHING`},
		{&w.version, `INSERT INTO versions (entity, version) VALUES (?1, ?2)
			ON CONFLICT (entity) DO UPDATE SET version = excluded.version
			WHERE excluded.version > versions.version`},
		{&w.release, `DELETE FROM claims WHERE key = ?1 AND owner = ?2`},
		{&w.extend, `UPDATE claims SET expires = ?3 WHERE key = ?1 AND owner = ?2 AND expires > ?4`},
		{&w.purgeDone, `DELETE FROM done WHERE key IN
			(SELECT key FROM done WHERE at < ?1 ORDER BY at LIMIT ?2)`},
		{&w.purgeExpired, `DELETE FROM claims WHERE key IN
			(SELECT key FROM claims WHERE expires <= ?1 LIMIT ?2)`},
	} {
		st, err := conn.PrepareContext(ctx, p.sql)
		if err != nil {
			_ = w.close()
			return nil, fmt.Errorf("prepare: %w", err)
		}
		*p.stmt = st
	}
	return w, nil
}

func (w *writer) close() error {
	var errs []error
	for _, st := range []*sql.Stmt{w.claim, w.done, w.complete, w.version, w.release, w.extend, w.purgeDone, w.purgeExpired} {
		if st != nil {
			errs = append(errs, st.Close())
		}
	}
	errs = append(errs, w.conn.Close())
	return errors.Join(errs...)
}

// apply runs group in one transaction at time now (Unix nanoseconds). On
// error nothing of group is committed.
func (w *writer) apply(group []*request, now int64) (err error) {
	// The writer is never cancelled by one caller: a taken request is
	// always answered.
	ctx := context.Background()
	if _, err := w.conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer func() {
		if err != nil {
			_, _ = w.conn.ExecContext(ctx, "ROLLBACK")
		}
	}()
	for _, r := range group {
		if err := w.applyOne(ctx, r, now); err != nil {
			return err
		}
	}
	if _, err := w.conn.ExecContext(ctx, "COMMIT"); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

func (w *writer) applyOne(ctx context.Context, r *request, now int64) error {
	switch r.kind {
	case opClaim:
		list, err := jsonList(r.keys)
		if err != nil {
			return fmt.Errorf("claim: %w", err)
		}
		claimed, err := queryKeys(ctx, w.claim, list, r.owner, addSat(now, int64(r.lease)), now)
		if err != nil {
			return fmt.Errorf("claim: %w", err)
		}
		var done map[string]bool
		if len(claimed) < len(r.keys) {
			if done, err = queryKeys(ctx, w.done, list); err != nil {
				return fmt.Errorf("claim: %w", err)
			}
		}
		for i, k := range r.keys {
			switch {
			case claimed[k]:
				r.states[i] = consumer.Claimed
			case done[k]:
				r.states[i] = consumer.Done
			default:
				r.states[i] = consumer.Busy
			}
		}
	case opComplete:
		if len(r.keys) > 0 {
			list, err := jsonList(r.keys)
			if err != nil {
				return fmt.Errorf("complete: %w", err)
			}
			if _, err := w.complete.ExecContext(ctx, list, now); err != nil {
				return fmt.Errorf("complete: %w", err)
			}
		}
		for _, v := range r.versions {
			if _, err := w.version.ExecContext(ctx, v.Entity, v.Version); err != nil {
				return fmt.Errorf("version: %w", err)
			}
		}
	case opRelease:
		for _, k := range r.keys {
			if _, err := w.release.ExecContext(ctx, k, r.owner); err != nil {
				return fmt.Errorf("release: %w", err)
			}
		}
	case opExtend:
		until := addSat(now, int64(r.lease))
		for _, k := range r.keys {
			if _, err := w.extend.ExecContext(ctx, k, r.owner, until, now); err != nil {
				return fmt.Errorf("extend: %w", err)
			}
		}
	case opPurge:
		n, err := execN(ctx, w.purgeDone, r.before, r.limit)
		if err != nil {
			return fmt.Errorf("purge done: %w", err)
		}
		if int(n) < r.limit {
			m, err := execN(ctx, w.purgeExpired, now, r.limit-int(n))
			if err != nil {
				return fmt.Errorf("purge expired: %w", err)
			}
			n += m
		}
		r.n = n
	}
	return nil
}

// execN runs st and returns the number of rows it changed.
func execN(ctx context.Context, st *sql.Stmt, args ...any) (int64, error) {
	res, err := st.ExecContext(ctx, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// jsonList is keys as a JSON array, for json_each.
func jsonList(keys []string) (string, error) {
	b, err := json.Marshal(keys)
	return string(b), err
}

// queryKeys runs st, whose rows are single keys, and returns the set of
// them.
func queryKeys(ctx context.Context, st *sql.Stmt, args ...any) (map[string]bool, error) {
	rows, err := st.QueryContext(ctx, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	keys := map[string]bool{}
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return nil, err
		}
		keys[k] = true
	}
	return keys, rows.Err()
}
