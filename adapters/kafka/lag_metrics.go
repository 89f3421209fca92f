package kafka

import (
	"context"
	"fmt"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/example/orders-service/observability"
)

var (
	partitionLagDesc = prometheus.NewDesc(prometheus.BuildFQName(observability.Namespace, "kafka", "consumer_lag"),
		"Records a consumer group has still to read on a partition: its high watermark minus the group's committed offset.",
		[]string{"group", "topic", "partition"}, nil)
	groupLagDesc = prometheus.NewDesc(prometheus.BuildFQName(observability.Namespace, "kafka", "consumer_group_lag"),
		"Records a consumer group has still to read on its topic, all partitions together.",
		[]string{"group", "topic"}, nil)
	poisonSizeDesc = prometheus.NewDesc(prometheus.BuildFQName(observability.Namespace, "poison", "topic_messages"),
		"Records ever written to the poison topic: the sum of its partitions' high watermarks.",
		[]string{"topic"}, nil)
)

// LagMetrics is a collector of the consumer lag of groups, per partition and per group, and
// of the poison topic's size, read by Periodic.Run through admin.
func LagMetrics(admin *Admin, groups []GroupTopic, poisonTopic string) *observability.Periodic {
	descs := []*prometheus.Desc{partitionLagDesc, groupLagDesc, poisonSizeDesc}
	return observability.NewPeriodic("kafka", descs, func(ctx context.Context) ([]prometheus.Metric, error) {
		offsets, err := admin.ReadOffsets(ctx, groups, []string{poisonTopic})
		if err != nil {
			return nil, err
		}
		return lagSamples(offsets, groups, poisonTopic)
	})
}

func lagSamples(offsets Offsets, groups []GroupTopic, poisonTopic string) ([]prometheus.Metric, error) {
	samples := make([]prometheus.Metric, 0, len(offsets.Lags)+len(groups)+1)
	perGroup := make(map[GroupTopic]int64, len(groups))
	for _, g := range groups {
		perGroup[g] = 0 // a group on an empty topic is reported too, at 0
	}
	for _, l := range offsets.Lags {
		m, err := prometheus.NewConstMetric(partitionLagDesc, prometheus.GaugeValue, float64(l.Lag),
			l.Group, l.Topic, strconv.FormatInt(int64(l.Partition), 10))
		if err != nil {
			return nil, fmt.Errorf("consumer lag sample: %w", err)
		}
		samples = append(samples, m)
		perGroup[GroupTopic{Group: l.Group, Topic: l.Topic}] += l.Lag
	}
	for _, g := range groups {
		m, err := prometheus.NewConstMetric(groupLagDesc, prometheus.GaugeValue, float64(perGroup[g]), g.Group, g.Topic)
		if err != nil {
			return nil, fmt.Errorf("consumer group lag sample: %w", err)
		}
		samples = append(samples, m)
	}
	var size int64
	for _, hw := range offsets.HighWatermarks[poisonTopic] {
		size += hw
	}
	m, err := prometheus.NewConstMetric(poisonSizeDesc, prometheus.GaugeValue, float64(size), poisonTopic)
	if err != nil {
		return nil, fmt.Errorf("poison topic sample: %w", err)
	}
	return append(samples, m), nil
}
