package postgres_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/example/orders-service/adapters/postgres"
)

// The backlog counts what a shard's relay has not sent: every committed message before the
// relay first ran (no mark yet), none once it relayed them, and again only what was
// committed after.
func TestOutboxBacklogCountsWhatTheRelayHasNotSent(t *testing.T) {
	rig, uow, outbox, relay := newOutboxRig(t)
	commit := func(n int, prefix string) {
		t.Helper()
		for i := range n {
			msg := message.NewMessage(watermill.NewUUID(), nil)
			if _, err := uow(handlerThatPlacesAndAnnounces(t, rig.db, outbox, fmt.Sprintf("%s-%d", prefix, i), nil))(msg); err != nil {
				t.Fatal(err)
			}
		}
	}
	backlog := func() postgres.OutboxBacklog {
		t.Helper()
		b, err := postgres.ReadOutboxBacklog(context.Background(), rig.pool, 0)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	waitBacklog := func(want int64) postgres.OutboxBacklog {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			b := backlog()
			if b.Messages == want {
				return b
			}
			if time.Now().After(deadline) {
				t.Fatalf("backlog %d, want %d", b.Messages, want)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}

	if b := backlog(); b != (postgres.OutboxBacklog{}) {
		t.Fatalf("empty outbox: backlog %+v, want none", b)
	}
	commit(3, "before-relay")
	if b := backlog(); b.Messages != 3 || b.OldestAgeSeconds < 0 || b.OldestAgeSeconds > 60 {
		t.Fatalf("3 committed before the relay ran: backlog %+v, want 3 messages, a few seconds old at most", b)
	}

	go func() { _ = relay.Run(context.Background()) }()
	t.Cleanup(func() { _ = relay.Close() })
	<-relay.Running()
	if b := waitBacklog(0); b.OldestAgeSeconds != 0 {
		t.Errorf("relayed everything: oldest unsent age %v, want 0", b.OldestAgeSeconds)
	}
	if recs := consumeAll(t, rig.broker.Addr(), 3, 5*time.Second); len(recs) != 3 {
		t.Fatalf("relayed %d messages, want 3", len(recs))
	}

	commit(2, "after-relay")
	waitBacklog(0)
	var rows int
	if err := rig.pool.QueryRow(context.Background(), `SELECT count(*) FROM watermill_outbox_0`).Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if rows != 5 {
		t.Errorf("the outbox table holds %d rows, want all 5: sent rows stay, and the backlog must not count them", rows)
	}
}
