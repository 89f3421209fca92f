package service_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestTheCommandLineAsAProcess runs the command (the test binary in child mode, which calls
// service.Main exactly as main.go does) and checks exit statuses and where the usage goes.
// The environment is the component tests' (free ports), so a command that wrongly starts
// the service is stopped by the deadline instead of taking a port.
func TestTheCommandLineAsAProcess(t *testing.T) {
	cases := []struct {
		args        []string
		exit        int
		stdout      string
		stderr      string
		stdoutEmpty bool
		stderrEmpty bool
	}{
		{args: []string{"--help"}, exit: 0, stdout: "Usage: orders-service", stderrEmpty: true},
		{args: []string{"-h"}, exit: 0, stdout: "DATABASE_URL [empty]", stderrEmpty: true},
		{args: []string{"--port=9000"}, exit: 2, stderr: `unknown argument "--port=9000"`, stdoutEmpty: true},
	}
	for _, tc := range cases {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, os.Args[0], tc.args...)
			cmd.Env = append(os.Environ(), childEnv+"=1")
			for k, v := range testEnv(nil) {
				cmd.Env = append(cmd.Env, k+"="+v)
			}
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			exit := 0
			var ee *exec.ExitError
			if asExitError(err, &ee) {
				exit = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if ctx.Err() != nil {
				t.Fatalf("orders-service %q was still running after 15 s: it ignored its arguments\nstderr: %s", tc.args, stderr.String())
			}
			if exit != tc.exit {
				t.Errorf("orders-service %q exited %d, want %d\nstderr: %s", tc.args, exit, tc.exit, stderr.String())
			}
			if !strings.Contains(stdout.String(), tc.stdout) || !strings.Contains(stderr.String(), tc.stderr) {
				t.Errorf("orders-service %q:\nstdout (want %q):\n%s\nstderr (want %q):\n%s", tc.args, tc.stdout, stdout.String(), tc.stderr, stderr.String())
			}
			if tc.stdoutEmpty && stdout.Len() > 0 || tc.stderrEmpty && stderr.Len() > 0 {
				t.Errorf("orders-service %q wrote to the wrong stream:\nstdout:\n%s\nstderr:\n%s", tc.args, stdout.String(), stderr.String())
			}
		})
	}
}
