package postgres_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/example/orders-service/adapters/postgres"
)

const exampleURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// databaseURL returns TEST_DATABASE_URL. Without it the test is skipped, unless CI is set:
// CI must never skip the PostgreSQL tests silently.
func databaseURL(t testing.TB) string {
	t.Helper()
	url := os.Getenv("TEST_DATABASE_URL")
	if url == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("CI is set but TEST_DATABASE_URL is not: PostgreSQL tests must run in CI (.ci/run starts PostgreSQL and exports it)")
		}
		t.Skip("TEST_DATABASE_URL is not set: skipping PostgreSQL tests; run them with e.g. TEST_DATABASE_URL=" + exampleURL)
	}
	return url
}

// newSchema creates an empty schema of its own for the test and drops it when the test
// ends. An unreachable database fails the test (a URL was given, so the tests must run).
func newSchema(t testing.TB) string {
	t.Helper()
	url := databaseURL(t)
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	schema := "t_" + hex.EncodeToString(b)
	admin := func(sql string) error {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, url)
		if err != nil {
			return err
		}
		defer conn.Close(ctx)
		_, err = conn.Exec(ctx, sql)
		return err
	}
	if err := admin("CREATE SCHEMA " + pgx.Identifier{schema}.Sanitize()); err != nil {
		t.Fatalf("PostgreSQL at TEST_DATABASE_URL is not usable (CI=%q): creating schema %s: %v", os.Getenv("CI"), schema, err)
	}
	t.Cleanup(func() {
		if err := admin("DROP SCHEMA " + pgx.Identifier{schema}.Sanitize() + " CASCADE"); err != nil {
			t.Errorf("dropping schema %s: %v", schema, err)
		}
	})
	return schema
}

// openPool opens a pool on schema, closed when the test ends.
func openPool(t testing.TB, schema string, maxConns int32) *pgxpool.Pool {
	t.Helper()
	pool, err := postgres.Open(context.Background(), databaseURL(t), postgres.PoolConfig{
		MaxConns: maxConns, ConnectTimeout: 5 * time.Second, SearchPath: schema,
	})
	if err != nil {
		t.Fatalf("opening pool: %v", err)
	}
	t.Cleanup(pool.Close)
	return pool
}

// newDB returns a pool on a fresh, migrated schema of the test's own.
func newDB(t testing.TB, maxConns int32) *pgxpool.Pool {
	t.Helper()
	pool := openPool(t, newSchema(t), maxConns)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	// Migration lines go to the test's output: shown with -v or when the test fails.
	logger := slog.New(slog.NewTextHandler(t.Output(), nil))
	if err := postgres.Migrate(ctx, pool, logger); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	return pool
}
