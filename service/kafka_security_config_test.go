package service_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/example/orders-service/adapters/kafka"
	"github.com/example/orders-service/service"
)

// writeFile writes content to a new file in dir and returns its path.
func writeFile(t *testing.T, dir, name string, content []byte) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, content, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestKafkaSecurityConfigNamesTheVariable: every way the security settings can be wrong is
// refused at start, naming the variable (and the file), never the password.
func TestKafkaSecurityConfigNamesTheVariable(t *testing.T) {
	const password = "pa55-never-in-an-error"
	dir := t.TempDir()
	ca, err := kafka.NewDevCA("config test CA")
	if err != nil {
		t.Fatal(err)
	}
	certPEM, keyPEM, err := ca.Issue("client")
	if err != nil {
		t.Fatal(err)
	}
	caFile := writeFile(t, dir, "ca.pem", ca.CertPEM)
	certFile := writeFile(t, dir, "client.pem", certPEM)
	keyFile := writeFile(t, dir, "client-key.pem", keyPEM)
	notPEM := writeFile(t, dir, "not.pem", []byte("not a certificate"))
	passwordFile := writeFile(t, dir, "password", []byte(password+"\n"))
	emptyFile := writeFile(t, dir, "empty", nil)
	missing := filepath.Join(dir, "missing")

	cluster := func(vars map[string]string) map[string]string {
		vars["KAFKA_BROKERS"] = "kafka-1:9093"
		return vars
	}
	scram := func(vars map[string]string) map[string]string {
		vars["KAFKA_SASL_MECHANISM"] = "SCRAM-SHA-512"
		return cluster(vars)
	}
	cases := []struct {
		name string
		vars map[string]string
		want []string // substrings of the error; none: valid
	}{
		{"SASL_SSL with a password", scram(map[string]string{"KAFKA_TLS": "true", "KAFKA_TLS_CA_FILE": caFile, "KAFKA_SASL_USERNAME": "svc", "KAFKA_SASL_PASSWORD": password}), nil},
		{"password from a file", scram(map[string]string{"KAFKA_SASL_USERNAME": "svc", "KAFKA_SASL_PASSWORD_FILE": passwordFile}), nil},
		{"mutual TLS", cluster(map[string]string{"KAFKA_TLS": "true", "KAFKA_TLS_CERT_FILE": certFile, "KAFKA_TLS_KEY_FILE": keyFile}), nil},
		{"TLS with the system's CAs", cluster(map[string]string{"KAFKA_TLS": "true"}), nil},
		{"mechanism without username", scram(map[string]string{"KAFKA_SASL_PASSWORD": password}),
			[]string{"KAFKA_SASL_USERNAME is required with KAFKA_SASL_MECHANISM SCRAM-SHA-512"}},
		{"mechanism without password", scram(map[string]string{"KAFKA_SASL_USERNAME": "svc"}),
			[]string{"KAFKA_SASL_PASSWORD or KAFKA_SASL_PASSWORD_FILE is required"}},
		{"password and password file", scram(map[string]string{"KAFKA_SASL_USERNAME": "svc", "KAFKA_SASL_PASSWORD": password, "KAFKA_SASL_PASSWORD_FILE": passwordFile}),
			[]string{"KAFKA_SASL_PASSWORD and KAFKA_SASL_PASSWORD_FILE are both set"}},
		{"unreadable password file", scram(map[string]string{"KAFKA_SASL_USERNAME": "svc", "KAFKA_SASL_PASSWORD_FILE": missing}),
			[]string{"KAFKA_SASL_PASSWORD_FILE", missing, "no such file"}},
		{"empty password file", scram(map[string]string{"KAFKA_SASL_USERNAME": "svc", "KAFKA_SASL_PASSWORD_FILE": emptyFile}),
			[]string{"KAFKA_SASL_PASSWORD_FILE", emptyFile, "is empty"}},
		{"unknown mechanism", cluster(map[string]string{"KAFKA_SASL_MECHANISM": "GSSAPI", "KAFKA_SASL_USERNAME": "svc", "KAFKA_SASL_PASSWORD": password}),
			[]string{`KAFKA_SASL_MECHANISM must be PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512, got "GSSAPI"`}},
		{"credentials without mechanism", cluster(map[string]string{"KAFKA_SASL_USERNAME": "svc", "KAFKA_SASL_PASSWORD": password}),
			[]string{"KAFKA_SASL_USERNAME is set but KAFKA_SASL_MECHANISM is empty", "KAFKA_SASL_PASSWORD is set but KAFKA_SASL_MECHANISM is empty"}},
		{"cert without key", cluster(map[string]string{"KAFKA_TLS": "true", "KAFKA_TLS_CERT_FILE": certFile}),
			[]string{"KAFKA_TLS_CERT_FILE and KAFKA_TLS_KEY_FILE go together"}},
		{"key without cert", cluster(map[string]string{"KAFKA_TLS": "true", "KAFKA_TLS_KEY_FILE": keyFile}),
			[]string{"KAFKA_TLS_CERT_FILE and KAFKA_TLS_KEY_FILE go together"}},
		{"key of another certificate", cluster(map[string]string{"KAFKA_TLS": "true", "KAFKA_TLS_CERT_FILE": caFile, "KAFKA_TLS_KEY_FILE": keyFile}),
			[]string{"KAFKA_TLS_CERT_FILE and KAFKA_TLS_KEY_FILE: loading " + caFile, "does not match"}},
		{"unreadable CA file", cluster(map[string]string{"KAFKA_TLS": "true", "KAFKA_TLS_CA_FILE": missing}),
			[]string{"KAFKA_TLS_CA_FILE", missing, "no such file"}},
		{"CA file without a certificate", cluster(map[string]string{"KAFKA_TLS": "true", "KAFKA_TLS_CA_FILE": notPEM}),
			[]string{"KAFKA_TLS_CA_FILE", notPEM, "holds no PEM certificate"}},
		{"TLS settings with TLS off", cluster(map[string]string{"KAFKA_TLS_CA_FILE": caFile, "KAFKA_TLS_INSECURE_SKIP_VERIFY": "true"}),
			[]string{"KAFKA_TLS_CA_FILE is set but KAFKA_TLS is false", "KAFKA_TLS_INSECURE_SKIP_VERIFY is set but KAFKA_TLS is false"}},
		{"not a boolean", cluster(map[string]string{"KAFKA_TLS": "yes please"}), []string{"KAFKA_TLS:"}},
		{"embedded broker", map[string]string{"KAFKA_TLS": "true", "KAFKA_SASL_MECHANISM": "PLAIN", "KAFKA_SASL_USERNAME": "svc", "KAFKA_SASL_PASSWORD": password},
			[]string{"KAFKA_TLS and KAFKA_SASL_MECHANISM need KAFKA_BROKERS", "cmd/devbroker"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := service.ConfigFromMap(tc.vars)
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("accepted: %+v", cfg)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
			if strings.Contains(err.Error(), password) {
				t.Errorf("error shows the password:\n%v", err)
			}
		})
	}
}

// TestConfigPrintsNoPassword: a Config printed whole, as a test failure or a debugging line
// might, shows the password redacted.
func TestConfigPrintsNoPassword(t *testing.T) {
	const password = "pa55-never-printed"
	cfg, err := service.ConfigFromMap(map[string]string{"KAFKA_BROKERS": "kafka-1:9093", "KAFKA_SASL_MECHANISM": "PLAIN", "KAFKA_SASL_USERNAME": "svc", "KAFKA_SASL_PASSWORD": password})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.KafkaSASLPassword.Reveal() != password {
		t.Fatalf("password read as %q", cfg.KafkaSASLPassword.Reveal())
	}
	for _, format := range []string{"%v", "%+v", "%#v"} {
		if out := fmt.Sprintf(format, cfg); strings.Contains(out, password) {
			t.Errorf("Config printed with %s shows the password: %s", format, out)
		}
	}
}
