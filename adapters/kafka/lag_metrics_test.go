package kafka

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// collected registers samples under their descs, for comparing them as exposition text.
type collected []prometheus.Metric

func (c collected) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{partitionLagDesc, groupLagDesc, poisonSizeDesc} {
		ch <- d
	}
}

func (c collected) Collect(ch chan<- prometheus.Metric) {
	for _, m := range c {
		ch <- m
	}
}

// Each partition's lag is a sample, each group's sum another (0 for a group on a topic
// without records, which no partition lists), and the poison topic's size sums its high
// watermarks.
func TestLagSamples(t *testing.T) {
	groups := []GroupTopic{{"g.commands", "commands"}, {"g.events", "events"}, {"g.idle", "quiet"}}
	offsets := Offsets{
		Lags: []PartitionLag{
			{Group: "g.commands", Topic: "commands", Partition: 0, Committed: 4, HighWatermark: 7, Lag: 3},
			{Group: "g.commands", Topic: "commands", Partition: 1, Committed: -1, HighWatermark: 2, Lag: 2},
			{Group: "g.events", Topic: "events", Partition: 0, Committed: 9, HighWatermark: 9, Lag: 0},
		},
		HighWatermarks: map[string]map[int32]int64{"poison": {0: 5, 1: 1}, "commands": {0: 7, 1: 2}},
	}
	samples, err := lagSamples(offsets, groups, "poison")
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(collected(samples))
	want := `
# HELP orders_kafka_consumer_group_lag Records a consumer group has still to read on its topic, all partitions together.
# TYPE orders_kafka_consumer_group_lag gauge
orders_kafka_consumer_group_lag{group="g.commands",topic="commands"} 5
orders_kafka_consumer_group_lag{group="g.events",topic="events"} 0
orders_kafka_consumer_group_lag{group="g.idle",topic="quiet"} 0
# HELP orders_kafka_consumer_lag Records a consumer group has still to read on a partition: its high watermark minus the group's committed offset.
# TYPE orders_kafka_consumer_lag gauge
orders_kafka_consumer_lag{group="g.commands",partition="0",topic="commands"} 3
orders_kafka_consumer_lag{group="g.commands",partition="1",topic="commands"} 2
orders_kafka_consumer_lag{group="g.events",partition="0",topic="events"} 0
# HELP orders_poison_topic_messages Records ever written to the poison topic: the sum of its partitions' high watermarks.
# TYPE orders_poison_topic_messages gauge
orders_poison_topic_messages{topic="poison"} 6
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want)); err != nil {
		t.Error(err)
	}
}
