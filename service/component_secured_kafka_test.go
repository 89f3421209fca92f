package service_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"

	"github.com/example/orders-service/adapters/kafka"
	"github.com/example/orders-service/service"
)

// TestOrderSagaOverSecuredKafka runs the saga against brokers that take only TLS and SASL
// connections: every client of the service (publisher, every consumer group, admin, and in
// PostgreSQL mode the outbox relays) has to authenticate, or the order never gets confirmed. An independent client (franz-go) with
// the same credentials then finds the saga's records.
func TestOrderSagaOverSecuredKafka(t *testing.T) {
	t.Parallel()
	pki := newSecuredPKI(t)
	const password = "saga-password-7f3a"
	passwordFile := writeFile(t, t.TempDir(), "password", []byte(password+"\n")) // as `echo` writes it

	cases := []struct {
		name   string
		broker []kafka.EmbeddedOption
		env    map[string]string
		sasl   sasl.Mechanism
	}{
		{
			name:   "SASL_SSL with SCRAM-SHA-512, password from a file",
			broker: []kafka.EmbeddedOption{pki.brokerTLS(false), kafka.EmbeddedSASL(kafka.SASLScramSHA512, "orders", password)},
			env: map[string]string{"KAFKA_TLS": "true", "KAFKA_TLS_CA_FILE": pki.caFile, "KAFKA_SASL_MECHANISM": "SCRAM-SHA-512",
				"KAFKA_SASL_USERNAME": "orders", "KAFKA_SASL_PASSWORD_FILE": passwordFile},
			sasl: scram.Auth{User: "orders", Pass: password}.AsSha512Mechanism(),
		},
		{
			name:   "PLAIN over mutual TLS",
			broker: []kafka.EmbeddedOption{pki.brokerTLS(true), kafka.EmbeddedSASL(kafka.SASLPlain, "orders", password)},
			env: map[string]string{"KAFKA_TLS": "true", "KAFKA_TLS_CA_FILE": pki.caFile, "KAFKA_TLS_CERT_FILE": pki.clientCert, "KAFKA_TLS_KEY_FILE": pki.clientKey,
				"KAFKA_SASL_MECHANISM": "PLAIN", "KAFKA_SASL_USERNAME": "orders", "KAFKA_SASL_PASSWORD": password},
			sasl: plain.Auth{User: "orders", Pass: password}.AsMechanism(),
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			// In PostgreSQL mode the outbox relays publish too, through the same publisher.
			forEachMode(t, func(t *testing.T, mode map[string]string) {
				addr := startSecuredBroker(t, tc.broker...)
				h := startService(t, withEnv(mode, withEnv(tc.env, map[string]string{"KAFKA_BROKERS": addr})), service.Options{})
				h.setStock("sku-sec", 5)
				a := h.placeOrder(nil, "cust-sec", item{"sku-sec", 2})
				h.waitOrderStatus(a.OrderID, "confirmed")
				h.waitStock("sku-sec", 3, 2)

				topics := h.svc.Topics()
				c := securedKafkaClient(t, []string{addr}, pki.clientTLS(), tc.sasl, topics.Events("orders"))
				recordsUntil(t, c, 20*time.Second, "the order's events, read over TLS with SASL", func(rs []*kgo.Record) bool {
					return len(ofType(rs, "orders.OrderPlaced.v1", a.OrderID)) == 1 && len(ofType(rs, "orders.OrderConfirmed.v1", a.OrderID)) == 1
				})
				if n := h.logs.countLogs("kafka: secured connections"); n != 1 {
					t.Errorf("%d start lines saying how Kafka is secured, want 1", n)
				}
				if strings.Contains(h.logs.String(), password) {
					t.Errorf("the password is in the logs")
				}
			})
		})
	}
}

