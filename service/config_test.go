package service_test

import (
	"context"
	"net"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/example/orders-service/service"
)

func TestConfigDefaultsAreTheZeroSetupOnes(t *testing.T) {
	cfg, err := service.ConfigFromMap(map[string]string{})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.HTTPAddr != ":8080" || !cfg.Embedded() || cfg.KafkaEmbeddedAddr != "127.0.0.1:9092" ||
		cfg.KafkaPartitions != 8 || cfg.ShutdownTimeout != 10*time.Second || !cfg.KafkaIdempotent {
		t.Fatalf("defaults = %+v", cfg)
	}
	cfg, err = service.ConfigFromMap(map[string]string{"KAFKA_BROKERS": "a:9092, b:9092"})
	if err != nil || cfg.Embedded() || len(cfg.KafkaBrokers) != 2 {
		t.Fatalf("KAFKA_BROKERS parsed as %q, %v", cfg.KafkaBrokers, err)
	}
}

func TestInvalidConfigNamesTheVariable(t *testing.T) {
	cases := map[string]string{
		"HTTP_ADDR":                 "8080",
		"KAFKA_BROKERS":             "no-port",
		"KAFKA_PARTITIONS":          "0",
		"KAFKA_REPLICATION_FACTOR":  "x",
		"KAFKA_TOPIC_PREFIX":        "bad prefix/",
		"LOG_LEVEL":                 "loud",
		"LOG_FORMAT":                "xml",
		"SHUTDOWN_TIMEOUT":          "soon",
		"RETRY_MAX_RETRIES":         "-1",
		"RETRY_MAX_INTERVAL":        "1ms",
		"KAFKA_IDEMPOTENT_PRODUCER": "maybe",
	}
	for name, value := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := service.ConfigFromMap(map[string]string{name: value})
			if err == nil {
				t.Fatalf("%s=%q accepted", name, value)
			}
			if !strings.Contains(err.Error(), name) {
				t.Fatalf("error does not name %s: %v", name, err)
			}
		})
	}
}

func TestATakenPortIsAClearErrorAndANonZeroExit(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	addr := taken.Addr().String()

	for _, tc := range []struct{ variable string }{{"HTTP_ADDR"}, {"KAFKA_EMBEDDED_ADDR"}} {
		t.Run(tc.variable, func(t *testing.T) {
			cfg, err := service.ConfigFromMap(testEnv(map[string]string{tc.variable: addr}))
			if err != nil {
				t.Fatal(err)
			}
			_, err = service.New(context.Background(), cfg, service.Options{})
			if err == nil || !strings.Contains(err.Error(), tc.variable) || !strings.Contains(err.Error(), "address already in use") {
				t.Fatalf("service.New with %s taken: %v, want an error naming the variable and the cause", tc.variable, err)
			}
		})
	}

	// As a process: exit status 1 and the reason on stderr.
	c := startChild(t, map[string]string{"HTTP_ADDR": addr})
	select {
	case err := <-c.done:
		c.done <- err
		var exit *exec.ExitError
		if !asExitError(err, &exit) || exit.ExitCode() != 1 {
			t.Fatalf("exit = %v, want status 1", err)
		}
		if !strings.Contains(c.output.String(), "HTTP_ADDR") {
			t.Fatalf("stderr does not name HTTP_ADDR:\n%s", c.output.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("service with a taken port did not exit")
	}
}

// TestReplicationFactorFitsTheBrokers: the embedded broker is one node, so a replication
// factor above 1 must be refused when the configuration is read, naming the variable and the
// way out (KAFKA_BROKERS), not later by the broker in words that name neither.
func TestReplicationFactorFitsTheBrokers(t *testing.T) {
	cases := []struct {
		name    string
		env     map[string]string
		wantErr []string // substrings of the error; none: valid
	}{
		{"embedded, default", map[string]string{}, nil},
		{"embedded, 1", map[string]string{"KAFKA_REPLICATION_FACTOR": "1"}, nil},
		{"embedded, 3", map[string]string{"KAFKA_REPLICATION_FACTOR": "3"},
			[]string{"KAFKA_REPLICATION_FACTOR", "must be 1 with the embedded broker", "single node", "set KAFKA_BROKERS", "got 3"}},
		{"embedded, 0", map[string]string{"KAFKA_REPLICATION_FACTOR": "0"},
			[]string{"KAFKA_REPLICATION_FACTOR", "must be 1 with the embedded broker"}},
		{"cluster, 3", map[string]string{"KAFKA_BROKERS": "a:9092,b:9092,c:9092", "KAFKA_REPLICATION_FACTOR": "3"}, nil},
		{"cluster, 0", map[string]string{"KAFKA_BROKERS": "a:9092", "KAFKA_REPLICATION_FACTOR": "0"},
			[]string{"KAFKA_REPLICATION_FACTOR", "between 1 and 32", "got 0"}},
		{"cluster, 33", map[string]string{"KAFKA_BROKERS": "a:9092", "KAFKA_REPLICATION_FACTOR": "33"},
			[]string{"KAFKA_REPLICATION_FACTOR", "between 1 and 32", "got 33"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := service.ConfigFromMap(tc.env)
			if len(tc.wantErr) == 0 {
				if err != nil {
					t.Fatalf("%v refused: %v", tc.env, err)
				}
				return
			}
			if err == nil {
				t.Fatalf("%v accepted, want an error", tc.env)
			}
			for _, want := range tc.wantErr {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error lacks %q: %v", want, err)
				}
			}
		})
	}
}
