package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"strings"
	"testing"
	"time"

	"github.com/example/orders-service/adapters/kafka"
)

// TestBaselineSecurityFromTheServiceVariables: --baseline reads TLS and SASL from the
// variables the service reads, with the service's checks, and nothing without --baseline.
// Not parallel: it sets the process environment.
func TestBaselineSecurityFromTheServiceVariables(t *testing.T) {
	const password = "baseline-pw-3b7d"
	cases := []struct {
		name     string
		env      map[string]string
		args     []string
		wantSASL string // mechanism
		wantErr  []string
	}{
		{"SCRAM", map[string]string{"KAFKA_SASL_MECHANISM": "SCRAM-SHA-512", "KAFKA_SASL_USERNAME": "u", "KAFKA_SASL_PASSWORD": password},
			[]string{"--baseline"}, "SCRAM-SHA-512", nil},
		{"plaintext", nil, []string{"--baseline"}, "", nil},
		{"a mechanism without username", map[string]string{"KAFKA_SASL_MECHANISM": "PLAIN", "KAFKA_SASL_PASSWORD": password},
			[]string{"--baseline"}, "", []string{"--baseline", "KAFKA_SASL_USERNAME is required"}},
		{"not read without --baseline", map[string]string{"KAFKA_SASL_MECHANISM": "PLAIN"}, nil, "", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, k := range []string{"KAFKA_TLS", "KAFKA_TLS_CA_FILE", "KAFKA_SASL_MECHANISM", "KAFKA_SASL_USERNAME", "KAFKA_SASL_PASSWORD", "KAFKA_SASL_PASSWORD_FILE"} {
				t.Setenv(k, tc.env[k])
			}
			c, err := parseConfig(append([]string{"--concurrency", "1"}, tc.args...), &bytes.Buffer{})
			if len(tc.wantErr) > 0 {
				if err == nil {
					t.Fatal("accepted")
				}
				for _, w := range tc.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error lacks %q: %v", w, err)
					}
				}
				if strings.Contains(err.Error(), password) {
					t.Errorf("error shows the password: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.Security.SASL.Mechanism != tc.wantSASL {
				t.Errorf("SASL mechanism %q, want %q", c.Security.SASL.Mechanism, tc.wantSASL)
			}
		})
	}
}

// TestBaselineOverSecuredBroker runs a small baseline against a broker that takes only TLS
// with SCRAM-SHA-512: the baseline's admin, publisher and subscriber all authenticate.
func TestBaselineOverSecuredBroker(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a broker and a consumer group")
	}
	ca, err := kafka.NewDevCA("baseline test CA")
	if err != nil {
		t.Fatal(err)
	}
	certPEM, keyPEM, err := ca.Issue("broker", "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	broker, err := kafka.StartEmbedded("127.0.0.1:0", 2, "",
		kafka.EmbeddedTLS(&tls.Config{Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12}),
		kafka.EmbeddedSASL(kafka.SASLScramSHA512, "loadgen", "right"))
	if err != nil {
		t.Fatal(err)
	}
	defer broker.Close()
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(ca.CertPEM)
	sec := kafka.Security{TLS: &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12},
		SASL: kafka.SASL{Mechanism: kafka.SASLScramSHA512, Username: "loadgen", Password: "right"}}

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cfg := config{Baseline: true, Brokers: []string{broker.Addr()}, Security: sec}
	if err := checkBaselineBroker(ctx, cfg); err != nil {
		t.Fatalf("check with the right settings: %v", err)
	}
	res, err := runBaseline(ctx, baselineConfig{Brokers: cfg.Brokers, Messages: 60, Size: 250, Publishers: 4, Timeout: 20 * time.Second, Security: sec})
	if err != nil {
		t.Fatal(err)
	}
	if res.Messages != 60 || res.MsgsPerSec <= 0 {
		t.Errorf("baseline result inconsistent: %+v", res)
	}

	cfg.Security.SASL.Password = "wrong-pw-77c1"
	err = checkBaselineBroker(ctx, cfg)
	if err == nil || !strings.Contains(err.Error(), "SASL authentication failed") || strings.Contains(err.Error(), "wrong-pw-77c1") {
		t.Errorf("check with a wrong password = %v, want an authentication failure without the password", err)
	}
}
