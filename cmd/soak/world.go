package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"syscall"
	"time"
)

// world is everything the run starts on loopback: the broker, the instances of the service
// sharing its consumer groups, and in PostgreSQL mode a schema of the run's own.
type world struct {
	runID       string
	dir         string
	broker      *broker
	instances   []*instance
	pg          *pgSchema // nil in memory mode
	topicPrefix string
	groupPrefix string

	mu        sync.Mutex
	lifetimes []Lifetime
}

// instance is one process slot of the service; faults stop it and start it again.
type instance struct {
	n    int
	proc *child
	url  string   // http://host:port
	env  []string // its environment, but KAFKA_CLIENT_ID, which names each process
	runs int      // processes started so far
}

// shutdownTimeout is the instances' SHUTDOWN_TIMEOUT: a SIGTERM that takes longer than it
// (plus a margin) is followed by SIGKILL.
const shutdownTimeout = 5 * time.Second

func newWorld(cfg config, bins binaries, dir, runID string, pg *pgSchema) (*world, error) {
	if err := os.MkdirAll(filepath.Join(dir, "logs"), 0o755); err != nil {
		return nil, fmt.Errorf("creating the log directory: %w", err)
	}
	brokerAddr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	w := &world{
		runID:       runID,
		dir:         dir,
		broker:      newBroker(bins.broker, dir, brokerAddr, cfg.Partitions),
		pg:          pg,
		topicPrefix: "soak-" + runID + "-",
		groupPrefix: "soak-" + runID + ".",
	}
	for n := range cfg.Instances {
		addr, err := freeAddr()
		if err != nil {
			return nil, err
		}
		env := append(baseEnv(),
			"HTTP_ADDR="+addr,
			"KAFKA_BROKERS="+brokerAddr,
			fmt.Sprintf("KAFKA_PARTITIONS=%d", cfg.Partitions),
			"KAFKA_TOPIC_PREFIX="+w.topicPrefix,
			"KAFKA_CONSUMER_GROUP_PREFIX="+w.groupPrefix,
			"LOG_FORMAT=json",
			"SHUTDOWN_TIMEOUT="+shutdownTimeout.String(),
			"HTTP_MAX_WAIT=5s",
		)
		if pg != nil {
			env = append(env, "DATABASE_URL="+pg.serviceURL(n))
		}
		env = append(env, cfg.ServiceEnv...) // last, so that they win
		in := &instance{n: n, url: "http://" + addr, env: env}
		in.proc = &child{
			name:    fmt.Sprintf("instance %d", n),
			path:    bins.service,
			logPath: filepath.Join(dir, "logs", fmt.Sprintf("instance-%d.log", n)),
			onExit:  func(end time.Time, how string) { w.ended(n, end, how) },
		}
		w.instances = append(w.instances, in)
	}
	return w, nil
}

// baseEnv is what every child inherits from the tool: only what a program needs to run, so
// that nothing in the tool's environment (a DATABASE_URL, say) configures the service.
func baseEnv() []string {
	var env []string
	for _, k := range []string{"PATH", "HOME", "TMPDIR", "TZ"} {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	return env
}

// freeAddr finds a free loopback port. Another process could take it before the child
// binds it; on loopback of a test machine that does not happen in practice.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("finding a free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// start brings the world up: the broker, then every instance, each ready.
func (w *world) start(ctx context.Context) error {
	if err := w.broker.start(ctx); err != nil {
		return err
	}
	for _, in := range w.instances {
		if err := w.startInstance(ctx, in.n); err != nil {
			return err
		}
	}
	return nil
}

// startInstance starts one instance and waits until /readyz answers 200. Each process gets
// a Kafka client ID of its own, so that a consumer group member can be told to belong to
// a process that is gone (reaper.go).
func (w *world) startInstance(ctx context.Context, n int) error {
	in := w.instances[n]
	in.runs++
	clientID := fmt.Sprintf("soak-%s-i%d-p%d", w.runID, n, in.runs)
	in.proc.env = append(slices.Clone(in.env), "KAFKA_CLIENT_ID="+clientID)
	started, err := in.proc.start()
	if err != nil {
		return err
	}
	w.mu.Lock()
	w.lifetimes = append(w.lifetimes, Lifetime{Instance: n, ClientID: clientID, Start: started})
	w.mu.Unlock()
	return waitReady(ctx, in, 60*time.Second)
}

// ended records the end of an instance's current lifetime.
func (w *world) ended(n int, end time.Time, how string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for i := len(w.lifetimes) - 1; i >= 0; i-- {
		if l := &w.lifetimes[i]; l.Instance == n && l.End.IsZero() {
			l.End, l.Exit = end, how
			return
		}
	}
}

func (w *world) lifetimesSnapshot() []Lifetime {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]Lifetime(nil), w.lifetimes...)
}

// up lists the instances whose process runs.
func (w *world) up() []int {
	var ns []int
	for _, in := range w.instances {
		if in.proc.running() {
			ns = append(ns, in.n)
		}
	}
	return ns
}

// stop ends every process gracefully, the instances first.
func (w *world) stop() {
	var wg sync.WaitGroup
	for _, in := range w.instances {
		wg.Go(func() { _, _ = in.proc.stop(syscall.SIGTERM, shutdownTimeout+5*time.Second) })
	}
	wg.Wait()
	_, _ = w.broker.proc.stop(syscall.SIGTERM, 10*time.Second)
}

// waitReady polls GET /readyz until 200, the process exits, or the bound passes.
func waitReady(ctx context.Context, in *instance, bound time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, bound)
	defer cancel()
	client := &http.Client{Timeout: 2 * time.Second}
	last := "no answer"
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, in.url+"/readyz", nil)
		if err != nil {
			return fmt.Errorf("readiness of instance %d: %w", in.n, err)
		}
		if resp, err := client.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			last = resp.Status
		}
		if !in.proc.running() {
			return fmt.Errorf("instance %d exited while starting (see %s)", in.n, in.proc.logPath)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("instance %d not ready after %s (last: %s; see %s)", in.n, bound, last, in.proc.logPath)
		case <-time.After(100 * time.Millisecond):
		}
	}
}
