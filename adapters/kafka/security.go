package kafka

import (
	"crypto/tls"
	"log/slog"

	"github.com/IBM/sarama"
)

// SASL mechanisms the clients speak, by their Kafka names.
const (
	SASLPlain       = sarama.SASLTypePlaintext   // "PLAIN"
	SASLScramSHA256 = sarama.SASLTypeSCRAMSHA256 // "SCRAM-SHA-256"
	SASLScramSHA512 = sarama.SASLTypeSCRAMSHA512 // "SCRAM-SHA-512"
)

// Security is how every client encrypts and authenticates its broker connections. The
// zero value is plaintext without authentication: what the embedded broker and the local
// compose cluster speak.
type Security struct {
	// TLS, when not nil, encrypts every connection. An empty ServerName is filled in per
	// broker from its address, so one config serves every broker of a cluster.
	TLS  *tls.Config
	SASL SASL
}

// SASL is a client's identity. An empty Mechanism turns SASL off.
type SASL struct {
	Mechanism string
	Username  string
	Password  Secret
}

// Enabled reports whether connections authenticate.
func (s SASL) Enabled() bool { return s.Mechanism != "" }

// Secret is a string that never prints: fmt's verbs, slog and encoders that use
// MarshalText all show it redacted, so a Settings or Config printed whole for debugging
// cannot leak it. Only Reveal returns the value, at the one place a client needs it.
type Secret string

const redacted = "[redacted]"

// Reveal is the secret's value.
func (s Secret) Reveal() string { return string(s) }

func (s Secret) String() string   { return redact(s) }
func (s Secret) GoString() string { return redact(s) }

// LogValue keeps the value out of slog records.
func (s Secret) LogValue() slog.Value { return slog.StringValue(redact(s)) }

// MarshalText keeps the value out of JSON and other text encodings.
func (s Secret) MarshalText() ([]byte, error) { return []byte(redact(s)), nil }

// redact says whether a secret is set, which is worth knowing, and nothing else.
func redact(s Secret) string {
	if s == "" {
		return ""
	}
	return redacted
}

// applySecurity sets TLS and SASL on a Sarama config, so that every client built from
// saramaConfig (publisher, subscribers, admin, and any tool using this package) connects
// the same way.
func applySecurity(c *sarama.Config, s Security) {
	if s.TLS != nil {
		c.Net.TLS.Enable = true
		c.Net.TLS.Config = s.TLS
	}
	if !s.SASL.Enabled() {
		return
	}
	c.Net.SASL.Enable = true
	c.Net.SASL.Mechanism = sarama.SASLMechanism(s.SASL.Mechanism)
	c.Net.SASL.User = s.SASL.Username
	c.Net.SASL.Password = s.SASL.Password.Reveal()
	// SaslHandshake v1 followed by SaslAuthenticate requests: the only flow kfake accepts
	// (it refuses v0, whose authentication bytes follow the handshake unframed), and the
	// one Kafka has preferred since 1.0.
	c.Net.SASL.Handshake = true
	c.Net.SASL.Version = sarama.SASLHandshakeV1
	switch s.SASL.Mechanism {
	case SASLScramSHA256:
		c.Net.SASL.SCRAMClientGeneratorFunc = newSCRAMSHA256Client
	case SASLScramSHA512:
		c.Net.SASL.SCRAMClientGeneratorFunc = newSCRAMSHA512Client
	}
}
