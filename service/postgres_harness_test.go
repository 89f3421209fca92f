package service_test

import (
	"context"
	"net/url"
	"os"
	"sync/atomic"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

const exampleDatabaseURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// postgresSkips counts the tests skipped for want of TEST_DATABASE_URL; TestMain reports it.
var postgresSkips atomic.Int32

// databaseURL returns a PostgreSQL URL whose search_path is a schema of this test's own,
// dropped afterwards. Without TEST_DATABASE_URL the test is skipped, unless CI is set: CI
// must never skip the PostgreSQL tests silently.
func databaseURL(t testing.TB) string {
	t.Helper()
	base := os.Getenv("TEST_DATABASE_URL")
	if base == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("TEST_DATABASE_URL is not set; CI must run the PostgreSQL tests (.ci/run sets it)")
		}
		postgresSkips.Add(1)
		t.Skip("PostgreSQL tests need TEST_DATABASE_URL, e.g. " + exampleDatabaseURL)
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("connecting to TEST_DATABASE_URL: %v", err)
	}
	defer conn.Close(ctx)
	schema := "svc_" + uuid.NewString()[:8]
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c, err := pgx.Connect(context.Background(), base)
		if err != nil {
			t.Errorf("dropping schema %s: %v", schema, err)
			return
		}
		defer c.Close(context.Background())
		_, _ = c.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// orderCounts counts the stored orders, and those confirmed, in the test's schema.
func orderCounts(t *testing.T, dbURL string) (total, confirmed int) {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	err = conn.QueryRow(context.Background(), `SELECT count(*), count(*) FILTER (WHERE status = 'confirmed') FROM orders`).Scan(&total, &confirmed)
	if err != nil {
		t.Fatal(err)
	}
	return total, confirmed
}

// forEachMode runs a component test in the in-memory mode and, when PostgreSQL is
// available, in the PostgreSQL mode: the flows must hold in both.
func forEachMode(t *testing.T, test func(t *testing.T, mode map[string]string)) {
	t.Run("memory", func(t *testing.T) {
		t.Parallel()
		test(t, map[string]string{})
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		test(t, map[string]string{"DATABASE_URL": databaseURL(t)})
	})
}

func withEnv(mode, more map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range mode {
		out[k] = v
	}
	for k, v := range more {
		out[k] = v
	}
	return out
}
