package messaging

import (
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/prometheus/client_golang/prometheus"
)

// DecoratePublisher times every publish through pub, by topic and success
// (orders_kafka_publish_duration_seconds).
func (m *Metrics) DecoratePublisher(pub message.Publisher) message.Publisher {
	return &timedPublisher{Publisher: pub, durations: m.publishes, byTopic: map[string]*[2]prometheus.Observer{}}
}

// timedPublisher looks each topic's two series up in a map of its own, made on the
// topic's first publish: the vector would hash the label values on every publish.
type timedPublisher struct {
	message.Publisher
	durations *prometheus.HistogramVec

	mu      sync.RWMutex
	byTopic map[string]*[2]prometheus.Observer // failed, succeeded
}

func (p *timedPublisher) Publish(topic string, msgs ...*message.Message) error {
	start := time.Now()
	err := p.Publisher.Publish(topic, msgs...)
	succeeded := 0
	if err == nil {
		succeeded = 1
	}
	p.observers(topic)[succeeded].Observe(time.Since(start).Seconds())
	return err
}

// observers are the topic's series. Topics are the routing table's and the poison topic,
// all named by the service, so the map stays small.
func (p *timedPublisher) observers(topic string) *[2]prometheus.Observer {
	p.mu.RLock()
	o := p.byTopic[topic]
	p.mu.RUnlock()
	if o != nil {
		return o
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if o = p.byTopic[topic]; o == nil {
		o = &[2]prometheus.Observer{p.durations.WithLabelValues(topic, "false"), p.durations.WithLabelValues(topic, "true")}
		p.byTopic[topic] = o
	}
	return o
}
