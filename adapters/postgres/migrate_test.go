package postgres_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"path"
	"strings"
	"testing"

	"github.com/pressly/goose/v3"

	"github.com/example/orders-service/adapters/postgres"
)

// TestMigrateLogsOneLinePerMigrationAndNoSQL: a start in PostgreSQL mode logs, at INFO, one
// line per migration applied and a summary, and once up to date only the summary; never a
// migration's SQL, which is many lines long.
func TestMigrateLogsOneLinePerMigrationAndNoSQL(t *testing.T) {
	t.Parallel()
	pool := openPool(t, newSchema(t), 2)
	files, err := postgres.MigrationFiles()
	if err != nil || len(files) == 0 {
		t.Fatalf("embedded migrations: %v, %v", files, err)
	}
	versions := make([]int64, len(files))
	for i, f := range files {
		if versions[i], err = goose.NumericComponent(f); err != nil {
			t.Fatal(err)
		}
	}

	type record struct {
		Level, Msg, File string
		Version          int64
		Applied          int
	}
	migrate := func() (raw string, records []record) {
		t.Helper()
		var buf bytes.Buffer
		logger := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
		if err := postgres.Migrate(t.Context(), pool, logger); err != nil {
			t.Fatalf("Migrate: %v", err)
		}
		for line := range strings.Lines(buf.String()) {
			var r record
			if err := json.Unmarshal([]byte(line), &r); err != nil {
				t.Fatalf("log line %q: %v", line, err)
			}
			records = append(records, r)
		}
		return buf.String(), records
	}
	noSQL := func(raw string) {
		t.Helper()
		for _, sql := range []string{"CREATE", "SELECT", "INSERT", "ALTER", "+goose"} {
			if strings.Contains(strings.ToUpper(raw), strings.ToUpper(sql)) {
				t.Errorf("the log holds SQL (%s):\n%s", sql, raw)
			}
		}
	}

	cases := []struct {
		name    string
		want    []string // messages, in order
		summary string
	}{
		{"fresh schema", append(repeat("migration applied", len(files)), "schema migrated"), "schema migrated"},
		{"up to date", []string{"schema up to date"}, "schema up to date"},
	}
	for _, tc := range cases {
		raw, records := migrate()
		noSQL(raw)
		if len(records) != len(tc.want) {
			t.Fatalf("%s: %d log lines, want %d (%q):\n%s", tc.name, len(records), len(tc.want), tc.want, raw)
		}
		for i, r := range records {
			if r.Msg != tc.want[i] || r.Level != "INFO" {
				t.Errorf("%s: line %d is %s %q, want INFO %q", tc.name, i, r.Level, r.Msg, tc.want[i])
			}
			if r.Msg == "migration applied" && (r.File != path.Base(files[i]) || r.Version != versions[i]) {
				t.Errorf("%s: line %d names version %d, file %q; want %d, %q", tc.name, i, r.Version, r.File, versions[i], path.Base(files[i]))
			}
		}
		if last := records[len(records)-1]; last.Msg != tc.summary || last.Version != versions[len(versions)-1] {
			t.Errorf("%s: summary %q at version %d, want %q at %d", tc.name, last.Msg, last.Version, tc.summary, versions[len(versions)-1])
		}
	}
}

func repeat(s string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = s
	}
	return out
}
