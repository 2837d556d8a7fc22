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
// file i (from 0) brings the schema to version i+1, which is recorded in
// PRAGMA user_version. Never edit a released file; add a new one.
//
//go:embed migrations/*.sql
var migrations embed.FS

// migrate applies, each in its own transaction, every migration the
// database has not seen. Two processes opening a new database at once are
// safe: BEGIN IMMEDIATE serialises them and each step rechecks the version.
func migrate(ctx context.Context, conn *sql.Conn) error {
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	slices.Sort(names)
	var version int
	if err := conn.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return fmt.Errorf("schema version: %w", err)
	}
	if version > len(names) {
		return fmt.Errorf("schema version %d is newer than this program's (%d)", version, len(names))
	}
	for i := version; i < len(names); i++ {
		script, err := migrations.ReadFile(names[i])
		if err != nil {
			return fmt.Errorf("migration %s: %w", names[i], err)
		}
		if err := migrateStep(ctx, conn, string(script), i+1); err != nil {
			return fmt.Errorf("migration %s: %w", names[i], err)
		}
	}
	return nil
}

// migrateStep runs script and sets the version to version, unless another
// process got there first.
func migrateStep(ctx context.Context, conn *sql.Conn, script string, version int) (err error) {
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_, _ = conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK")
		}
	}()
	var current int
	if err := conn.QueryRowContext(ctx, "PRAGMA user_version").Scan(&current); err != nil {
		return err
	}
	if current < version {
		if _, err := conn.ExecContext(ctx, script); err != nil {
			return err
		}
		if _, err := conn.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", version)); err != nil {
			return err
		}
	}
	_, err = conn.ExecContext(ctx, "COMMIT")
	return err
}
