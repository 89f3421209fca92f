package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// binaries are the two programs the world runs.
type binaries struct {
	service string // orders-service
	broker  string // devbroker
}

// buildBinaries builds the service and the broker from the source tree at repo into dir.
// The tool drives whatever that tree holds, so a scratch copy with a deliberate bug is
// driven the same way as the real one.
func buildBinaries(ctx context.Context, repo, dir string) (binaries, error) {
	root, err := moduleRoot(repo)
	if err != nil {
		return binaries{}, err
	}
	b := binaries{service: filepath.Join(dir, "orders-service"), broker: filepath.Join(dir, "devbroker")}
	for _, t := range []struct{ out, pkg string }{{b.service, "."}, {b.broker, "./cmd/devbroker"}} {
		cmd := exec.CommandContext(ctx, goTool(), "build", "-o", t.out, t.pkg)
		cmd.Dir = root
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			return binaries{}, fmt.Errorf("building %s in %s: %w\n%s", t.pkg, root, err, out.String())
		}
	}
	return b, nil
}

// prebuilt uses binaries already built in dir.
func prebuilt(dir string) (binaries, error) {
	b := binaries{service: filepath.Join(dir, "orders-service"), broker: filepath.Join(dir, "devbroker")}
	for _, p := range []string{b.service, b.broker} {
		if _, err := os.Stat(p); err != nil {
			return binaries{}, fmt.Errorf("--bin-dir: %w", err)
		}
	}
	return b, nil
}

// moduleRoot finds the directory holding go.mod at or above dir.
func moduleRoot(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("resolving --repo %s: %w", dir, err)
	}
	for d := abs; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("--repo %s: no go.mod at or above it", abs)
		}
	}
}

// goTool is the go command: on PATH, or under $GOROOT (set by go test and go run).
func goTool() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	if root := os.Getenv("GOROOT"); root != "" {
		return filepath.Join(root, "bin", "go")
	}
	return "go"
}
