package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"slices"
)

// migrations holds the schema, one file per version, applied in name order:
// file i (from 0) brings the schema to version i+1, recorded in
// PRAGMA user_version. Never edit a released file; add a new one.
//
//go:embed migrations/*.sql
var migrations embed.FS

// migrate applies, each in its own transaction, every migration the
// database has not seen.
func migrate(ctx context.Context, db *sql.DB) error {
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return fmt.Errorf("sqlite: migrations: %w", err)
	}
	slices.Sort(names)
	conn, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("sqlite: migrate: %w", err)
	}
	defer conn.Close()
	var version int
	if err := conn.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return fmt.Errorf("sqlite: schema version: %w", err)
	}
	if version > len(names) {
		return fmt.Errorf("sqlite: schema version %d is newer than this program (%d)", version, len(names))
	}
	for i := version; i < len(names); i++ {
		script, err := migrations.ReadFile(names[i])
		if err != nil {
			return fmt.Errorf("sqlite: migration %s: %w", names[i], err)
		}
		if err := runMigration(ctx, conn, string(script), i+1); err != nil {
			return fmt.Errorf("sqlite: migration %s: %w", names[i], err)
		}
	}
	return nil
}

func runMigration(ctx context.Context, conn *sql.Conn, script string, version int) error {
	// BEGIN IMMEDIATE takes the write lock first, so two processes opening a
	// new database at once cannot both run the same migration.
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		return err
	}
	var current int
	err := conn.QueryRowContext(ctx, "PRAGMA user_version").Scan(&current)
	if err == nil && current < version {
		if _, err = conn.ExecContext(ctx, script); err == nil {
			_, err = conn.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", version))
		}
	}
	if err == nil {
		_, err = conn.ExecContext(ctx, "COMMIT")
	}
	if err != nil {
		_, _ = conn.ExecContext(context.Background(), "ROLLBACK")
	}
	return err
}
