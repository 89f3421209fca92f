package main

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"

	"github.com/example/orders-service/adapters/kafka"
)

// securityFlags secure the dev broker, so that a developer can try the service's TLS and
// SASL settings without a managed cluster.
type securityFlags struct {
	tlsDir        string
	saslMechanism string
	saslUser      string
	saslPassword  string
}

// Files in --tls-dir.
const (
	caFileName   = "ca.pem"
	certFileName = "broker.pem"
	keyFileName  = "broker-key.pem"
)

// options turns the flags into broker options, and says which variables connect the
// service to the broker (the password by name only: it is the developer's to paste).
func (f securityFlags) options(addr string) ([]kafka.EmbeddedOption, []string, error) {
	var opts []kafka.EmbeddedOption
	var env []string
	if f.tlsDir != "" {
		c, err := brokerTLS(f.tlsDir, addr)
		if err != nil {
			return nil, nil, fmt.Errorf("--tls-dir: %w", err)
		}
		opts = append(opts, kafka.EmbeddedTLS(c))
		env = append(env, "KAFKA_TLS=true", "KAFKA_TLS_CA_FILE="+filepath.Join(f.tlsDir, caFileName))
	}
	switch f.saslMechanism {
	case "":
		if f.saslPassword != "" {
			return nil, nil, errors.New("--sasl-password needs --sasl-mechanism")
		}
		return opts, env, nil
	case kafka.SASLPlain, kafka.SASLScramSHA256, kafka.SASLScramSHA512:
	default:
		return nil, nil, fmt.Errorf("--sasl-mechanism must be PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512, got %q", f.saslMechanism)
	}
	if f.saslUser == "" || f.saslPassword == "" {
		return nil, nil, errors.New("--sasl-mechanism needs --sasl-user and --sasl-password")
	}
	opts = append(opts, kafka.EmbeddedSASL(f.saslMechanism, f.saslUser, f.saslPassword))
	env = append(env, "KAFKA_SASL_MECHANISM="+f.saslMechanism, "KAFKA_SASL_USERNAME="+f.saslUser, "KAFKA_SASL_PASSWORD=<the --sasl-password>")
	return opts, env, nil
}

// brokerTLS loads the broker's certificate from dir, or, the first time, makes a CA and a
// certificate for the listen host, 127.0.0.1 and localhost and writes them there: kept
// files let the service keep its KAFKA_TLS_CA_FILE across broker restarts.
func brokerTLS(dir, addr string) (*tls.Config, error) {
	certFile, keyFile := filepath.Join(dir, certFileName), filepath.Join(dir, keyFileName)
	if _, err := os.Stat(certFile); errors.Is(err, os.ErrNotExist) {
		if err := writeDevCerts(dir, addr); err != nil {
			return nil, err
		}
	}
	pair, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("loading the broker certificate: %w", err)
	}
	return &tls.Config{Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12}, nil
}

func writeDevCerts(dir, addr string) error {
	hosts := []string{"127.0.0.1", "localhost", "::1"}
	// A wildcard listen address names no host a client could verify.
	host, _, err := net.SplitHostPort(addr)
	if ip := net.ParseIP(host); err == nil && host != "" && !slices.Contains(hosts, host) && (ip == nil || !ip.IsUnspecified()) {
		hosts = append(hosts, host)
	}
	ca, err := kafka.NewDevCA("orders-service devbroker CA")
	if err != nil {
		return err
	}
	certPEM, keyPEM, err := ca.Issue("devbroker", hosts...)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	for _, f := range []struct {
		name string
		data []byte
		mode os.FileMode
	}{{caFileName, ca.CertPEM, 0o644}, {certFileName, certPEM, 0o644}, {keyFileName, keyPEM, 0o600}} {
		if err := os.WriteFile(filepath.Join(dir, f.name), f.data, f.mode); err != nil {
			return err
		}
	}
	return nil
}
