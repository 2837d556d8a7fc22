package postgres

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"sort"

	"github.com/jackc/pgx/v5"
)

// schemaFiles are the migrations, applied in file name order. Applying
// file k (counting from 1) brings the schema to version k, recorded as a
// row of herald_pub_schema_version. Released files are never edited; a
// change of schema is a new file.
//
//go:embed migrations/*.sql
var schemaFiles embed.FS

// migrationLockKey names the advisory lock that serializes migrations of
// one schema across processes.
const migrationLockKey = "herald_pub_migrate:"

// migrate creates or upgrades the tables in schema (the connection's
// search_path when schema is empty) inside one transaction holding a
// transaction-level advisory lock: publishers starting together take
// turns, the first one migrates and the others find the work done.
func migrate(ctx context.Context, conn *pgx.Conn, schema string) (err error) {
	files, err := fs.Glob(schemaFiles, "migrations/*.sql")
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	sort.Strings(files)

	tx, err := conn.Begin(ctx)
	if err != nil {
		return fmt.Errorf("migrate: begin: %w", err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback(context.WithoutCancel(ctx))
		}
	}()
	if _, err = tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, migrationLockKey+schema); err != nil {
		return fmt.Errorf("migrate: advisory lock: %w", err)
	}
	if schema != "" {
		name := pgx.Identifier{schema}.Sanitize()
		if _, err = tx.Exec(ctx, `CREATE SCHEMA IF NOT EXISTS `+name); err != nil {
			return fmt.Errorf("migrate: create schema %s: %w", name, err)
		}
		if _, err = tx.Exec(ctx, `SET LOCAL search_path TO `+name); err != nil {
			return fmt.Errorf("migrate: search_path: %w", err)
		}
	}
	if _, err = tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS herald_pub_schema_version (
		version    integer     NOT NULL PRIMARY KEY,
		applied_at timestamptz NOT NULL DEFAULT now()
	)`); err != nil {
		return fmt.Errorf("migrate: version table: %w", err)
	}
	var current int
	if err = tx.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM herald_pub_schema_version`).Scan(&current); err != nil {
		return fmt.Errorf("migrate: read version: %w", err)
	}
	if current > len(files) {
		return fmt.Errorf("migrate: the database schema is at version %d, newer than this program knows (%d)", current, len(files))
	}
	for v := current + 1; v <= len(files); v++ {
		name := files[v-1]
		var sql []byte
		if sql, err = schemaFiles.ReadFile(name); err != nil {
			return fmt.Errorf("migrate: %s: %w", name, err)
		}
		if _, err = tx.Exec(ctx, string(sql)); err != nil {
			return fmt.Errorf("migrate: %s: %w", name, err)
		}
		if _, err = tx.Exec(ctx, `INSERT INTO herald_pub_schema_version (version) VALUES ($1)`, v); err != nil {
			return fmt.Errorf("migrate: %s: record version: %w", name, err)
		}
	}
	if err = tx.Commit(ctx); err != nil {
		return fmt.Errorf("migrate: commit: %w", err)
	}
	return nil
}
