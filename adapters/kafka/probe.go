package kafka

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/IBM/sarama"
)

// Fault is the step at which connecting to a broker failed. A Sarama client reports most
// of these as a bare EOF after its retries; the step is what tells the operator which
// setting to fix.
type Fault int

const (
	FaultConfig          Fault = iota + 1 // the client's own settings are refused before dialing
	FaultUnreachable                      // no TCP connection within the dial timeout
	FaultTLSUntrusted                     // the broker's certificate chain is not trusted
	FaultTLSHostname                      // the certificate does not name the broker's host
	FaultTLSHandshake                     // TLS failed otherwise: not a TLS listener, client certificate refused
	FaultBrokerSpeaksTLS                  // a plaintext client, a TLS listener
	FaultAuthentication                   // SASL failed: mechanism, username or password
	FaultClosed                           // plaintext, no SASL, and the broker hung up without answering
	FaultRequest                          // connected, but the broker's answer was an error
)

var faultText = map[Fault]string{
	FaultConfig:          "client settings invalid",
	FaultUnreachable:     "broker unreachable",
	FaultTLSUntrusted:    "broker certificate not trusted",
	FaultTLSHostname:     "broker certificate does not name the broker",
	FaultTLSHandshake:    "TLS handshake failed",
	FaultBrokerSpeaksTLS: "the broker expects TLS",
	FaultAuthentication:  "SASL authentication failed",
	FaultClosed:          "the broker closed the connection without answering",
	FaultRequest:         "the broker refused a metadata request",
}

func (f Fault) String() string { return faultText[f] }

// ConnectError says which broker failed at which step. Err is the underlying error; none
// of these carries a credential (Sarama and the SCRAM client never put one in an error).
type ConnectError struct {
	Broker string
	Fault  Fault
	Err    error
}

func (e *ConnectError) Error() string {
	return fmt.Sprintf("connecting to Kafka broker %s: %s: %v", e.Broker, e.Fault, e.Err)
}

func (e *ConnectError) Unwrap() error { return e.Err }

// tlsProbeTimeout bounds the wait for a ServerHello when checking whether a listener
// speaks TLS. A TLS listener answers within a round trip; a plaintext one may wait for the
// rest of what it takes for a request (kfake does), which would use up the dial timeout.
const tlsProbeTimeout = time.Second

// Probe connects to the bootstrap brokers in turn, the way every client will (TCP, TLS,
// SASL), and asks for metadata. It returns nil at the first broker that answers, otherwise
// the *ConnectError of the broker that got furthest. Each broker gets at most the dial
// timeout: a misconfigured client then fails at start with the step that failed, instead
// of retrying in every client and ending with an EOF.
func Probe(ctx context.Context, brokers []string, s Settings) error {
	var worst *ConnectError
	for _, b := range brokers {
		err := probeBroker(ctx, b, s)
		if err == nil {
			return nil
		}
		if worst == nil || err.Fault > worst.Fault {
			worst = err
		}
	}
	if worst == nil {
		return errors.New("kafka: no bootstrap brokers to connect to")
	}
	return worst
}

