package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"
)

// stockQuantity is what each SKU gets: the API's maximum, so no order is rejected for
// lack of stock in any run of sane length.
const stockQuantity = 1_000_000_000

func skuNames(n int) []string {
	skus := make([]string, n)
	for i := range skus {
		skus[i] = "loadgen-sku-" + strconv.Itoa(i+1)
	}
	return skus
}

// prepareStock records a stock count of stockQuantity for every SKU and waits until the
// service shows it, so the first orders of the run are not rejected.
func prepareStock(ctx context.Context, api *apiClient, skus []string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	sem := make(chan struct{}, 16)
	var mu sync.Mutex
	var errs []error
	var wg sync.WaitGroup
	for _, sku := range skus {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			if err := stockOne(ctx, api, sku); err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("stocking %d SKUs with %d units each: %w", len(skus), stockQuantity, err)
	}
	return nil
}

func stockOne(ctx context.Context, api *apiClient, sku string) error {
	if err := api.setStock(ctx, sku, stockQuantity); err != nil {
		return fmt.Errorf("setting stock of %s: %w", sku, err)
	}
	for {
		l, err := api.stock(ctx, sku)
		if err == nil && stocked(l) {
			return nil
		}
		select {
		case <-ctx.Done():
			if err == nil {
				err = fmt.Errorf("still %+v", l)
			}
			return fmt.Errorf("waiting for stock of %s to show %d units: %w (%w)", sku, stockQuantity, ctx.Err(), err)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// stocked tells whether the count was recorded: on_hand, or available from a service that
// does not report on_hand.
func stocked(l stockLevel) bool {
	if l.OnHand != nil {
		return *l.OnHand == stockQuantity
	}
	return l.Available == stockQuantity
}
