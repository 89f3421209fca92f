package service_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/example/orders-service/adapters/kafka"
)

// TestKafkaPasswordReachesNoOutput runs the service as its own process, at debug level,
// with a SASL password, and looks for the password in everything the process says: its
// logs through a whole saga and a shutdown, its metrics if it serves any, the error and
// logs of a start refused for a wrong password, and --help.
func TestKafkaPasswordReachesNoOutput(t *testing.T) {
	t.Parallel()
	pki := newSecuredPKI(t)
	const password, wrongPassword = "Pw-in-no-output-4e1b", "Wrong-pw-in-no-output-8a2c"
	addr := startSecuredBroker(t, pki.brokerTLS(false), kafka.EmbeddedSASL(kafka.SASLScramSHA512, "orders", password))
	env := func(pw string) map[string]string {
		return map[string]string{"KAFKA_BROKERS": addr, "KAFKA_TLS": "true", "KAFKA_TLS_CA_FILE": pki.caFile,
			"KAFKA_SASL_MECHANISM": "SCRAM-SHA-512", "KAFKA_SASL_USERNAME": "orders", "KAFKA_SASL_PASSWORD": pw,
			"LOG_LEVEL": "debug", "KAFKA_DIAL_TIMEOUT": "5s"}
	}
	noSecret := func(what, out string) {
		t.Helper()
		for _, pw := range []string{password, wrongPassword} {
			if strings.Contains(out, pw) {
				t.Errorf("%s shows a password:\n%s", what, tail(out, 4000))
			}
		}
	}

	t.Run("a run", func(t *testing.T) {
		c := startChild(t, env(password))
		base := c.base(t)
		send := func(method, path, body string, header map[string]string) string {
			req, err := http.NewRequest(method, base+path, strings.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/json")
			for k, v := range header {
				req.Header.Set(k, v)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode >= 300 {
				t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, b)
			}
			return string(b)
		}
		send(http.MethodPut, "/stock/sku-pw", `{"quantity": 3}`, nil)
		eventually(t, 20*time.Second, "stock of sku-pw", func() (bool, string) {
			resp, err := http.Get(base + "/stock/sku-pw")
			if err != nil {
				return false, err.Error()
			}
			defer resp.Body.Close()
			var l stockLevel
			_ = json.NewDecoder(resp.Body).Decode(&l)
			return l.Available == 3, resp.Status
		})
		if got := send(http.MethodPost, "/orders", orderBody("cust-pw", item{"sku-pw", 1}), map[string]string{"Prefer": "wait=10"}); !strings.Contains(got, `"confirmed"`) {
			t.Fatalf("POST /orders with Prefer: wait answered %s, want the order confirmed", got)
		}
		// Metrics, when the service serves them, carry no setting's value.
		if resp, err := http.Get(base + "/metrics"); err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			noSecret("GET /metrics", string(b))
		}
		if err := c.cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		if err := <-c.done; err != nil {
			t.Fatalf("exit after SIGTERM: %v", err)
		}
		c.done <- nil // for the cleanup
		out := c.output.String()
		if !strings.Contains(out, "kafka: secured connections") || !strings.Contains(out, "stopped") {
			t.Fatalf("the run's output lacks its start or stop line:\n%s", tail(out, 4000))
		}
		noSecret("the logs of a run", out)
	})

	t.Run("a start refused", func(t *testing.T) {
		c := startChild(t, env(wrongPassword))
		select {
		case err := <-c.done:
			c.done <- err
			var ee *exec.ExitError
			if !asExitError(err, &ee) || ee.ExitCode() != 1 {
				t.Fatalf("exit %v, want status 1", err)
			}
		case <-time.After(15 * time.Second):
			t.Fatal("still running 15 s after a start with a wrong password")
		}
		out := c.output.String()
		if !strings.Contains(out, "SASL authentication failed") || !strings.Contains(out, "KAFKA_SASL_PASSWORD") {
			t.Fatalf("the error does not say what to fix:\n%s", tail(out, 4000))
		}
		noSecret("the output of a refused start", out)
	})

	t.Run("--help", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, os.Args[0], "--help")
		cmd.Env = append(os.Environ(), childEnv+"=1")
		for k, v := range testEnv(env(password)) {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("--help: %v\n%s", err, out)
		}
		if !strings.Contains(string(out), "KAFKA_SASL_PASSWORD [empty]") {
			t.Errorf("--help lacks KAFKA_SASL_PASSWORD with its empty default:\n%s", out)
		}
		noSecret("--help", string(out))
	})
}