// TestSecuredKafkaMisconfigurationFailsFastNamingTheVariable: a client setting that does not
// fit the cluster stops the service at start, well within KAFKA_DIAL_TIMEOUT, with an error
// naming the variable to fix, instead of hanging or failing later with an EOF.
func TestSecuredKafkaMisconfigurationFailsFastNamingTheVariable(t *testing.T) {
	t.Parallel()
	pki := newSecuredPKI(t)
	const password, wrongPassword = "right-password-51c2", "wrong-password-9d0e"
	saslSSL := startSecuredBroker(t, pki.brokerTLS(false), kafka.EmbeddedSASL(kafka.SASLScramSHA512, "orders", password))
	mutualTLS := startSecuredBroker(t, pki.brokerTLS(true), kafka.EmbeddedSASL(kafka.SASLPlain, "orders", password))
	saslOnly := startSecuredBroker(t, kafka.EmbeddedSASL(kafka.SASLScramSHA512, "orders", password))

	saslSSLEnv := func(overrides map[string]string) map[string]string {
		env := map[string]string{"KAFKA_BROKERS": saslSSL, "KAFKA_TLS": "true", "KAFKA_TLS_CA_FILE": pki.caFile,
			"KAFKA_SASL_MECHANISM": "SCRAM-SHA-512", "KAFKA_SASL_USERNAME": "orders", "KAFKA_SASL_PASSWORD": password}
		for k, v := range overrides {
			if v == "" {
				delete(env, k)
			} else {
				env[k] = v
			}
		}
		return env
	}
	cases := []struct {
		name string
		env  map[string]string
		want []string
	}{
		{"wrong password", saslSSLEnv(map[string]string{"KAFKA_SASL_PASSWORD": wrongPassword}),
			[]string{saslSSL, "SASL authentication failed", `user "orders" with SCRAM-SHA-512`, "KAFKA_SASL_PASSWORD"}},
		{"wrong CA", saslSSLEnv(map[string]string{"KAFKA_TLS_CA_FILE": pki.otherCAFile}),
			[]string{"certificate not trusted", "KAFKA_TLS_CA_FILE", pki.otherCAFile}},
		{"plaintext client, TLS broker", saslSSLEnv(map[string]string{"KAFKA_TLS": "", "KAFKA_TLS_CA_FILE": ""}),
			[]string{"the broker expects TLS", "set KAFKA_TLS=true"}},
		{"name not in the certificate", saslSSLEnv(map[string]string{"KAFKA_TLS_SERVER_NAME": "kafka.example.com"}),
			[]string{"KAFKA_TLS_SERVER_NAME"}},
		{"no client certificate for mutual TLS", map[string]string{"KAFKA_BROKERS": mutualTLS, "KAFKA_TLS": "true", "KAFKA_TLS_CA_FILE": pki.caFile,
			"KAFKA_SASL_MECHANISM": "PLAIN", "KAFKA_SASL_USERNAME": "orders", "KAFKA_SASL_PASSWORD": password},
			[]string{"TLS handshake failed", "KAFKA_TLS_CERT_FILE and KAFKA_TLS_KEY_FILE"}},
		{"no SASL, SASL broker", map[string]string{"KAFKA_BROKERS": saslOnly},
			[]string{"closed the connection", "KAFKA_SASL_MECHANISM"}},
	}
	const dialTimeout = 5 * time.Second
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.env["KAFKA_DIAL_TIMEOUT"] = dialTimeout.String()
			cfg, err := service.ConfigFromMap(testEnv(tc.env))
			if err != nil {
				t.Fatal(err)
			}
			logs := &syncBuffer{}
			began := time.Now()
			svc, err := service.New(context.Background(), cfg, service.Options{Logger: slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
			took := time.Since(began)
			if err == nil {
				ctx, cancel := context.WithCancel(context.Background())
				cancel()
				_ = svc.Run(ctx) // stops it again
				t.Fatal("the service started")
			}
			t.Logf("refused in %s: %v", took.Round(time.Millisecond), err)
			if took >= dialTimeout {
				t.Errorf("failing took %s, not within KAFKA_DIAL_TIMEOUT %s", took, dialTimeout)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q: %v", w, err)
				}
			}
			for _, secret := range []string{password, wrongPassword} {
				if strings.Contains(err.Error(), secret) || strings.Contains(logs.String(), secret) {
					t.Errorf("a password is in the error or the logs: %v\n%s", err, logs.String())
				}
			}
		})
	}
}

// TestRiskySecuritySettingsWarnAtStart: settings that expose the traffic or the password
// still connect (an operator may need them to debug), and every start says so at WARN.
func TestRiskySecuritySettingsWarnAtStart(t *testing.T) {
	t.Parallel()
	pki := newSecuredPKI(t)
	cases := []struct {
		name   string
		broker []kafka.EmbeddedOption
		env    map[string]string
		warn   string
	}{
		{"certificates unchecked", []kafka.EmbeddedOption{pki.brokerTLS(false)},
			map[string]string{"KAFKA_TLS": "true", "KAFKA_TLS_INSECURE_SKIP_VERIFY": "true"}, "KAFKA_TLS_INSECURE_SKIP_VERIFY is on"},
		{"PLAIN without TLS", []kafka.EmbeddedOption{kafka.EmbeddedSASL(kafka.SASLPlain, "orders", "plain-pw")},
			map[string]string{"KAFKA_SASL_MECHANISM": "PLAIN", "KAFKA_SASL_USERNAME": "orders", "KAFKA_SASL_PASSWORD": "plain-pw"}, "PLAIN without KAFKA_TLS"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			addr := startSecuredBroker(t, tc.broker...)
			h := startService(t, withEnv(tc.env, map[string]string{"KAFKA_BROKERS": addr}), service.Options{})
			warned := 0
			for line := range strings.Lines(h.logs.String()) {
				if strings.Contains(line, `"level":"WARN"`) && strings.Contains(line, tc.warn) {
					warned++
				}
			}
			if warned != 1 {
				t.Errorf("%d WARN lines with %q, want 1", warned, tc.warn)
			}
		})
	}
}
