package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/example/orders-service/domain/order"
	"github.com/jackc/pgx/v5/pgxpool"
)

// PoolConfig sizes and times the connection pool. Zero values keep pgx's defaults
// (MaxConns: the larger of 4 and the number of CPUs; HealthCheckPeriod: 1 minute; no
// connect timeout beyond the context's), or whatever the URL sets (pool_max_conns=...,
// connect_timeout=...). The service needs MaxConns >= 2: Migrate holds one connection for
// its lock while it runs.
type PoolConfig struct {
	MaxConns          int32
	MinConns          int32
	ConnectTimeout    time.Duration // bound on establishing one connection
	HealthCheckPeriod time.Duration // how often idle connections are checked
	MaxConnLifetime   time.Duration // a connection is closed after this long (0: pgx default, 1h)
	MaxConnIdleTime   time.Duration // an idle connection is closed after this long (0: pgx default, 30m)
	// SearchPath, when set, is the search_path of every connection: the schema the
	// service's tables live in (tests use one schema per test). Empty: the server's default.
	SearchPath string
}

// Open connects a pool to url (a postgres:// URL or a key=value DSN), checks that the
// database answers, and returns the pool. The caller closes it.
func Open(ctx context.Context, url string, cfg PoolConfig) (*pgxpool.Pool, error) {
	pc, err := pgxpool.ParseConfig(url)
	if err != nil {
		// pgx redacts the password in this error.
		return nil, fmt.Errorf("parsing database URL: %w", err)
	}
	if cfg.MaxConns < 0 || cfg.MinConns < 0 || (cfg.MaxConns > 0 && cfg.MinConns > cfg.MaxConns) {
		return nil, fmt.Errorf("invalid pool size: min %d, max %d", cfg.MinConns, cfg.MaxConns)
	}
	if cfg.MaxConns > 0 {
		pc.MaxConns = cfg.MaxConns
	}
	if cfg.MinConns > 0 {
		pc.MinConns = cfg.MinConns
	}
	if cfg.ConnectTimeout > 0 {
		pc.ConnConfig.ConnectTimeout = cfg.ConnectTimeout
	}
	if cfg.HealthCheckPeriod > 0 {
		pc.HealthCheckPeriod = cfg.HealthCheckPeriod
	}
	if cfg.MaxConnLifetime > 0 {
		pc.MaxConnLifetime = cfg.MaxConnLifetime
	}
	if cfg.MaxConnIdleTime > 0 {
		pc.MaxConnIdleTime = cfg.MaxConnIdleTime
	}
	if cfg.SearchPath != "" {
		pc.ConnConfig.RuntimeParams["search_path"] = cfg.SearchPath
	}
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, fmt.Errorf("creating database pool: %w", err)
	}
	if err := Ping(ctx, pool); err != nil {
		pool.Close()
		return nil, err
	}
	return pool, nil
}

// Ping reports whether the database answers a query, for readiness checks. Bound it with
// a context deadline.
func Ping(ctx context.Context, pool *pgxpool.Pool) error {
	if pool == nil {
		return errors.New("database: no pool")
	}
	var one int
	if err := pool.QueryRow(ctx, "SELECT 1").Scan(&one); err != nil {
		return fmt.Errorf("database not reachable: %w", err)
	}
	return nil
}

// Namespaces of the transaction-level advisory locks that stand in for a row lock when
// there is no row yet: pg_advisory_xact_lock(namespace, hashtext(id)). Two IDs with the same
// hash merely wait for each other.
const (
	lockSpaceOrders       int32 = 0x6f726400 // "ord\0"
	lockSpaceReservations int32 = 0x72657300 // "res\0"
	lockSpaceOrderViews   int32 = 0x76696500 // "vie\0"
)

const advisoryLockSQL = `SELECT pg_advisory_xact_lock($1, hashtext($2))`

// storedLines is lines as a jsonb column holds them: an empty list is [], never null.
func storedLines(lines []order.Line) []order.Line {
	if lines == nil {
		return []order.Line{}
	}
	return lines
}
