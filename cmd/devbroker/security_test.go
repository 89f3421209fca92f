package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl/scram"
)

// TestSecuredDevBroker: with --tls-dir and SASL flags the broker takes a franz-go client
// that trusts the CA written to the directory and authenticates, and tells how to connect;
// started again on the same directory it keeps its certificate, so clients keep their CA
// file.
func TestSecuredDevBroker(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "tls")
	args := []string{"--addr", "127.0.0.1:0", "--tls-dir", dir, "--sasl-mechanism", "SCRAM-SHA-512", "--sasl-user", "dev", "--sasl-password", "dev-secret"}
	var firstCA []byte
	for start := range 2 {
		ctx, cancel := context.WithCancel(context.Background())
		addrs := make(chan string, 1)
		done := make(chan error, 1)
		var log bytes.Buffer
		go func() { done <- run(ctx, args, &log, func(a string) { addrs <- a }) }()
		var addr string
		select {
		case addr = <-addrs:
		case err := <-done:
			cancel()
			t.Fatalf("start %d stopped at once: %v", start, err)
		}
		for _, want := range []string{"KAFKA_BROKERS=" + addr, "KAFKA_TLS=true", "KAFKA_TLS_CA_FILE=" + filepath.Join(dir, "ca.pem"), "KAFKA_SASL_MECHANISM=SCRAM-SHA-512", "KAFKA_SASL_USERNAME=dev"} {
			if !strings.Contains(log.String(), want) {
				t.Errorf("start %d: the start lines lack %q:\n%s", start, want, log.String())
			}
		}
		if strings.Contains(log.String(), "dev-secret") {
			t.Errorf("start %d prints the password:\n%s", start, log.String())
		}
		ca, err := os.ReadFile(filepath.Join(dir, "ca.pem"))
		if err != nil {
			t.Fatal(err)
		}
		if start == 0 {
			firstCA = ca
		} else if !bytes.Equal(ca, firstCA) {
			t.Error("a second start replaced the CA: clients would have to change their CA file")
		}
		produce(t, addr, ca, "dev-secret")
		cancel()
		if err := <-done; err != nil {
			t.Fatalf("start %d after cancel: %v", start, err)
		}
	}
}

func produce(t *testing.T, addr string, caPEM []byte, password string) {
	t.Helper()
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(caPEM)
	client, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.AllowAutoTopicCreation(), kgo.DefaultProduceTopic("t"),
		kgo.DialTLSConfig(&tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}),
		kgo.SASL(scram.Auth{User: "dev", Pass: password}.AsSha512Mechanism()))
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := client.ProduceSync(ctx, &kgo.Record{Value: []byte("hello")}).FirstErr(); err != nil {
		t.Fatalf("producing over TLS with SASL: %v", err)
	}
}

func TestSecurityFlagsAreChecked(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"--sasl-mechanism", "GSSAPI", "--sasl-password", "x"}, "--sasl-mechanism must be PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512"},
		{[]string{"--sasl-mechanism", "PLAIN"}, "--sasl-mechanism needs --sasl-user and --sasl-password"},
		{[]string{"--sasl-password", "x"}, "--sasl-password needs --sasl-mechanism"},
	}
	for _, tc := range cases {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			var log bytes.Buffer
			err := run(context.Background(), append([]string{"--addr", "127.0.0.1:0"}, tc.args...), &log, nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("run = %v, want %q", err, tc.want)
			}
		})
	}
}
