package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestSmoke runs the whole tool briefly against the service in this repository: build,
// world, load, faults, settle, history, checks. It takes a minute or more, so it runs only
// with SOAK_SMOKE=1 (go test ./... stays fast; CI runs the tool itself for a full soak).
// With TEST_DATABASE_URL it also runs in PostgreSQL mode.
func TestSmoke(t *testing.T) {
	if os.Getenv("SOAK_SMOKE") == "" || testing.Short() {
		t.Skip("set SOAK_SMOKE=1 to run the tool for a few seconds against this repository")
	}
	modes := map[string][]string{"memory": nil}
	if url := os.Getenv("TEST_DATABASE_URL"); url != "" {
		modes["postgres"] = []string{"--postgres", url}
	}
	for name, extra := range modes {
		t.Run(name, func(t *testing.T) {
			historyFile := filepath.Join(t.TempDir(), "history.json")
			args := append([]string{
				"--repo", "../..", "--duration", "10s", "--rate", "20", "--seed", "42",
				"--warmup", "2s", "--fault-every", "3s", "--faults", "rewind,sigkill,broker",
				"--poison", "2", "--settle-timeout", "60s", "--progress", "0", "--json",
				"--history", historyFile,
			}, extra...)
			var stdout, stderr bytes.Buffer
			ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
			defer cancel()
			code := run(ctx, args, &stdout, &stderr)
			var rep Report
			if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
				t.Fatalf("exit %d, report not JSON: %v\nstdout: %s\nstderr: %s", code, err, stdout.String(), stderr.String())
			}
			if code != exitPass || !rep.Passed {
				t.Fatalf("exit %d, report: %s\nstderr: %s", code, stdout.String(), stderr.String())
			}
			if rep.Requests[opPlace]["202"]+rep.Requests[opPlace]["201"] == 0 {
				t.Fatalf("no order was placed: %v", rep.Requests)
			}
			// The saved history checks the same way offline.
			stdout.Reset()
			if code := run(ctx, []string{"--check", historyFile, "--json"}, &stdout, &stderr); code != exitPass {
				t.Fatalf("--check of the saved history: exit %d: %s", code, stdout.String())
			}
		})
	}
}
