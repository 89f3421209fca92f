package main

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// The reaper works around a defect of the embedded broker, not of the service.
//
// kfake (groups.go, reply) starts a member's session timer only when it could deliver the
// member's JoinGroup or SyncGroup answer. A process killed while its consumers were
// joining leaves members whose answer could not be delivered: they stay in the group with
// no session timer, never expire, and the group waits for them to rejoin until the
// rebalance timeout; but kfake pushes that deadline back each time a live member joins
// again (rebalance: "Always reset the timer"), and the restarted service's consumers join
// again every Net.ReadTimeout. The group stays in PreparingRebalance for good and its
// topic is never consumed again. Kafka expires such members after session.timeout.ms
// (Sarama's default, 10 s), and its join deadline is not pushed back.
//
// So the tool does what Kafka's session expiry would: a member whose process (known by its
// per-process KAFKA_CLIENT_ID) has been gone for longer than zombieAfter is removed with a
// LeaveGroup on its behalf. Live members are never touched, so this changes nothing the
// service would see on a real cluster.

// zombieAfter is the session timeout of the service's consumers (Sarama's default) plus a
// margin: a member of a dead process is removed no sooner than Kafka would expire it.
const zombieAfter = 15 * time.Second

type reaper struct {
	w  *world
	mu sync.Mutex
	// reaped lists each member removed: group, member, process.
	reaped []string
}

// run looks for members of dead processes every interval until ctx ends.
func (r *reaper) run(ctx context.Context, every time.Duration) {
	cl, err := newKafkaClient(r.w.broker.addr)
	if err != nil {
		return
	}
	defer cl.Close()
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(every):
		}
		r.reapOnce(ctx, cl)
	}
}

func (r *reaper) reapOnce(ctx context.Context, cl *kgo.Client) {
	dead := map[string]time.Time{} // client ID -> when its process ended
	for _, l := range r.w.lifetimesSnapshot() {
		if !l.End.IsZero() {
			dead[l.ClientID] = l.End
		}
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req := kmsg.NewPtrDescribeGroupsRequest()
	for _, g := range consumerGroups {
		req.Groups = append(req.Groups, r.w.groupPrefix+g.name)
	}
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		return // the broker may be restarting; next time
	}
	for _, g := range resp.Groups {
		for _, m := range g.Members {
			end, ok := dead[m.ClientID]
			if !ok || time.Since(end) < zombieAfter {
				continue
			}
			if err := leaveFor(ctx, cl, g.Group, m.MemberID); err != nil {
				continue
			}
			r.mu.Lock()
			r.reaped = append(r.reaped, fmt.Sprintf("%s: member %s of process %s (gone %s)", g.Group, m.MemberID, m.ClientID, time.Since(end).Round(time.Second)))
			r.mu.Unlock()
		}
	}
}

// leaveFor removes a member from its group, as its own LeaveGroup would.
func leaveFor(ctx context.Context, cl *kgo.Client, group, memberID string) error {
	req := kmsg.NewPtrLeaveGroupRequest()
	req.Group = group
	req.MemberID = memberID
	m := kmsg.NewLeaveGroupRequestMember()
	m.MemberID = memberID
	req.Members = append(req.Members, m)
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		return fmt.Errorf("leaving group %s for %s: %w", group, memberID, err)
	}
	if err := kerr.ErrorForCode(resp.ErrorCode); err != nil {
		return fmt.Errorf("leaving group %s for %s: %w", group, memberID, err)
	}
	for _, mr := range resp.Members {
		if err := kerr.ErrorForCode(mr.ErrorCode); err != nil {
			return fmt.Errorf("leaving group %s for %s: %w", group, memberID, err)
		}
	}
	return nil
}

func (r *reaper) removed() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.reaped...)
}
