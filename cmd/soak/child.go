package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"
)

// child is one program the world runs (the broker, an instance of the service), started
// again and again by faults. Its output goes to a log file kept across its restarts.
type child struct {
	name    string
	path    string
	args    []string
	env     []string
	logPath string
	// onExit, when set, is told of every exit: when, and how.
	onExit func(end time.Time, how string)

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{} // closed when the current process exited
}

// start runs the program; the child must not be running.
func (c *child) start() (time.Time, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.done != nil {
		select {
		case <-c.done:
		default:
			return time.Time{}, fmt.Errorf("starting %s: already running", c.name)
		}
	}
	logf, err := os.OpenFile(c.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return time.Time{}, fmt.Errorf("opening the log of %s: %w", c.name, err)
	}
	fmt.Fprintf(logf, "\n=== soak: starting %s at %s\n", c.name, time.Now().Format(time.RFC3339Nano))
	cmd := exec.Command(c.path, c.args...)
	cmd.Env = c.env
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = childAttr()
	started := time.Now()
	if err := cmd.Start(); err != nil {
		logf.Close()
		return time.Time{}, fmt.Errorf("starting %s: %w", c.name, err)
	}
	done := make(chan struct{})
	c.cmd, c.done = cmd, done
	go func() {
		err := cmd.Wait()
		end := time.Now()
		logf.Close()
		if c.onExit != nil {
			c.onExit(end, exitDescription(err))
		}
		close(done)
	}()
	return started, nil
}

// signal sends sig to the running process; nothing when it is not running.
func (c *child) signal(sig syscall.Signal) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cmd == nil || c.exited() {
		return nil
	}
	if err := c.cmd.Process.Signal(sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("signalling %s (pid %d) with %s: %w", c.name, c.cmd.Process.Pid, sig, err)
	}
	return nil
}

// exited tells whether the current process has exited; callers hold mu.
func (c *child) exited() bool {
	if c.done == nil {
		return true
	}
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

func (c *child) running() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return !c.exited()
}

// wait waits up to timeout for the current process to exit and tells whether it did.
func (c *child) wait(timeout time.Duration) bool {
	c.mu.Lock()
	done := c.done
	c.mu.Unlock()
	if done == nil {
		return true
	}
	select {
	case <-done:
		return true
	case <-time.After(timeout):
		return false
	}
}

// stop ends the process: sig, then SIGKILL when it has not exited within grace. It tells
// how it ended.
func (c *child) stop(sig syscall.Signal, grace time.Duration) (string, error) {
	if err := c.signal(sig); err != nil {
		return "", err
	}
	if c.wait(grace) {
		return "exited after " + sigName(sig), nil
	}
	if err := c.signal(syscall.SIGKILL); err != nil {
		return "", err
	}
	if !c.wait(10 * time.Second) {
		return "", fmt.Errorf("%s did not exit after SIGKILL", c.name)
	}
	return fmt.Sprintf("SIGKILLed: still running %s after %s", grace, sigName(sig)), nil
}

// sigName names the signals the tool sends as an operator would write them.
func sigName(sig syscall.Signal) string {
	switch sig {
	case syscall.SIGKILL:
		return "SIGKILL"
	case syscall.SIGTERM:
		return "SIGTERM"
	}
	return sig.String()
}

func (c *child) pid() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cmd == nil || c.cmd.Process == nil {
		return 0
	}
	return c.cmd.Process.Pid
}

func exitDescription(err error) string {
	var ee *exec.ExitError
	switch {
	case err == nil:
		return "exit 0"
	case errors.As(err, &ee):
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return "killed by " + ws.Signal().String()
		}
		return fmt.Sprintf("exit %d", ee.ExitCode())
	default:
		return err.Error()
	}
}
