package service

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/caarlos0/env/v11"

	"github.com/example/orders-service/adapters/kafka"
)

// This file turns the KAFKA_TLS* and KAFKA_SASL_* variables into the kafka.Security every
// client of the service uses. Errors name the variable and, for files, the path; never a
// password or a file's contents.

// validateKafkaSecurity is the security part of Config.validate: the files are read here
// already, so that a missing or unreadable one stops the service at start.
func (c Config) validateKafkaSecurity() []error {
	var errs []error
	if c.Embedded() && (c.KafkaTLS || c.KafkaSASLMechanism != "") {
		errs = append(errs, errors.New("KAFKA_TLS and KAFKA_SASL_MECHANISM need KAFKA_BROKERS: the embedded broker speaks plaintext; "+
			"for a secured broker on this machine run cmd/devbroker with --tls-dir or --sasl-mechanism (README, Secured clusters)"))
	}
	if _, err := c.kafkaSecurity(); err != nil {
		errs = append(errs, err)
	}
	return errs
}

// kafkaSecurity builds the clients' TLS config and SASL identity.
func (c Config) kafkaSecurity() (kafka.Security, error) {
	tlsConfig, tlsErr := c.kafkaTLS()
	sasl, saslErr := c.kafkaSASL()
	if err := errors.Join(tlsErr, saslErr); err != nil {
		return kafka.Security{}, err
	}
	return kafka.Security{TLS: tlsConfig, SASL: sasl}, nil
}

// setting is a variable and whether it is set, for "X is set but Y is not" checks.
type setting struct {
	name string
	set  bool
}

// unused reports the settings that are set although the switch they belong to is off:
// most likely a mistake that would otherwise leave a connection unsecured without a word.
func unused(settings []setting, reason string) error {
	var errs []error
	for _, s := range settings {
		if s.set {
			errs = append(errs, fmt.Errorf("%s is set but %s", s.name, reason))
		}
	}
	return errors.Join(errs...)
}

func (c Config) kafkaTLS() (*tls.Config, error) {
	if !c.KafkaTLS {
		return nil, unused([]setting{
			{"KAFKA_TLS_CA_FILE", c.KafkaTLSCAFile != ""},
			{"KAFKA_TLS_CERT_FILE", c.KafkaTLSCertFile != ""},
			{"KAFKA_TLS_KEY_FILE", c.KafkaTLSKeyFile != ""},
			{"KAFKA_TLS_SERVER_NAME", c.KafkaTLSServerName != ""},
			{"KAFKA_TLS_INSECURE_SKIP_VERIFY", c.KafkaTLSInsecureSkipVerify},
		}, "KAFKA_TLS is false: set KAFKA_TLS=true to connect over TLS")
	}
	cfg := &tls.Config{
		MinVersion:         tls.VersionTLS12,
		ServerName:         c.KafkaTLSServerName,
		InsecureSkipVerify: c.KafkaTLSInsecureSkipVerify, //nolint:gosec // the operator's explicit choice, warned about at start
	}
	var errs []error
	if c.KafkaTLSCAFile != "" {
		pool, err := readCertPool(c.KafkaTLSCAFile)
		if err != nil {
			errs = append(errs, fmt.Errorf("KAFKA_TLS_CA_FILE: %w", err))
		}
		cfg.RootCAs = pool
	}
	switch {
	case (c.KafkaTLSCertFile == "") != (c.KafkaTLSKeyFile == ""):
		errs = append(errs, errors.New("KAFKA_TLS_CERT_FILE and KAFKA_TLS_KEY_FILE go together: set both for a client certificate, or neither"))
	case c.KafkaTLSCertFile != "":
		// LoadX509KeyPair's errors name what is wrong (no PEM data, a key that does not
		// match), never the key itself.
		pair, err := tls.LoadX509KeyPair(c.KafkaTLSCertFile, c.KafkaTLSKeyFile)
		if err != nil {
			errs = append(errs, fmt.Errorf("KAFKA_TLS_CERT_FILE and KAFKA_TLS_KEY_FILE: loading %s and %s: %w", c.KafkaTLSCertFile, c.KafkaTLSKeyFile, err))
		}
		cfg.Certificates = []tls.Certificate{pair}
	}
	return cfg, errors.Join(errs...)
}

