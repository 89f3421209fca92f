package kafka

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/IBM/sarama"
)

// Admin provisions topics and checks the cluster.
type Admin struct {
	admin sarama.ClusterAdmin
}

// NewAdmin connects an admin client.
func NewAdmin(brokers []string, s Settings) (*Admin, error) {
	cfg := saramaConfig(s)
	a, err := sarama.NewClusterAdmin(brokers, cfg)
	if err != nil {
		return nil, fmt.Errorf("connecting to Kafka at %v: %w", brokers, err)
	}
	return &Admin{admin: a}, nil
}

// TopicSpec is a topic the service needs.
type TopicSpec struct {
	Name              string
	Partitions        int32
	ReplicationFactor int16
}

// EnsureTopics creates the topics that are missing. A topic created concurrently by another
// instance counts as present. Existing topics are left as they are, whatever their size.
func (a *Admin) EnsureTopics(ctx context.Context, specs []TopicSpec) error {
	return a.withContext(ctx, func() error {
		existing, err := a.admin.ListTopics()
		if err != nil {
			return fmt.Errorf("listing topics: %w", err)
		}
		for _, s := range specs {
			if _, ok := existing[s.Name]; ok {
				continue
			}
			err := a.admin.CreateTopic(s.Name, &sarama.TopicDetail{NumPartitions: s.Partitions, ReplicationFactor: s.ReplicationFactor}, false)
			if err != nil && !errors.Is(err, sarama.ErrTopicAlreadyExists) {
				return fmt.Errorf("creating topic %s with %d partitions: %w", s.Name, s.Partitions, err)
			}
		}
		return nil
	})
}

// CheckTopics verifies the broker answers and every named topic exists.
func (a *Admin) CheckTopics(ctx context.Context, names []string) error {
	return a.withContext(ctx, func() error {
		existing, err := a.admin.ListTopics()
		if err != nil {
			return fmt.Errorf("listing topics: %w", err)
		}
		var missing []string
		for _, n := range names {
			if _, ok := existing[n]; !ok {
				missing = append(missing, n)
			}
		}
		if len(missing) > 0 {
			slices.Sort(missing)
			return fmt.Errorf("topics missing: %v", missing)
		}
		return nil
	})
}

// withContext runs a Sarama admin call, which takes no context, and stops waiting for it
// when ctx ends.
func (a *Admin) withContext(ctx context.Context, call func() error) error {
	done := make(chan error, 1)
	go func() { done <- call() }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return fmt.Errorf("waiting for Kafka: %w", ctx.Err())
	}
}

func (a *Admin) Close() error { return a.admin.Close() }
