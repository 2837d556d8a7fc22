package postgres

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"slices"

	"github.com/jackc/pgx/v5"
)

// migrations holds the schema, one file per version, applied in name order:
// file i (from 0) brings the schema to version i+1, which is recorded in
// herald_consumer_migrations. Never edit a released file; add a new one.
//
//go:embed migrations/*.sql
var migrations embed.FS

// migrate brings the tables in schema (or, when schema is empty, in the
// first schema of the search_path) up to date, in one transaction. A
// transaction-scoped advisory lock makes concurrent Opens of one schema,
// from any number of processes, take turns: the first applies the
// migrations, the others find them applied.
func migrate(ctx context.Context, conn *pgx.Conn, schema string) (err error) {
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	slices.Sort(names)
	tx, err := conn.Begin(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback(context.WithoutCancel(ctx))
		}
	}()
	if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
		"herald_consumer_migrate:"+schema); err != nil {
		return fmt.Errorf("migrate: lock: %w", err)
	}
	if schema != "" {
		ident := pgx.Identifier{schema}.Sanitize()
		if _, err := tx.Exec(ctx, "CREATE SCHEMA IF NOT EXISTS "+ident); err != nil {
			return fmt.Errorf("migrate: create schema: %w", err)
		}
		if _, err := tx.Exec(ctx, "SET LOCAL search_path TO "+ident); err != nil {
			return fmt.Errorf("migrate: search_path: %w", err)
		}
	}
	if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS herald_consumer_migrations (
		version    integer     NOT NULL PRIMARY KEY,
		applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	var version int
	if err := tx.QueryRow(ctx, "SELECT coalesce(max(version), 0) FROM herald_consumer_migrations").Scan(&version); err != nil {
		return fmt.Errorf("migrate: schema version: %w", err)
	}
	if version > len(names) {
		return fmt.Errorf("migrate: schema version %d is newer than this program's (%d)", version, len(names))
	}
	for i := version; i < len(names); i++ {
		script, err := migrations.ReadFile(names[i])
		if err != nil {
			return fmt.Errorf("migration %s: %w", names[i], err)
		}
		if _, err := tx.Exec(ctx, string(script)); err != nil {
			return fmt.Errorf("migration %s: %w", names[i], err)
		}
		if _, err := tx.Exec(ctx, "INSERT INTO herald_consumer_migrations (version) VALUES ($1)", i+1); err != nil {
			return fmt.Errorf("migration %s: %w", names[i], err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("migrate: commit: %w", err)
	}
	return nil
}