func readCertPool(path string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading the CA file: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%s holds no PEM certificate", path)
	}
	return pool, nil
}

func (c Config) kafkaSASL() (kafka.SASL, error) {
	if c.KafkaSASLMechanism == "" {
		return kafka.SASL{}, unused([]setting{
			{"KAFKA_SASL_USERNAME", c.KafkaSASLUsername != ""},
			{"KAFKA_SASL_PASSWORD", c.KafkaSASLPassword != ""},
			{"KAFKA_SASL_PASSWORD_FILE", c.KafkaSASLPasswordFile != ""},
		}, "KAFKA_SASL_MECHANISM is empty: set it to PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512")
	}
	var errs []error
	switch c.KafkaSASLMechanism {
	case kafka.SASLPlain, kafka.SASLScramSHA256, kafka.SASLScramSHA512:
	default:
		errs = append(errs, fmt.Errorf("KAFKA_SASL_MECHANISM must be PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512, got %q", c.KafkaSASLMechanism))
	}
	if c.KafkaSASLUsername == "" {
		errs = append(errs, fmt.Errorf("KAFKA_SASL_USERNAME is required with KAFKA_SASL_MECHANISM %s", c.KafkaSASLMechanism))
	}
	password, err := c.kafkaSASLPassword()
	errs = append(errs, err)
	return kafka.SASL{Mechanism: c.KafkaSASLMechanism, Username: c.KafkaSASLUsername, Password: password}, errors.Join(errs...)
}

// kafkaSASLPassword is KAFKA_SASL_PASSWORD, or the contents of KAFKA_SASL_PASSWORD_FILE
// without a trailing newline (what `echo secret > file` leaves).
func (c Config) kafkaSASLPassword() (kafka.Secret, error) {
	switch {
	case c.KafkaSASLPassword != "" && c.KafkaSASLPasswordFile != "":
		return "", errors.New("KAFKA_SASL_PASSWORD and KAFKA_SASL_PASSWORD_FILE are both set: set one of them")
	case c.KafkaSASLPassword != "":
		return c.KafkaSASLPassword, nil
	case c.KafkaSASLPasswordFile != "":
		b, err := os.ReadFile(c.KafkaSASLPasswordFile)
		if err != nil {
			// os errors name the path and the cause only.
			return "", fmt.Errorf("KAFKA_SASL_PASSWORD_FILE: reading the password: %w", err)
		}
		password := strings.TrimSuffix(strings.TrimSuffix(string(b), "\n"), "\r")
		if password == "" {
			return "", fmt.Errorf("KAFKA_SASL_PASSWORD_FILE: %s is empty", c.KafkaSASLPasswordFile)
		}
		return kafka.Secret(password), nil
	}
	return "", fmt.Errorf("KAFKA_SASL_PASSWORD or KAFKA_SASL_PASSWORD_FILE is required with KAFKA_SASL_MECHANISM %s", c.KafkaSASLMechanism)
}

// secureKafka builds the clients' security (validated already, so it only fails if a file
// changed since), says at start how the service connects, and checks the first connection
// so that a wrong setting fails now, naming the variable, rather than in every client's
// retries with an EOF.
func (s *Service) secureKafka() error {
	sec, err := s.cfg.kafkaSecurity()
	if err != nil {
		return fmt.Errorf("invalid configuration: %w", err)
	}
	s.kafkaSecurity = sec
	s.logKafkaSecurity(sec)
	if err := kafka.Probe(context.Background(), s.brokers, s.kafkaSettings()); err != nil {
		return explainKafkaConnect(err, s.cfg)
	}
	return nil
}

