package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/herald-dev/herald/internal/groupcommit"
)

// request is one write call. apply runs it inside the group's transaction
// at time now (Unix nanoseconds); it keeps its results in variables of the
// calling method, which reads them once do says the call committed.
type request struct {
	groupcommit.Request
	apply func(w *writer, now int64) error
}

// do queues a write call and waits for its answer. If ctx ends before the
// writer took the call, do returns ctx's error and the call is never
// applied; once taken, it is waited for whatever ctx does.
func (s *Store) do(ctx context.Context, apply func(w *writer, now int64) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.q.Submit(ctx, &request{apply: apply})
}

// commit runs group in one transaction, each call in a savepoint of its
// own, and sets each call's answer in errs: its own error when it failed
// alone, the transaction's when the transaction failed (nothing of the
// group is then applied), nil when it committed. The writer goroutine
// (groupcommit.Queue.Run) calls it.
func (s *Store) commit(group []*request, errs []error) {
	txErr := s.w.runGroup(group, errs, time.Now().UnixNano())
	if txErr != nil {
		txErr = fmt.Errorf("sqlite: transaction of %d calls: %w", len(group), txErr)
	} else {
		s.transactions.Add(1)
	}
	for i := range group {
		if txErr != nil {
			errs[i] = txErr
		}
		if errs[i] != nil {
			s.failed.Add(1)
		}
		s.calls.Add(1)
	}
}

// runGroup is commit's transaction. errs receives each call's own error.
func (w *writer) runGroup(group []*request, errs []error, now int64) (err error) {
	ctx := context.Background() // one caller never cancels the others' calls
	if _, err := w.begin.ExecContext(ctx); err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer func() {
		if err != nil {
			_, _ = w.conn.ExecContext(ctx, "ROLLBACK")
		}
	}()
	for i, r := range group {
		if _, err := w.savepoint.ExecContext(ctx); err != nil {
			return fmt.Errorf("savepoint: %w", err)
		}
		if errs[i] = r.apply(w, now); errs[i] != nil {
			// When SQLite rolled the whole transaction back (a full disk,
			// an I/O error), the savepoint is gone and the group fails.
			if _, err := w.rollbackTo.ExecContext(ctx); err != nil {
				return fmt.Errorf("after %w: rollback to savepoint: %w", errs[i], err)
			}
		}
		if _, err := w.release.ExecContext(ctx); err != nil {
			return fmt.Errorf("release savepoint: %w", err)
		}
	}
	if _, err := w.commit.ExecContext(ctx); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// writer owns the write connection and its prepared statements.
type writer struct {
	conn *sql.Conn
	all  []*sql.Stmt

	begin, commit, savepoint, rollbackTo, release *sql.Stmt

	subInsert, subUpdate, subDelete, subExists *sql.Stmt

	idemLookup, seqNext, eventInsert, eventRef, deliveryInsert, count *sql.Stmt

	claimSelect, claimUpdate *sql.Stmt

	finishDelivered, finishRetry, finishDead, finishReleased, attemptInsert *sql.Stmt
}

func newWriter(ctx context.Context, conn *sql.Conn) (*writer, error) {
	w := &writer{conn: conn}
	for _, p := range []struct {
		st  **sql.Stmt
		sql string
	}{
		{&w.begin, "BEGIN IMMEDIATE"},
		{&w.commit, "COMMIT"},
		{&w.savepoint, "SAVEPOINT call"},
		{&w.rollbackTo, "ROLLBACK TO call"},
		{&w.release, "RELEASE call"},

		{&w.subInsert, sqlSubInsert},
		{&w.subUpdate, sqlSubUpdate},
		{&w.subDelete, sqlSubDelete},
		{&w.subExists, sqlSubExists},

		{&w.idemLookup, sqlIdemLookup},
		{&w.seqNext, sqlSeqNext},
		{&w.eventInsert, sqlEventInsert},
		{&w.eventRef, sqlEventRef},
		{&w.deliveryInsert, sqlDeliveryInsert},
		{&w.count, sqlCount},

		{&w.claimSelect, sqlClaimSelect},
		{&w.claimUpdate, sqlClaimUpdate},

		{&w.finishDelivered, sqlFinishDelivered},
		{&w.finishRetry, sqlFinishRetry},
		{&w.finishDead, sqlFinishDead},
		{&w.finishReleased, sqlFinishReleased},
		{&w.attemptInsert, sqlAttemptInsert},
	} {
		st, err := conn.PrepareContext(ctx, p.sql)
		if err != nil {
			_ = w.close()
			return nil, fmt.Errorf("prepare %q: %w", p.sql, err)
		}
		*p.st = st
		w.all = append(w.all, st)
	}
	return w, nil
}

func (w *writer) close() error {
	var errs []error
	for _, st := range w.all {
		errs = append(errs, st.Close())
	}
	errs = append(errs, w.conn.Close())
	return errors.Join(errs...)
}

// execN runs st and returns how many rows it changed.
func execN(st *sql.Stmt, args ...any) (int64, error) {
	res, err := st.ExecContext(context.Background(), args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
