package kafka

import (
	"crypto/tls"

	"github.com/twmb/franz-go/pkg/kfake"
)

// EmbeddedOption secures the embedded broker, so that TLS and SASL can be tried and tested
// without a real cluster (cmd/devbroker, the component tests).
type EmbeddedOption struct{ opts []kfake.Opt }

// EmbeddedTLS makes the broker accept TLS connections only, with this server config.
func EmbeddedTLS(c *tls.Config) EmbeddedOption {
	return EmbeddedOption{opts: []kfake.Opt{kfake.TLS(c)}}
}

// EmbeddedSASL makes the broker require SASL and accept this user with this password over
// mechanism (SASLPlain, SASLScramSHA256 or SASLScramSHA512); give it once per user. The
// user may do anything: the broker checks no ACLs.
func EmbeddedSASL(mechanism, user, password string) EmbeddedOption {
	return EmbeddedOption{opts: []kfake.Opt{kfake.EnableSASL(), kfake.Superuser(mechanism, user, password)}}
}
