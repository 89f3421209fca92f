package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"log/slog"
	"path"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

// migrations are the schema changes, in order, embedded in the binary. Each file is one
// goose SQL migration; never edit one that was released, add the next instead. Names are
// unqualified: the tables go to the first schema of the connection's search_path.
//
//go:embed migrations/*.sql
var migrations embed.FS

// Migrate brings the schema of pool's search_path up to date. Instances starting at
// once are safe: goose holds a PostgreSQL session advisory lock, keyed by the schema, while
// it migrates, and the others wait for it (up to 5 minutes) and then find nothing to do.
//
// It logs at INFO one line per migration applied (version, file, duration) and one summary
// line, "schema migrated" or "schema up to date". Never the SQL: goose stays quiet (not
// verbose; verbose would log every statement) and the lines are written from its results.
func Migrate(ctx context.Context, pool *pgxpool.Pool, logger *slog.Logger) error {
	var schema *string
	if err := pool.QueryRow(ctx, "SELECT current_schema()").Scan(&schema); err != nil {
		return fmt.Errorf("migrating: reading the current schema: %w", err)
	}
	if schema == nil {
		return errors.New("migrating: the search_path names no existing schema")
	}
	locker, err := lock.NewPostgresSessionLocker(
		lock.WithLockID(migrationLockID(*schema)),
		lock.WithLockTimeout(1, 300), // probe every second, for 5 minutes
		lock.WithUnlockTimeout(1, 60),
	)
	if err != nil {
		return fmt.Errorf("migrating: %w", err)
	}
	fsys, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return fmt.Errorf("migrating: %w", err)
	}
	db := stdlib.OpenDBFromPool(pool) // closing db leaves the pool open
	defer db.Close()
	provider, err := goose.NewProvider(goose.DialectPostgres, db, fsys,
		goose.WithSessionLocker(locker),
		goose.WithDisableGlobalRegistry(true),
	)
	if err != nil {
		return fmt.Errorf("migrating: %w", err)
	}
	start := time.Now()
	results, err := provider.Up(ctx)
	if partial, ok := errors.AsType[*goose.PartialError](err); ok {
		// What was applied before the failure stays applied: say so, then what failed.
		logApplied(ctx, logger, *schema, partial.Applied)
		return fmt.Errorf("migrating schema %q: %s: %w", *schema, path.Base(partial.Failed.Source.Path), partial.Err)
	}
	if err != nil {
		return fmt.Errorf("migrating schema %q: %w", *schema, err)
	}
	logApplied(ctx, logger, *schema, results)
	version, err := provider.GetDBVersion(ctx)
	if err != nil {
		return fmt.Errorf("migrating schema %q: reading its version: %w", *schema, err)
	}
	if len(results) == 0 {
		logger.InfoContext(ctx, "schema up to date", "schema", *schema, "version", version)
		return nil
	}
	logger.InfoContext(ctx, "schema migrated", "schema", *schema, "version", version,
		"applied", len(results), "duration", time.Since(start).Round(time.Millisecond))
	return nil
}

func logApplied(ctx context.Context, logger *slog.Logger, schema string, results []*goose.MigrationResult) {
	for _, r := range results {
		logger.InfoContext(ctx, "migration applied", "schema", schema, "version", r.Source.Version,
			"file", path.Base(r.Source.Path), "duration", r.Duration.Round(time.Microsecond))
	}
}

// migrationLockID keys the migration lock by schema: instances migrating one schema
// exclude each other, and schemas in one database (one per test) do not wait for each other.
func migrationLockID(schema string) int64 {
	h := fnv.New64a()
	h.Write([]byte("orders-service migrations\x00" + schema))
	return int64(h.Sum64() &^ (1 << 63))
}
