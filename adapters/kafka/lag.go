package kafka

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/IBM/sarama"
)

// adminClient is the admin client together with the client it runs on: Sarama's admin
// client lists a group's committed offsets but not a partition's high watermark, which
// only a client's offset request reads. Admin connects, drops and closes the two as one.
type adminClient struct {
	sarama.ClusterAdmin
	base sarama.Client
}

// GroupTopic is a consumer group, by its Kafka group ID, and the topic it reads.
type GroupTopic struct {
	Group string
	Topic string
}

// PartitionLag is how far one consumer group is behind on one partition.
type PartitionLag struct {
	Group     string
	Topic     string
	Partition int32
	// Committed is the offset of the next record the group will read; -1 while the group
	// has committed nothing on the partition.
	Committed int64
	// HighWatermark is the offset the next record written to the partition will get.
	HighWatermark int64
	// Lag is the records the group has still to read: up to the high watermark from the
	// committed offset or, with none, from the partition's oldest record, where a new group
	// starts (saramaConfig).
	Lag int64
}

// Offsets is what ReadOffsets found.
type Offsets struct {
	Lags []PartitionLag
	// HighWatermarks holds, for each topic asked about, its partitions' high watermarks.
	HighWatermarks map[string]map[int32]int64
}

// ReadOffsets reads the committed offsets of every group on its topic, and the high
// watermarks of those topics and of the other topics named. A consumer group commits about
// once a second (saramaConfig), so a group that has read everything may show a lag of the
// last second's records until its next commit.
func (a *Admin) ReadOffsets(ctx context.Context, groups []GroupTopic, topics []string) (Offsets, error) {
	var out Offsets
	err := a.call(ctx, func(admin sarama.ClusterAdmin) error {
		ac, ok := admin.(adminClient)
		if !ok {
			return fmt.Errorf("reading offsets: admin client of type %T has no client to read them through", admin)
		}
		var err error
		out, err = readOffsets(ac, groups, topics)
		return err
	})
	return out, err
}

func readOffsets(ac adminClient, groups []GroupTopic, topics []string) (Offsets, error) {
	all := slices.Clone(topics)
	for _, g := range groups {
		all = append(all, g.Topic)
	}
	slices.Sort(all)
	all = slices.Compact(all)
	// Fresh metadata: partitions added and leaders moved since the last read.
	if err := ac.base.RefreshMetadata(all...); err != nil {
		return Offsets{}, fmt.Errorf("reading metadata of %v: %w", all, err)
	}
	partitions := map[string][]int32{}
	for _, t := range all {
		ps, err := ac.base.Partitions(t)
		if err != nil {
			return Offsets{}, fmt.Errorf("listing the partitions of %s: %w", t, err)
		}
		partitions[t] = ps
	}
	high, err := listOffsets(ac.base, partitions, sarama.OffsetNewest)
	if err != nil {
		return Offsets{}, err
	}
	out := Offsets{HighWatermarks: high}
	uncommitted := map[string][]int32{} // partitions with records that a group never committed on
	for _, g := range groups {
		committed, err := committedOffsets(ac, g, partitions[g.Topic])
		if err != nil {
			return Offsets{}, err
		}
		for _, p := range partitions[g.Topic] {
			l := PartitionLag{Group: g.Group, Topic: g.Topic, Partition: p, Committed: committed[p], HighWatermark: high[g.Topic][p]}
			if l.Committed < 0 && l.HighWatermark > 0 && !slices.Contains(uncommitted[g.Topic], p) {
				uncommitted[g.Topic] = append(uncommitted[g.Topic], p)
			}
			out.Lags = append(out.Lags, l)
		}
	}
	var oldest map[string]map[int32]int64
	if len(uncommitted) > 0 {
		if oldest, err = listOffsets(ac.base, uncommitted, sarama.OffsetOldest); err != nil {
			return Offsets{}, err
		}
	}
	for i, l := range out.Lags {
		from := l.Committed
		if from < 0 {
			from = oldest[l.Topic][l.Partition] // zero for an empty partition
		}
		out.Lags[i].Lag = max(0, l.HighWatermark-from)
	}
	return out, nil
}

