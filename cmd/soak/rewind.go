package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// rewindGroup moves a consumer group's committed offsets back, so that the service is
// delivered again messages it already handled.
//
// A broker (Kafka, and kfake alike: groups.go handleOffsetCommit) refuses an offset commit
// for a group with members unless it comes from a member, with the group's current
// generation; an admin commit without one gets UNKNOWN_MEMBER_ID or ILLEGAL_GENERATION.
// And a member that owns a partition would overwrite a commit with its own at its next
// commit, and never read it back before its next assignment. So the tool takes part in
// the group's protocol: it joins as one more member (the service's Sarama consumers use
// the classic "range" protocol, which franz-go speaks too), which makes the group
// rebalance; the service's members commit what they handled and give up their partitions;
// the tool is assigned some of them, and commits earlier offsets for those, with its
// generation, while nobody else consumes them. Then it leaves the group: the next
// rebalance hands those partitions back to the service, whose consumers start from the
// committed, earlier offsets and handle those messages again. It consumes nothing itself.
func rewindGroup(ctx context.Context, brokerAddr, group, topic string, rng *rand.Rand) (string, error) {
	assigned := make(chan []int32, 1)
	cl, err := newKafkaClient(brokerAddr,
		kgo.ConsumerGroup(group),
		kgo.ConsumeTopics(topic),
		kgo.Balancers(kgo.RangeBalancer()),
		kgo.DisableAutoCommit(),
		kgo.SessionTimeout(10*time.Second),
		kgo.OnPartitionsAssigned(func(_ context.Context, _ *kgo.Client, a map[string][]int32) {
			select {
			case assigned <- a[topic]:
			default:
			}
		}),
	)
	if err != nil {
		return "", err
	}
	defer cl.Close() // leaves the group: its partitions go back to the service

	ctx, cancel := context.WithTimeout(ctx, 45*time.Second)
	defer cancel()
	// The group is joined by the client's own management; polling keeps it a member in
	// good standing. The fetched records are dropped: the tool only wants the partitions.
	go func() {
		for ctx.Err() == nil {
			cl.PollFetches(ctx)
		}
	}()
	var parts []int32
	select {
	case parts = <-assigned:
	case <-ctx.Done():
		return "", fmt.Errorf("joining group %s: no assignment within the bound", group)
	}
	if len(parts) == 0 {
		return fmt.Sprintf("group %s: joined, but was assigned no partition of %s", group, topic), nil
	}
	slices.Sort(parts)
	committed, err := committedOffsets(ctx, cl, group, topic, parts)
	if err != nil {
		return "", err
	}
	to := map[int32]kgo.EpochOffset{}
	var moves []string
	for _, p := range parts {
		c := committed[p]
		if c <= 0 {
			continue
		}
		back := c // now and then all the way to the start
		if rng.IntN(100) >= 15 {
			back = min(c, int64(20+rng.IntN(281)))
		}
		to[p] = kgo.EpochOffset{Epoch: -1, Offset: c - back}
		moves = append(moves, fmt.Sprintf("%d: %d->%d", p, c, c-back))
	}
	if len(to) == 0 {
		return fmt.Sprintf("group %s: assigned %v of %s, nothing committed there yet", group, parts, topic), nil
	}
	if err := commit(ctx, cl, topic, to); err != nil {
		return "", fmt.Errorf("group %s: %w", group, err)
	}
	return fmt.Sprintf("group %s on %s, partitions %s", group, topic, strings.Join(moves, ", ")), nil
}

// commit commits offsets as the group member cl is, and reports any refusal.
func commit(ctx context.Context, cl *kgo.Client, topic string, to map[int32]kgo.EpochOffset) error {
	var errs []error
	done := make(chan struct{})
	cl.CommitOffsetsSync(ctx, map[string]map[int32]kgo.EpochOffset{topic: to},
		func(_ *kgo.Client, _ *kmsg.OffsetCommitRequest, resp *kmsg.OffsetCommitResponse, err error) {
			defer close(done)
			if err != nil {
				errs = append(errs, err)
				return
			}
			for _, t := range resp.Topics {
				for _, p := range t.Partitions {
					if err := kerr.ErrorForCode(p.ErrorCode); err != nil {
						errs = append(errs, fmt.Errorf("%s/%d: %w", t.Topic, p.Partition, err))
					}
				}
			}
		})
	<-done
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("committing earlier offsets: %w", err)
	}
	return nil
}
