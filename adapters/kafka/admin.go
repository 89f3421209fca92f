package kafka

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/IBM/sarama"
)

// Admin provisions topics and checks the cluster. Its Sarama admin client is dropped after
// any failed call and connected afresh by the next one: Sarama keeps a broken broker
// connection until its next metadata refresh (10 minutes by default), so after a broker
// restart a kept client would fail every readiness check for that long.
type Admin struct {
	brokers []string
	cfg     *sarama.Config

	mu     sync.Mutex
	client sarama.ClusterAdmin // nil after a failure, until the next call connects
}

// NewAdmin connects an admin client.
func NewAdmin(brokers []string, s Settings) (*Admin, error) {
	a := &Admin{brokers: brokers, cfg: saramaConfig(s)}
	if _, err := a.connected(); err != nil {
		return nil, err
	}
	return a, nil
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
	return a.call(ctx, func(admin sarama.ClusterAdmin) error {
		existing, err := admin.ListTopics()
		if err != nil {
			return fmt.Errorf("listing topics: %w", err)
		}
		for _, s := range specs {
			if _, ok := existing[s.Name]; ok {
				continue
			}
			err := admin.CreateTopic(s.Name, &sarama.TopicDetail{NumPartitions: s.Partitions, ReplicationFactor: s.ReplicationFactor}, false)
			if err != nil && !errors.Is(err, sarama.ErrTopicAlreadyExists) {
				return fmt.Errorf("creating topic %s with %d partitions: %w", s.Name, s.Partitions, err)
			}
		}
		return nil
	})
}

// CheckTopics verifies the broker answers and every named topic exists.
func (a *Admin) CheckTopics(ctx context.Context, names []string) error {
	return a.call(ctx, func(admin sarama.ClusterAdmin) error {
		existing, err := admin.ListTopics()
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

// call runs fn on a connected client, which takes no context, and stops waiting for it
// when ctx ends. A failure drops the client, even one that arrives after ctx ended.
func (a *Admin) call(ctx context.Context, fn func(sarama.ClusterAdmin) error) error {
	done := make(chan error, 1)
	go func() {
		client, err := a.connected()
		if err != nil {
			done <- err
			return
		}
		err = fn(client)
		if err != nil {
			a.drop(client)
		}
		done <- err
	}()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return fmt.Errorf("waiting for Kafka: %w", ctx.Err())
	}
}

// connected returns the client, connecting one when there is none.
func (a *Admin) connected() (sarama.ClusterAdmin, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.client != nil {
		return a.client, nil
	}
	base, err := sarama.NewClient(a.brokers, a.cfg)
	if err != nil {
		return nil, fmt.Errorf("connecting to Kafka at %v: %w", a.brokers, err)
	}
	admin, err := sarama.NewClusterAdminFromClient(base)
	if err != nil {
		_ = base.Close()
		return nil, fmt.Errorf("connecting to Kafka at %v: %w", a.brokers, err)
	}
	// The client under the admin client goes along: offsets are read through it (lag.go).
	a.client = adminClient{ClusterAdmin: admin, base: base}
	return a.client, nil
}

// drop forgets client, unless another call replaced it already, and closes it.
func (a *Admin) drop(client sarama.ClusterAdmin) {
	a.mu.Lock()
	if a.client == client {
		a.client = nil
	}
	a.mu.Unlock()
	_ = client.Close()
}

// Close closes the client, if one is connected.
func (a *Admin) Close() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.client == nil {
		return nil
	}
	err := a.client.Close()
	a.client = nil
	return err
}