// committedOffsets lists a group's committed offsets on partitions of its topic; -1 where
// it committed none.
func committedOffsets(admin sarama.ClusterAdmin, g GroupTopic, partitions []int32) (map[int32]int64, error) {
	resp, err := admin.ListConsumerGroupOffsets(g.Group, map[string][]int32{g.Topic: partitions})
	if err != nil {
		return nil, fmt.Errorf("listing the offsets of consumer group %s: %w", g.Group, err)
	}
	if !errors.Is(resp.Err, sarama.ErrNoError) {
		return nil, fmt.Errorf("listing the offsets of consumer group %s: %w", g.Group, resp.Err)
	}
	out := make(map[int32]int64, len(partitions))
	for _, p := range partitions {
		out[p] = -1
		block := resp.GetBlock(g.Topic, p)
		if block == nil {
			continue
		}
		if !errors.Is(block.Err, sarama.ErrNoError) {
			return nil, fmt.Errorf("listing the offset of consumer group %s on %s/%d: %w", g.Group, g.Topic, p, block.Err)
		}
		out[p] = block.Offset
	}
	return out, nil
}

// listOffsets asks each partition's leader for the partition's newest or oldest offset,
// with one request per broker, as Sarama's Client.GetOffset does for one partition.
func listOffsets(client sarama.Client, partitions map[string][]int32, at int64) (map[string]map[int32]int64, error) {
	requests := map[*sarama.Broker]*sarama.OffsetRequest{}
	for topic, ps := range partitions {
		for _, p := range ps {
			leader, err := client.Leader(topic, p)
			if err != nil {
				return nil, fmt.Errorf("finding the leader of %s/%d: %w", topic, p, err)
			}
			req, ok := requests[leader]
			if !ok {
				req = &sarama.OffsetRequest{Version: offsetRequestVersion(client.Config().Version)}
				requests[leader] = req
			}
			req.AddBlock(topic, p, at, 1)
		}
	}
	out := make(map[string]map[int32]int64, len(partitions))
	for broker, req := range requests {
		resp, err := broker.GetAvailableOffsets(req)
		if err != nil {
			return nil, fmt.Errorf("listing offsets at broker %s: %w", broker.Addr(), err)
		}
		for topic, ps := range partitions {
			for _, p := range ps {
				block := resp.GetBlock(topic, p)
				if block == nil {
					continue // asked of another broker
				}
				if !errors.Is(block.Err, sarama.ErrNoError) {
					return nil, fmt.Errorf("listing the offset of %s/%d: %w", topic, p, block.Err)
				}
				if len(block.Offsets) != 1 {
					return nil, fmt.Errorf("listing the offset of %s/%d: %d offsets in the answer", topic, p, len(block.Offsets))
				}
				if out[topic] == nil {
					out[topic] = map[int32]int64{}
				}
				out[topic][p] = block.Offsets[0]
			}
		}
	}
	for topic, ps := range partitions {
		for _, p := range ps {
			if _, ok := out[topic][p]; !ok {
				return nil, fmt.Errorf("listing the offset of %s/%d: %w", topic, p, sarama.ErrIncompleteResponse)
			}
		}
	}
	return out, nil
}

// offsetRequestVersion is the ListOffsets version Sarama's own Client.GetOffset sends for a
// protocol version.
func offsetRequestVersion(v sarama.KafkaVersion) int16 {
	switch {
	case v.IsAtLeast(sarama.V2_1_0_0):
		return 4
	case v.IsAtLeast(sarama.V2_0_0_0):
		return 3
	case v.IsAtLeast(sarama.V0_11_0_0):
		return 2
	case v.IsAtLeast(sarama.V0_10_1_0):
		return 1
	}
	return 0
}
