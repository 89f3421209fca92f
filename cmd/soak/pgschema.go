package main

import (
	"context"
	"fmt"
	"net/url"
	"time"

	"github.com/jackc/pgx/v5"
)

// pgSchema is the run's own schema in the PostgreSQL database at base: the service creates
// its tables in the first schema of its search_path, so instances given this schema share
// it and nothing else. Each instance connects under an application_name of its own, which
// is how the pgdrop fault finds its connections (and no one else's) in pg_stat_activity.
type pgSchema struct {
	base   string
	name   string
	runApp string // application_name prefix of the run's instances
}

func createSchema(ctx context.Context, base, runID string) (*pgSchema, error) {
	s := &pgSchema{base: base, name: "soak_" + runID, runApp: "soak_" + runID + "_i"}
	err := s.exec(ctx, "CREATE SCHEMA "+pgx.Identifier{s.name}.Sanitize())
	if err != nil {
		return nil, fmt.Errorf("creating schema %s: %w", s.name, err)
	}
	return s, nil
}

// serviceURL is DATABASE_URL for instance n: the base URL on the run's schema.
func (s *pgSchema) serviceURL(n int) string {
	u, err := url.Parse(s.base)
	if err != nil {
		return s.base // validated at start; never here
	}
	q := u.Query()
	q.Set("search_path", s.name)
	q.Set("application_name", fmt.Sprintf("%s%d", s.runApp, n))
	u.RawQuery = q.Encode()
	return u.String()
}

// terminate ends the database connections of instance n (or of every instance, n < 0),
// as a failover or a network cut would, and tells how many it ended.
func (s *pgSchema) terminate(ctx context.Context, n int) (int, error) {
	conn, err := s.connect(ctx)
	if err != nil {
		return 0, err
	}
	defer conn.Close(context.Background())
	// One instance: its exact name; all: the run's prefix (starts_with, since "_" is a
	// wildcard of LIKE).
	name, all := fmt.Sprintf("%s%d", s.runApp, n), n < 0
	if all {
		name = s.runApp
	}
	var ended int
	err = conn.QueryRow(ctx, `SELECT count(*) FILTER (WHERE pg_terminate_backend(pid))
		FROM pg_stat_activity
		WHERE (application_name = $1 OR ($2 AND starts_with(application_name, $1))) AND pid <> pg_backend_pid()`,
		name, all).Scan(&ended)
	if err != nil {
		return 0, fmt.Errorf("terminating connections of %s: %w", name, err)
	}
	return ended, nil
}

// drop removes the schema and everything in it.
func (s *pgSchema) drop(ctx context.Context) error {
	if err := s.exec(ctx, "DROP SCHEMA "+pgx.Identifier{s.name}.Sanitize()+" CASCADE"); err != nil {
		return fmt.Errorf("dropping schema %s: %w", s.name, err)
	}
	return nil
}

func (s *pgSchema) exec(ctx context.Context, sql string) error {
	conn, err := s.connect(ctx)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	_, err = conn.Exec(ctx, sql)
	return err
}

func (s *pgSchema) connect(ctx context.Context) (*pgx.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, s.base)
	if err != nil {
		return nil, fmt.Errorf("connecting to PostgreSQL: %w", err)
	}
	return conn, nil
}
