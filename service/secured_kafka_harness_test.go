package service_test

import (
	"crypto/tls"
	"crypto/x509"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl"

	"github.com/example/orders-service/adapters/kafka"
)

// securedPKI is what a secured cluster's operator hands out, made up for one test: a CA,
// a broker certificate for 127.0.0.1 and localhost, a client certificate, and the CA of
// another cluster; as files for the service, as values for the broker and franz-go.
type securedPKI struct {
	caFile, otherCAFile   string
	clientCert, clientKey string
	roots                 *x509.CertPool
	server, client        tls.Certificate
}

func newSecuredPKI(t *testing.T) securedPKI {
	t.Helper()
	dir := t.TempDir()
	ca, err := kafka.NewDevCA("secured test CA")
	if err != nil {
		t.Fatal(err)
	}
	other, err := kafka.NewDevCA("another cluster's CA")
	if err != nil {
		t.Fatal(err)
	}
	issue := func(name string, hosts ...string) (tls.Certificate, []byte, []byte) {
		certPEM, keyPEM, err := ca.Issue(name, hosts...)
		if err != nil {
			t.Fatal(err)
		}
		pair, err := tls.X509KeyPair(certPEM, keyPEM)
		if err != nil {
			t.Fatal(err)
		}
		return pair, certPEM, keyPEM
	}
	p := securedPKI{roots: x509.NewCertPool()}
	p.roots.AppendCertsFromPEM(ca.CertPEM)
	p.server, _, _ = issue("broker", "127.0.0.1", "localhost")
	var certPEM, keyPEM []byte
	p.client, certPEM, keyPEM = issue("orders-service")
	p.caFile = writeFile(t, dir, "ca.pem", ca.CertPEM)
	p.otherCAFile = writeFile(t, dir, "other-ca.pem", other.CertPEM)
	p.clientCert = writeFile(t, dir, "client.pem", certPEM)
	p.clientKey = writeFile(t, dir, "client-key.pem", keyPEM)
	return p
}

// brokerTLS is the broker's TLS config; with requireClientCert, mutual TLS.
func (p securedPKI) brokerTLS(requireClientCert bool) kafka.EmbeddedOption {
	c := &tls.Config{Certificates: []tls.Certificate{p.server}, MinVersion: tls.VersionTLS12}
	if requireClientCert {
		c.ClientAuth, c.ClientCAs = tls.RequireAndVerifyClientCert, p.roots
	}
	return kafka.EmbeddedTLS(c)
}

// clientTLS is franz-go's TLS config, with the client certificate.
func (p securedPKI) clientTLS() *tls.Config {
	return &tls.Config{RootCAs: p.roots, Certificates: []tls.Certificate{p.client}, MinVersion: tls.VersionTLS12}
}

// startSecuredBroker starts an embedded broker, secured by opts, for the test's duration.
func startSecuredBroker(t *testing.T, opts ...kafka.EmbeddedOption) string {
	t.Helper()
	b, err := kafka.StartEmbedded("127.0.0.1:0", 4, "", opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	return b.Addr()
}

// securedKafkaClient is an independent franz-go client reading topics from the start over
// TLS with SASL.
func securedKafkaClient(t *testing.T, brokers []string, tlsConfig *tls.Config, mechanism sasl.Mechanism, topics ...string) *kgo.Client {
	t.Helper()
	c, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.DialTLSConfig(tlsConfig), kgo.SASL(mechanism),
		kgo.ConsumeTopics(topics...), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchMaxWait(100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}
