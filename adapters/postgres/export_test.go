package postgres

import "io/fs"

// MigrationFiles lists the embedded migrations, for tests.
func MigrationFiles() ([]string, error) { return fs.Glob(migrations, "migrations/*.sql") }

// MigrationLockID is the session advisory lock Migrate holds for schema.
func MigrationLockID(schema string) int64 { return migrationLockID(schema) }
