package kafka

import (
	"fmt"

	"github.com/IBM/sarama"
)

// NewClusterAdmin is a raw Sarama admin client with the service's client config, security
// included, for tools that need more than Admin offers (cmd/loadgen creates and deletes a
// topic of its own). The service itself uses Admin.
func NewClusterAdmin(brokers []string, s Settings) (sarama.ClusterAdmin, error) {
	admin, err := sarama.NewClusterAdmin(brokers, saramaConfig(s))
	if err != nil {
		return nil, fmt.Errorf("connecting to Kafka at %v: %w", brokers, err)
	}
	return admin, nil
}
