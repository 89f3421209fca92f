package main

import (
	"context"
	"fmt"
	"time"
)

// countStock gives every ordered SKU its one count, and every counted SKU a first one, and
// waits until every instance shows the ordered SKUs' counts: no order may be placed before
// the count it is checked against (check_stock.go).
func (l *load) countStock(ctx context.Context) error {
	for _, sku := range l.ordered {
		if !l.count(ctx, opInitialCount, sku, l.cfg.Stock) {
			return fmt.Errorf("the count of %s was not accepted", sku)
		}
	}
	for _, sku := range l.counted {
		if !l.count(ctx, opCount, sku, l.cfg.Stock) {
			return fmt.Errorf("the count of %s was not accepted", sku)
		}
	}
	// Several memory instances each hold the SKUs of the partitions they consume: the count
	// of a SKU shows on one of them only.
	everywhere := l.cfg.durable() || len(l.w.instances) == 1
	return l.waitCounted(ctx, everywhere, 60*time.Second)
}

// waitCounted polls GET /stock until each ordered SKU shows its count on every instance
// (everywhere) or on one of them.
func (l *load) waitCounted(ctx context.Context, everywhere bool, bound time.Duration) error {
	deadline := time.Now().Add(bound)
	for _, sku := range l.ordered {
		for {
			shown := 0
			var last StockRead
			for _, in := range l.w.instances {
				if last = l.api.getStock(ctx, in.n, sku); last.Error == "" && last.Level.OnHand == l.cfg.Stock {
					shown++
				}
			}
			if shown == len(l.w.instances) || (!everywhere && shown > 0) {
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("the count of %s shows on %d of %d instances after %s (last: %+v %s)", sku, shown, len(l.w.instances), bound, last.Level, last.Error)
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(100 * time.Millisecond):
			}
		}
	}
	return nil
}

// recount counts the ordered SKUs again on a memory instance that restarted: its state,
// stock included, is empty after a restart (README: In-memory mode), and an operator would
// count again. Without it every later order of that process would be rejected for want of
// stock, and the run would exercise nothing else. The stock invariant is not checked
// across restarts in memory mode, so these counts do not weaken it.
func (l *load) recount(ctx context.Context) {
	for _, sku := range l.ordered {
		l.count(ctx, opRecount, sku, l.cfg.Stock)
	}
}
