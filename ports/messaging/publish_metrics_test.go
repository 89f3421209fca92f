package messaging

import (
	"errors"
	"testing"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// refusingPublisher fails every publish to one topic.
type refusingPublisher struct{ refused string }

func (p refusingPublisher) Publish(topic string, _ ...*message.Message) error {
	if topic == p.refused {
		return errors.New("broker refused")
	}
	return nil
}

func (refusingPublisher) Close() error { return nil }

// Every publish is timed under its topic, failed ones apart, and the error reaches the
// caller unchanged.
func TestPublishesAreTimedByTopicAndSuccess(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	pub := m.DecoratePublisher(refusingPublisher{refused: "poison"})
	for _, tc := range []struct {
		topic   string
		wantErr bool
	}{
		{"orders.events", false},
		{"orders.events", false},
		{"orders.commands", false},
		{"poison", true},
	} {
		if err := pub.Publish(tc.topic, message.NewMessage("id", nil)); (err != nil) != tc.wantErr {
			t.Errorf("publish to %s: %v", tc.topic, err)
		}
	}
	want := map[string]int{`topic="orders.events",success="true"`: 2, `topic="orders.commands",success="true"`: 1, `topic="poison",success="false"`: 1}
	got := map[string]int{}
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != "orders_kafka_publish_duration_seconds" {
			continue
		}
		for _, s := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range s.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if n := int(s.GetHistogram().GetSampleCount()); n > 0 {
				got[`topic="`+labels["topic"]+`",success="`+labels["success"]+`"`] = n
			}
		}
	}
	if len(got) != len(want) {
		t.Errorf("publishes timed %v, want %v", got, want)
	}
	for k, n := range want {
		if got[k] != n {
			t.Errorf("%s: %d publishes timed, want %d", k, got[k], n)
		}
	}
	if n := testutil.CollectAndCount(m.publishes); n != 6 {
		t.Errorf("%d series, want 2 per topic published to", n)
	}
}
