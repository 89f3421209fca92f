package main

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// settleQuiet is how long the flow must look finished before it is taken as settled: a
// group commits its offsets every second (README: Configuration), and an outbox relay
// polls its table, so a shorter quiet could catch a step between two messages.
const settleQuiet = 3 * time.Second

// settle waits, within bound, until the flow is done with everything sent: every consumer
// group has committed up to the end of its topic, no topic grows, and every instance is
// ready (in PostgreSQL mode that includes no outbox relay stalled), all of it for
// settleQuiet in a row. It returns whether it got there, and if not, what was still
// moving.
func settle(ctx context.Context, w *world, bound time.Duration) (bool, string) {
	cl, err := newKafkaClient(w.broker.addr)
	if err != nil {
		return false, err.Error()
	}
	defer cl.Close()
	deadline := time.Now().Add(bound)
	var prev map[string]map[int32]int64
	var quietSince time.Time
	last := "not measured"
	for {
		ends, lag, err := measure(ctx, cl, w)
		switch {
		case err != nil:
			last, quietSince = err.Error(), time.Time{}
		case lag != "":
			last, quietSince = lag, time.Time{}
		case !sameOffsets(prev, ends):
			last, quietSince = "topics still growing", time.Time{}
		default:
			if quietSince.IsZero() {
				quietSince = time.Now()
			}
			if time.Since(quietSince) >= settleQuiet {
				if notReady := unready(ctx, w); notReady != "" {
					last, quietSince = notReady, time.Time{}
				} else {
					return true, ""
				}
			}
		}
		prev = ends
		if time.Now().After(deadline) {
			return false, fmt.Sprintf("still moving after %s: %s", bound, last)
		}
		select {
		case <-ctx.Done():
			return false, ctx.Err().Error()
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// measure reads the end offsets of the flow's topics and the lag of every group; lag is
// "" when no group is behind.
func measure(ctx context.Context, cl *kgo.Client, w *world) (map[string]map[int32]int64, string, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	var names []string
	for _, t := range allTopics {
		names = append(names, w.topicPrefix+t)
	}
	parts, err := partitionsOf(ctx, cl, names)
	if err != nil {
		return nil, "", err
	}
	ends, err := endOffsets(ctx, cl, parts)
	if err != nil {
		return nil, "", err
	}
	var behind []string
	for _, g := range consumerGroups {
		topic := w.topicPrefix + g.topic
		committed, err := committedOffsets(ctx, cl, w.groupPrefix+g.name, topic, parts[topic])
		if err != nil {
			return nil, "", err
		}
		var lag int64
		for p, end := range ends[topic] {
			lag += end - max(0, committed[p])
		}
		if lag > 0 {
			behind = append(behind, fmt.Sprintf("%s %d behind (group %s)", g.name, lag, groupState(ctx, cl, w.groupPrefix+g.name)))
		}
	}
	return ends, strings.Join(behind, ", "), nil
}

func sameOffsets(a, b map[string]map[int32]int64) bool {
	return a != nil && maps.EqualFunc(a, b, func(x, y map[int32]int64) bool { return maps.Equal(x, y) })
}

// unready names the instances whose /readyz does not answer 200.
func unready(ctx context.Context, w *world) string {
	client := &http.Client{Timeout: 2 * time.Second}
	var not []string
	for _, in := range w.instances {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, in.url+"/readyz", nil)
		if err != nil {
			return err.Error()
		}
		resp, err := client.Do(req)
		if err != nil {
			not = append(not, fmt.Sprintf("instance %d: %s", in.n, errorKind(err)))
			continue
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			not = append(not, fmt.Sprintf("instance %d: /readyz %s", in.n, resp.Status))
		}
	}
	return strings.Join(not, ", ")
}
