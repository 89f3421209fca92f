package kafka

import (
	"errors"
	"fmt"
	"hash/maphash"
	"sync"

	"github.com/IBM/sarama"
	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/example/orders-service/app/bus"
)

// publisherPool spreads sends over several synchronous producers, each with its own
// connection. The idempotent producer allows one request in flight per connection, so a
// single producer serialises every handler's and every HTTP request's send behind the
// previous round trip. A message always goes through the producer its partition key hashes
// to, so sends of one key keep their order as they would with one producer.
//
// It also makes Close safe while sends are in flight: watermill-kafka's publisher reads and
// writes its closed flag without synchronisation, and at shutdown a relay or handler may
// still be sending. Close waits for those sends; sends after it fail.
type publisherPool struct {
	producers []message.Publisher
	key       PartitionKeyFunc
	seed      maphash.Seed

	mu     sync.RWMutex // Publish holds it shared, Close exclusively
	closed bool
}

var errPublisherClosed = errors.New("kafka publisher is closed")

func (p *publisherPool) Publish(topic string, msgs ...*message.Message) error {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.closed {
		return errPublisherClosed
	}
	for _, msg := range msgs {
		i := 0
		if len(p.producers) > 1 {
			i = int(maphash.String(p.seed, p.key(msg)) % uint64(len(p.producers)))
		}
		if err := p.producers[i].Publish(topic, msg); err != nil {
			return aboutTheMessage(err)
		}
	}
	return nil
}

// aboutTheMessage marks a produce error that the message itself causes (too large, refused
// as invalid) as permanent: sending it again can never succeed. Any other failure is the
// broker's, and worth waiting out.
func aboutTheMessage(err error) error {
	var cfg sarama.ConfigurationError
	if errors.Is(err, sarama.ErrMessageSizeTooLarge) || errors.Is(err, sarama.ErrInvalidMessage) || errors.As(err, &cfg) {
		return bus.Permanent(err)
	}
	return err
}

func (p *publisherPool) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil
	}
	p.closed = true
	var errs []error
	for i, pr := range p.producers {
		if err := pr.Close(); err != nil {
			errs = append(errs, fmt.Errorf("closing producer %d: %w", i, err))
		}
	}
	return errors.Join(errs...)
}
