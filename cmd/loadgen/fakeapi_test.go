package main

import (
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
)

// fakeAPI is just enough of the service's HTTP API for the tool: stock shows up on the
// second read after a PUT, an order is answered 202 and reads pending (after a 404) until
// it has been polled pollsToConfirm times, then confirmed.
type fakeAPI struct {
	pollsToConfirm int
	// placeDelay, when set, is how long the server takes to answer the n-th POST /orders
	// (from 0): a slow server, not a synchronisation.
	placeDelay func(n int64) time.Duration

	posts atomic.Int64
	gets  atomic.Int64

	open, maxOpen atomic.Int64 // orders placed and not yet answered confirmed

	mu         sync.Mutex
	stock      map[string]int
	stockReads map[string]int
	polls      map[string]int
}

func newFakeAPI(pollsToConfirm int) *fakeAPI {
	return &fakeAPI{pollsToConfirm: pollsToConfirm, stock: map[string]int{}, stockReads: map[string]int{}, polls: map[string]int{}}
}

func (f *fakeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.Method == http.MethodPut && strings.HasPrefix(r.URL.Path, "/stock/"):
		var body struct{ Quantity int }
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		f.mu.Lock()
		f.stock[strings.TrimPrefix(r.URL.Path, "/stock/")] = body.Quantity
		f.mu.Unlock()
		writeJSONAnswer(w, http.StatusAccepted, map[string]string{"sku": "x"})
	case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/stock/"):
		sku := strings.TrimPrefix(r.URL.Path, "/stock/")
		f.mu.Lock()
		f.stockReads[sku]++
		onHand := 0
		if f.stockReads[sku] > 1 {
			onHand = f.stock[sku]
		}
		f.mu.Unlock()
		writeJSONAnswer(w, http.StatusOK, map[string]any{"sku": sku, "available": onHand, "reserved": 0, "on_hand": onHand})
	case r.Method == http.MethodPost && r.URL.Path == "/orders":
		n := f.posts.Add(1) - 1
		if f.placeDelay != nil {
			time.Sleep(f.placeDelay(n))
		}
		id := uuid.NewString()
		for open := f.open.Add(1); ; {
			old := f.maxOpen.Load()
			if open <= old || f.maxOpen.CompareAndSwap(old, open) {
				break
			}
		}
		f.mu.Lock()
		f.polls[id] = 0
		f.mu.Unlock()
		writeJSONAnswer(w, http.StatusAccepted, map[string]string{"order_id": id, "correlation_id": r.Header.Get("X-Correlation-Id")})
	case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/orders/"):
		f.gets.Add(1)
		id := strings.TrimPrefix(r.URL.Path, "/orders/")
		f.mu.Lock()
		n, ok := f.polls[id]
		f.polls[id] = n + 1
		f.mu.Unlock()
		switch {
		case !ok:
			http.Error(w, "unknown order", http.StatusBadRequest)
		case n == 0:
			http.Error(w, "not yet", http.StatusNotFound)
		case n < f.pollsToConfirm:
			writeJSONAnswer(w, http.StatusOK, map[string]string{"id": id, "status": "pending"})
		default:
			if n == f.pollsToConfirm {
				f.open.Add(-1)
			}
			writeJSONAnswer(w, http.StatusOK, map[string]string{"id": id, "status": statusConfirmed})
		}
	default:
		http.NotFound(w, r)
	}
}

func writeJSONAnswer(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}
