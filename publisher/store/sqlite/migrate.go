package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"sort"
)

// schema holds the migrations, one file per schema version, applied in
// name order: after file i (counting from 0) the schema is at version i+1,
// kept in PRAGMA user_version. A released file is never edited; changes go
// into a new one.
//
//go:embed migrations/*.sql
var schema embed.FS

// migrate brings the database's schema to the newest version, one
// transaction per migration. BEGIN IMMEDIATE takes the write lock before
// the version is read again, so two processes creating the same database
// at once do not both apply a migration.
func migrate(ctx context.Context, conn *sql.Conn) error {
	files, err := fs.Glob(schema, "migrations/*.sql")
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	sort.Strings(files)
	var have int
	if err := conn.QueryRowContext(ctx, "PRAGMA user_version").Scan(&have); err != nil {
		return fmt.Errorf("schema version: %w", err)
	}
	if have > len(files) {
		return fmt.Errorf("database schema version %d is newer than this program knows (%d)", have, len(files))
	}
	for v := have + 1; v <= len(files); v++ {
		if err := migrateTo(ctx, conn, files[v-1], v); err != nil {
			return fmt.Errorf("migration %s: %w", files[v-1], err)
		}
	}
	return nil
}

func migrateTo(ctx context.Context, conn *sql.Conn, file string, version int) (err error) {
	script, err := schema.ReadFile(file)
	if err != nil {
		return err
	}
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_, _ = conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK")
		}
	}()
	var have int
	if err := conn.QueryRowContext(ctx, "PRAGMA user_version").Scan(&have); err != nil {
		return err
	}
	if have < version {
		if _, err := conn.ExecContext(ctx, string(script)); err != nil {
			return err
		}
		if _, err := conn.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", version)); err != nil {
			return err
		}
	}
	_, err = conn.ExecContext(ctx, "COMMIT")
	return err
}
