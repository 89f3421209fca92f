package main

import (
	"strconv"
	"strings"
)

// poisonOrigin is the original a poison copy names: its topic (without the run's prefix),
// partition and offset.
func (x *index) poisonOrigin(r *Record) string {
	topic := strings.TrimPrefix(r.Headers[headerPoisonTopic], x.h.TopicPrefix)
	p, _ := strconv.ParseInt(r.Headers[headerPoisonPartition], 10, 32)
	o, _ := strconv.ParseInt(r.Headers[headerPoisonOffset], 10, 64)
	return where(topic, int32(p), o)
}

// checkPoisonOnlyInjected: the poison topic holds copies of the tool's bad messages and
// nothing else. A message of the real flow there was given up on (retries exhausted during
// a fault, a handler failing for good): the flow behind it lost a step. A copy names its
// original by topic, partition and offset, and keeps its headers (the tool's soak_poison
// among them).
func checkPoisonOnlyInjected(x *index, n int) Invariant {
	c := newCheck("poison-only-injected", "the only poisoned messages are the injected bad ones", n)
	for i := range x.h.Records {
		r := &x.h.Records[i]
		if r.Topic != topicPoison {
			continue
		}
		c.inv.Checked++
		if _, ok := x.injectedAt[x.poisonOrigin(r)]; ok || r.Headers[headerInjected] != "" {
			continue
		}
		c.fail("%s is a copy of %s %s (key %s, correlation %s), poisoned by %s: %s",
			where(r.Topic, r.Partition, r.Offset), short(r.Type), x.poisonOrigin(r), r.Key, r.CorrelationID,
			r.Headers[headerPoisonHandler], truncate(r.Headers[headerPoisonReason], 300))
	}
	return c.done()
}

// checkInjectedPoisoned: each bad message the tool produced was poisoned (moved to the
// poison topic with its reason), rather than blocking its partition or vanishing.
func checkInjectedPoisoned(x *index, n int) Invariant {
	c := newCheck("injected-poisoned", "every injected bad message reached the poison topic", n)
	copies := map[string]int{}
	for i := range x.h.Records {
		r := &x.h.Records[i]
		if r.Topic == topicPoison {
			copies[x.poisonOrigin(r)]++
		}
	}
	for _, in := range x.h.Injected {
		c.inv.Checked++
		if copies[where(in.Topic, in.Partition, in.Offset)] == 0 {
			c.fail("injected %s (%s) at %s never reached the poison topic", in.ID, in.What, where(in.Topic, in.Partition, in.Offset))
		}
	}
	return c.done()
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
