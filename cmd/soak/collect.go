package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// readTopics reads every message of every topic of the run, from the first offset to the
// end offsets it finds when it starts, with a client of its own (no consumer group: it
// reads partitions directly, and changes nothing the service sees).
func readTopics(ctx context.Context, w *world) ([]Record, error) {
	admin, err := newKafkaClient(w.broker.addr)
	if err != nil {
		return nil, err
	}
	defer admin.Close()
	var names []string
	for _, t := range allTopics {
		names = append(names, w.topicPrefix+t)
	}
	parts, err := partitionsOf(ctx, admin, names)
	if err != nil {
		return nil, err
	}
	ends, err := endOffsets(ctx, admin, parts)
	if err != nil {
		return nil, err
	}
	from := map[string]map[int32]kgo.Offset{}
	remaining := 0
	for topic, ps := range ends {
		for p, end := range ps {
			if end > 0 {
				if from[topic] == nil {
					from[topic] = map[int32]kgo.Offset{}
				}
				from[topic][p] = kgo.NewOffset().AtStart()
				remaining++
			}
		}
	}
	if remaining == 0 {
		return nil, nil
	}
	cl, err := newKafkaClient(w.broker.addr, kgo.ConsumePartitions(from), kgo.FetchMaxBytes(16<<20))
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	byPartition := map[string]map[int32][]Record{}
	for remaining > 0 {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			return nil, fmt.Errorf("reading the topics: %d partitions not read to their end within the bound", remaining)
		}
		for _, e := range fs.Errors() {
			return nil, fmt.Errorf("reading %s/%d: %w", e.Topic, e.Partition, e.Err)
		}
		fs.EachRecord(func(kr *kgo.Record) {
			end := ends[kr.Topic][kr.Partition]
			if kr.Offset >= end {
				return // produced after the end was taken
			}
			if byPartition[kr.Topic] == nil {
				byPartition[kr.Topic] = map[int32][]Record{}
			}
			byPartition[kr.Topic][kr.Partition] = append(byPartition[kr.Topic][kr.Partition], toRecord(kr, w.topicPrefix))
			if kr.Offset == end-1 {
				remaining--
			}
		})
	}
	var out []Record
	for _, t := range names {
		for _, p := range parts[t] {
			out = append(out, byPartition[t][p]...)
		}
	}
	return out, nil
}

// toRecord keeps what the checker reads of a Kafka record. Headers are kept whole only for
// the poison topic and injected records: elsewhere the named ones are all that is read.
func toRecord(kr *kgo.Record, prefix string) Record {
	r := Record{
		Topic:     strings.TrimPrefix(kr.Topic, prefix),
		Partition: kr.Partition,
		Offset:    kr.Offset,
		Key:       string(kr.Key),
		Timestamp: kr.Timestamp,
	}
	headers := map[string]string{}
	for _, h := range kr.Headers {
		headers[h.Key] = string(h.Value)
	}
	r.Type, r.UUID = headers[headerType], headers[headerUUID]
	r.CorrelationID, r.CausationID = headers[headerCorrelation], headers[headerCausation]
	if r.Topic == topicPoison || headers[headerInjected] != "" {
		r.Headers = headers
	}
	if err := json.Unmarshal(kr.Value, &r.Body); err != nil {
		r.BodyError = truncate(err.Error(), 200)
	}
	return r
}

// readState reads the read model's view of every order and every SKU's level from every
// instance, once the flow settled.
func readState(ctx context.Context, a *api, w *world, orderIDs, skus []string) (map[string]View, []StockRead) {
	views := make(map[string]View, len(orderIDs))
	var mu sync.Mutex
	var wg sync.WaitGroup
	type job struct {
		id       string
		instance int
	}
	work := make(chan job)
	for range 8 {
		wg.Go(func() {
			for j := range work {
				v := a.getOrder(ctx, j.instance, j.id)
				mu.Lock()
				views[j.id] = v
				mu.Unlock()
			}
		})
	}
	for i, id := range orderIDs {
		// Spread over the instances: in PostgreSQL mode they share the read model, so each
		// must show the same; in memory mode there is one.
		work <- job{id, i % len(w.instances)}
	}
	close(work)
	wg.Wait()
	var stock []StockRead
	for _, in := range w.instances {
		for _, sku := range skus {
			stock = append(stock, a.getStock(ctx, in.n, sku))
		}
	}
	return views, stock
}

// orderIDsOf lists every order the history knows: answered to a placement, or keyed on
// orders.events.
func orderIDsOf(reqs []Request, recs []Record) []string {
	ids := map[string]bool{}
	for _, r := range reqs {
		if r.OrderID != "" {
			ids[r.OrderID] = true
		}
	}
	for _, r := range recs {
		if r.Topic == topicOrderEvents && statusOf[r.Type] != "" && r.Headers[headerInjected] == "" {
			ids[r.Key] = true
		}
	}
	return sortedKeys(ids)
}