func (s *Service) logKafkaSecurity(sec kafka.Security) {
	if sec.TLS == nil && !sec.SASL.Enabled() {
		return // plaintext: the line about the brokers says enough
	}
	tlsMode := "off"
	if sec.TLS != nil {
		tlsMode = "on"
	}
	s.logger.Info("kafka: secured connections", "tls", tlsMode, "sasl_mechanism", sec.SASL.Mechanism, "sasl_username", sec.SASL.Username)
	if s.cfg.KafkaTLSInsecureSkipVerify {
		s.logger.Warn("KAFKA_TLS_INSECURE_SKIP_VERIFY is on: broker certificates are NOT verified, so anyone on the network path " +
			"can pose as the brokers and read every message and the SASL credentials; never use it outside debugging")
	}
	if sec.SASL.Mechanism == kafka.SASLPlain && sec.TLS == nil {
		s.logger.Warn("KAFKA_SASL_MECHANISM is PLAIN without KAFKA_TLS: the password crosses the network in clear text")
	}
}

// connectHints name the settings to check for each way a first connection fails.
var connectHints = map[kafka.Fault]string{
	kafka.FaultConfig:          "check the KAFKA_TLS_* and KAFKA_SASL_* settings",
	kafka.FaultUnreachable:     "check KAFKA_BROKERS and that the broker is up (waited KAFKA_DIAL_TIMEOUT)",
	kafka.FaultTLSHostname:     "set KAFKA_TLS_SERVER_NAME to a name the certificate holds, or use that name in KAFKA_BROKERS",
	kafka.FaultTLSHandshake:    "check that this listener speaks TLS (KAFKA_TLS) and, if it requires a client certificate, KAFKA_TLS_CERT_FILE and KAFKA_TLS_KEY_FILE",
	kafka.FaultBrokerSpeaksTLS: "set KAFKA_TLS=true, and KAFKA_TLS_CA_FILE unless the system's CAs sign the broker's certificate",
	kafka.FaultAuthentication:  "check KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD (or KAFKA_SASL_PASSWORD_FILE) and KAFKA_SASL_MECHANISM",
	kafka.FaultClosed:          "if the broker requires authentication, set KAFKA_SASL_MECHANISM, KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD",
}

// explainKafkaConnect adds to a failed first connection the variables to fix.
func explainKafkaConnect(err error, c Config) error {
	var ce *kafka.ConnectError
	if !errors.As(err, &ce) {
		return fmt.Errorf("connecting to Kafka: %w", err)
	}
	hint := connectHints[ce.Fault]
	switch {
	case ce.Fault == kafka.FaultTLSUntrusted && c.KafkaTLSCAFile != "":
		hint = "the broker's certificate is not signed by a CA in KAFKA_TLS_CA_FILE (" + c.KafkaTLSCAFile + "); check that file"
	case ce.Fault == kafka.FaultTLSUntrusted:
		hint = "the system's CAs do not sign the broker's certificate: set KAFKA_TLS_CA_FILE to the cluster's CA"
	case ce.Fault == kafka.FaultAuthentication:
		hint = fmt.Sprintf("user %q with %s: %s", c.KafkaSASLUsername, c.KafkaSASLMechanism, hint)
	}
	if hint == "" {
		return err
	}
	return fmt.Errorf("%w; %s", err, hint)
}

// KafkaSecurityFromEnv reads the KAFKA_TLS* and KAFKA_SASL_* variables from the process
// environment as the service does, with the same checks and messages, for tools that
// connect to the service's cluster (cmd/loadgen). No other variable is read.
func KafkaSecurityFromEnv() (kafka.Security, error) {
	vars := map[string]string{}
	for _, kv := range os.Environ() {
		k, v, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "KAFKA_TLS") || strings.HasPrefix(k, "KAFKA_SASL_") {
			vars[k] = v
		}
	}
	var c Config
	if err := env.ParseWithOptions(&c, env.Options{Environment: vars}); err != nil {
		return kafka.Security{}, fmt.Errorf("reading configuration: %w", nameVariables(err))
	}
	sec, err := c.kafkaSecurity()
	if err != nil {
		return kafka.Security{}, fmt.Errorf("invalid configuration: %w", err)
	}
	return sec, nil
}
