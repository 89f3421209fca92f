package kafka

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"testing"
	"time"
)

// testPKI is a CA, a broker certificate for 127.0.0.1 and localhost, and a client
// certificate, all signed by the CA.
type testPKI struct {
	ca           *DevCA
	roots        *x509.CertPool
	server       tls.Certificate
	client       tls.Certificate
	otherCARoots *x509.CertPool // trusts a CA that signed nothing here
}

func newTestPKI(t *testing.T) testPKI {
	t.Helper()
	ca, err := NewDevCA("test CA")
	if err != nil {
		t.Fatal(err)
	}
	pair := func(name string, hosts ...string) tls.Certificate {
		certPEM, keyPEM, err := ca.Issue(name, hosts...)
		if err != nil {
			t.Fatal(err)
		}
		c, err := tls.X509KeyPair(certPEM, keyPEM)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	other, err := NewDevCA("another CA")
	if err != nil {
		t.Fatal(err)
	}
	p := testPKI{ca: ca, roots: x509.NewCertPool(), otherCARoots: x509.NewCertPool(),
		server: pair("broker", "127.0.0.1", "localhost"), client: pair("client")}
	p.roots.AppendCertsFromPEM(ca.CertPEM)
	p.otherCARoots.AppendCertsFromPEM(other.CertPEM)
	return p
}

func (p testPKI) serverTLS(requireClientCert bool) *tls.Config {
	c := &tls.Config{Certificates: []tls.Certificate{p.server}, MinVersion: tls.VersionTLS12}
	if requireClientCert {
		c.ClientAuth, c.ClientCAs = tls.RequireAndVerifyClientCert, p.roots
	}
	return c
}

// TestProbeNamesTheStepThatFails runs Probe against embedded brokers secured in each way
// the service supports, with right and wrong client settings. Every failure must come
// back fast, as the step that failed: Sarama alone reports most of them as an EOF.
func TestProbeNamesTheStepThatFails(t *testing.T) {
	if testing.Short() {
		t.Skip("starts embedded brokers")
	}
	pki := newTestPKI(t)
	start := func(opts ...EmbeddedOption) string {
		b, err := StartEmbedded("127.0.0.1:0", 1, "", opts...)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(b.Close)
		return b.Addr()
	}
	plaintext := start()
	saslSSL := start(EmbeddedTLS(pki.serverTLS(false)), EmbeddedSASL(SASLScramSHA512, "svc", "right"))
	plainOverMTLS := start(EmbeddedTLS(pki.serverTLS(true)), EmbeddedSASL(SASLPlain, "svc", "right"))
	saslOnly := start(EmbeddedSASL(SASLScramSHA256, "svc", "right"))
	closed := func() string { // a port nothing listens on
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		_ = ln.Close()
		return addr
	}()

	trusted := &tls.Config{RootCAs: pki.roots, MinVersion: tls.VersionTLS12}
	withCert := &tls.Config{RootCAs: pki.roots, Certificates: []tls.Certificate{pki.client}, MinVersion: tls.VersionTLS12}
	scram512 := func(pw string) SASL { return SASL{Mechanism: SASLScramSHA512, Username: "svc", Password: Secret(pw)} }
	plain := func(pw string) SASL { return SASL{Mechanism: SASLPlain, Username: "svc", Password: Secret(pw)} }

	tests := []struct {
		name   string
		broker string
		sec    Security
		want   Fault // 0: connects
	}{
		{"plaintext", plaintext, Security{}, 0},
		{"SASL_SSL SCRAM-SHA-512", saslSSL, Security{TLS: trusted, SASL: scram512("right")}, 0},
		{"PLAIN over mutual TLS", plainOverMTLS, Security{TLS: withCert, SASL: plain("right")}, 0},
		{"SCRAM-SHA-256 without TLS", saslOnly, Security{SASL: SASL{Mechanism: SASLScramSHA256, Username: "svc", Password: "right"}}, 0},
		{"wrong password", saslSSL, Security{TLS: trusted, SASL: scram512("wrong")}, FaultAuthentication},
		{"unknown user", saslSSL, Security{TLS: trusted, SASL: SASL{Mechanism: SASLScramSHA512, Username: "nobody", Password: "right"}}, FaultAuthentication},
		{"mechanism the user lacks", saslSSL, Security{TLS: trusted, SASL: SASL{Mechanism: SASLScramSHA256, Username: "svc", Password: "right"}}, FaultAuthentication},
		{"wrong password, PLAIN", plainOverMTLS, Security{TLS: withCert, SASL: plain("wrong")}, FaultAuthentication},
		{"wrong CA", saslSSL, Security{TLS: &tls.Config{RootCAs: pki.otherCARoots, MinVersion: tls.VersionTLS12}, SASL: scram512("right")}, FaultTLSUntrusted},
		{"system CAs", saslSSL, Security{TLS: &tls.Config{MinVersion: tls.VersionTLS12}, SASL: scram512("right")}, FaultTLSUntrusted},
		{"name not in the certificate", saslSSL, Security{TLS: &tls.Config{RootCAs: pki.roots, ServerName: "kafka.example.com", MinVersion: tls.VersionTLS12}, SASL: scram512("right")}, FaultTLSHostname},
		{"no client certificate for mutual TLS", plainOverMTLS, Security{TLS: trusted, SASL: plain("right")}, FaultTLSHandshake},
		{"plaintext client, TLS broker", saslSSL, Security{SASL: scram512("right")}, FaultBrokerSpeaksTLS},
		{"plaintext without SASL, TLS broker", saslSSL, Security{}, FaultBrokerSpeaksTLS},
		{"no SASL, SASL broker", saslOnly, Security{}, FaultClosed},
		{"nothing listening", closed, Security{}, FaultUnreachable},
	}
	const dialTimeout = 5 * time.Second
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			began := time.Now()
			err := Probe(context.Background(), []string{tt.broker}, Settings{DialTimeout: dialTimeout, Security: tt.sec})
			took := time.Since(began)
			if took >= dialTimeout {
				t.Errorf("took %s, not within the dial timeout %s", took, dialTimeout)
			}
			if tt.want == 0 {
				if err != nil {
					t.Fatalf("Probe = %v, want a connection", err)
				}
				return
			}
			var ce *ConnectError
			if !errors.As(err, &ce) {
				t.Fatalf("Probe = %v, want a *ConnectError", err)
			}
			if ce.Fault != tt.want || ce.Broker != tt.broker {
				t.Errorf("Probe = %v (fault %q), want fault %q at %s", err, ce.Fault, tt.want, tt.broker)
			}
		})
	}
}

// TestProbeTriesTheNextBroker: a dead bootstrap broker is skipped when another answers, as
// the clients do; when none does, the error is the one that got furthest.
func TestProbeTriesTheNextBroker(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an embedded broker")
	}
	b, err := StartEmbedded("127.0.0.1:0", 1, "", EmbeddedSASL(SASLPlain, "svc", "right"))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	dead := "127.0.0.1:1"
	s := Settings{DialTimeout: 2 * time.Second, Security: Security{SASL: SASL{Mechanism: SASLPlain, Username: "svc", Password: "right"}}}
	if err := Probe(context.Background(), []string{dead, b.Addr()}, s); err != nil {
		t.Fatalf("Probe with one live broker = %v", err)
	}
	s.Security.SASL.Password = "wrong"
	err = Probe(context.Background(), []string{dead, b.Addr()}, s)
	var ce *ConnectError
	if !errors.As(err, &ce) || ce.Fault != FaultAuthentication || ce.Broker != b.Addr() {
		t.Fatalf("Probe = %v, want the authentication failure at %s", err, b.Addr())
	}
}