func probeBroker(ctx context.Context, addr string, s Settings) *ConnectError {
	cfg := saramaConfig(s)
	ctx, cancel := context.WithTimeout(ctx, cfg.Net.DialTimeout)
	defer cancel()
	fail := func(f Fault, err error) *ConnectError { return &ConnectError{Broker: addr, Fault: f, Err: err} }

	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return fail(FaultUnreachable, err)
	}
	// The TLS handshake on its own first: Sarama starts it lazily, inside its first
	// request, where a certificate error is hard to tell from the rest.
	if s.Security.TLS != nil {
		tc := tls.Client(conn, tlsFor(addr, s.Security.TLS))
		err := tc.HandshakeContext(ctx)
		_ = tc.Close()
		if err != nil {
			return fail(tlsFault(err), err)
		}
	} else {
		_ = conn.Close()
	}

	connected, err := saramaProbe(ctx, addr, cfg)
	if err == nil {
		return nil
	}
	var (
		kerr   sarama.KError
		cfgErr sarama.ConfigurationError
	)
	switch {
	case errors.As(err, &cfgErr):
		return fail(FaultConfig, err)
	case isTLSAlert(err):
		// The handshake passed, then the broker refused us: a client certificate it
		// does not accept (TLS 1.3 reports that after the handshake).
		return fail(FaultTLSHandshake, err)
	case errors.Is(err, sarama.ErrSASLAuthenticationFailed), errors.Is(err, sarama.ErrUnsupportedSASLMechanism),
		errors.Is(err, sarama.ErrIllegalSASLState):
		return fail(FaultAuthentication, err)
	case errors.As(err, &kerr):
		// An answer in Kafka's protocol: the connection itself is right.
		return fail(FaultRequest, err)
	case s.Security.TLS == nil && speaksTLS(ctx, addr):
		return fail(FaultBrokerSpeaksTLS, err)
	case !connected && s.Security.SASL.Enabled():
		// TCP and TLS worked a moment ago, so what failed is the SASL exchange; kfake,
		// unlike Kafka, answers a wrong password by closing the connection.
		return fail(FaultAuthentication, err)
	case !connected:
		return fail(FaultUnreachable, err)
	case !s.Security.SASL.Enabled():
		return fail(FaultClosed, err)
	}
	return fail(FaultRequest, err)
}

// saramaProbe opens one Sarama broker connection with the clients' own config and asks
// for metadata; connected says whether dialing and SASL succeeded. It stops waiting when
// ctx ends; the connection is then closed in the background.
func saramaProbe(ctx context.Context, addr string, cfg *sarama.Config) (connected bool, err error) {
	if deadline, ok := ctx.Deadline(); ok {
		left := time.Until(deadline)
		if left <= 0 {
			return false, fmt.Errorf("no time left within the dial timeout: %w", context.DeadlineExceeded)
		}
		cfg.Net.DialTimeout, cfg.Net.ReadTimeout, cfg.Net.WriteTimeout = left, left, left
	}
	type result struct {
		connected bool
		err       error
	}
	done := make(chan result, 1)
	b := sarama.NewBroker(addr)
	go func() {
		if err := b.Open(cfg); err != nil {
			done <- result{err: err}
			return
		}
		defer b.Close() //nolint:errcheck // a probe: nothing to do about a failed close
		// Connected waits until Open's dial and SASL exchange are over.
		if ok, err := b.Connected(); !ok {
			if err == nil {
				err = errors.New("not connected")
			}
			done <- result{err: err}
			return
		}
		_, err := b.GetMetadata(sarama.NewMetadataRequest(cfg.Version, nil))
		done <- result{connected: true, err: err}
	}()
	select {
	case r := <-done:
		return r.connected, r.err
	case <-ctx.Done():
		return false, fmt.Errorf("no answer within the dial timeout: %w", ctx.Err())
	}
}

// tlsFor is the client config for one broker, with the server name Sarama would use.
func tlsFor(addr string, c *tls.Config) *tls.Config {
	if c.ServerName != "" {
		return c
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return c
	}
	c = c.Clone()
	c.ServerName = host
	return c
}

func tlsFault(err error) Fault {
	var (
		unknown  x509.UnknownAuthorityError
		invalid  x509.CertificateInvalidError
		hostname x509.HostnameError
	)
	switch {
	case errors.As(err, &hostname):
		return FaultTLSHostname
	case errors.As(err, &unknown), errors.As(err, &invalid):
		return FaultTLSUntrusted
	}
	return FaultTLSHandshake
}

// isTLSAlert reports an alert the peer sent: crypto/tls reports one as a net.OpError
// whose Op is "remote error".
func isTLSAlert(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "remote error"
}

// speaksTLS reports whether the listener at addr answers a TLS ClientHello. It only
// detects the protocol: the certificate is not checked because nothing is sent over the
// connection, which is closed right after.
func speaksTLS(ctx context.Context, addr string) bool {
	ctx, cancel := context.WithTimeout(ctx, tlsProbeTimeout)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return false
	}
	host, _, _ := net.SplitHostPort(addr)
	tc := tls.Client(conn, &tls.Config{ServerName: host, InsecureSkipVerify: true}) //nolint:gosec // protocol detection only
	err = tc.HandshakeContext(ctx)
	_ = tc.Close()
	return err == nil || isTLSAlert(err)
}
