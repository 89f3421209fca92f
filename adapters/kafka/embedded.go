package kafka

import (
	"fmt"
	"net"

	"github.com/twmb/franz-go/pkg/kfake"
)

// Embedded is an in-process Kafka-protocol broker (franz-go's kfake). The service speaks the
// real Kafka protocol to it through the same client code as to a real cluster. It is meant
// for development and tests: one node, no replication, data in memory unless a directory is
// given.
type Embedded struct {
	cluster *kfake.Cluster
	addr    string
}

// StartEmbedded listens on addr ("127.0.0.1:9092", or port 0 for any free port). With a
// dataDir the broker keeps topics, records and committed offsets across restarts. Options
// secure it (embedded_security.go); without any it speaks plaintext.
func StartEmbedded(addr string, partitions int, dataDir string, secure ...EmbeddedOption) (*Embedded, error) {
	var bound net.Addr
	opts := []kfake.Opt{
		kfake.NumBrokers(1),
		kfake.DefaultNumPartitions(partitions),
		kfake.AllowAutoTopicCreation(),
		kfake.ListenFn(func(network, _ string) (net.Listener, error) {
			ln, err := net.Listen(network, addr)
			if err == nil {
				bound = ln.Addr()
			}
			return ln, err
		}),
	}
	if dataDir != "" {
		opts = append(opts, kfake.DataDir(dataDir))
	}
	for _, o := range secure {
		opts = append(opts, o.opts...)
	}
	c, err := kfake.NewCluster(opts...)
	if err != nil {
		return nil, fmt.Errorf("starting embedded Kafka broker on %s: %w", addr, err)
	}
	return &Embedded{cluster: c, addr: bound.String()}, nil
}

// Addr is the address the broker listens on and advertises.
func (e *Embedded) Addr() string { return e.addr }

// Close stops the broker, saving its data first when it has a data directory.
func (e *Embedded) Close() { e.cluster.Close() }
