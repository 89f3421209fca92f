package service_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/example/orders-service/service"
)

// TestLongPollFollowsAnOrderToItsOutcome: with Prefer: wait and If-None-Match a client
// learns an order's outcome in a few GETs, each answered when the order changed.
func TestLongPollFollowsAnOrderToItsOutcome(t *testing.T) {
	forEachMode(t, func(t *testing.T, mode map[string]string) {
		h := startService(t, mode, service.Options{})
		h.setStock("sku-wait", 5)
		a := h.placeOrder(nil, "cust-wait", item{"sku-wait", 2})

		const maxGets = 3
		var (
			v      orderView
			etag   string
			gets   int
			states []string
		)
		start := time.Now()
		for v.Status != "confirmed" && gets < maxGets+2 {
			header := map[string]string{"Prefer": "wait=10"}
			if etag != "" {
				header["If-None-Match"] = etag
			}
			code, body, got := h.doFull("GET", "/orders/"+a.OrderID, "", header)
			gets++
			if applied := got.Get("Preference-Applied"); applied != "wait=10" {
				t.Errorf("GET %d: Preference-Applied %q, want wait=10", gets, applied)
			}
			switch code {
			case http.StatusOK:
				if err := json.Unmarshal([]byte(body), &v); err != nil {
					t.Fatal(err)
				}
				if got.Get("ETag") == "" || got.Get("ETag") == etag {
					t.Fatalf("GET %d: 200 with ETag %q after %q", gets, got.Get("ETag"), etag)
				}
				etag = got.Get("ETag")
				states = append(states, v.Status+" "+etag)
			case http.StatusNotModified:
				states = append(states, "304")
			default:
				t.Fatalf("GET %d: %d %s", gets, code, body)
			}
		}
		if v.Status != "confirmed" {
			t.Fatalf("not confirmed after %d GETs: %v", gets, states)
		}
		if gets > maxGets {
			t.Errorf("%d GETs to see the order confirmed (%v); want at most %d", gets, states, maxGets)
		}
		if took := time.Since(start); took >= 5*time.Second {
			t.Errorf("took %s: the waits ended at rechecks (10 s) or ran out instead of ending at the changes (%v)", took, states)
		}
		// Nothing changes any more: the ETag the client has is current.
		code, _, got := h.doFull("GET", "/orders/"+a.OrderID, "", map[string]string{"If-None-Match": etag})
		if code != http.StatusNotModified || got.Get("ETag") != etag {
			t.Errorf("GET with the last ETag: %d, ETag %q; want 304 with %s", code, got.Get("ETag"), etag)
		}
	})
}

// TestPlaceOrderWaitAnswersWithTheOutcome: with Prefer: wait one POST places the order and
// tells how it ended: confirmed, and rejected when stock is short.
func TestPlaceOrderWaitAnswersWithTheOutcome(t *testing.T) {
	forEachMode(t, func(t *testing.T, mode map[string]string) {
		h := startService(t, mode, service.Options{})
		h.setStock("sku-post-wait", 3)
		for _, tc := range []struct {
			quantity   int
			wantStatus string
		}{{2, "confirmed"}, {2, "rejected"}} {
			start := time.Now()
			code, body, got := h.doFull("POST", "/orders", orderBody("cust-post-wait", item{"sku-post-wait", tc.quantity}), map[string]string{"Prefer": "wait=10"})
			if code != http.StatusCreated {
				t.Fatalf("POST with Prefer: wait: %d %s, want 201", code, body)
			}
			var v orderView
			if err := json.Unmarshal([]byte(body), &v); err != nil {
				t.Fatal(err)
			}
			if v.Status != tc.wantStatus || got.Get("Location") != "/orders/"+v.ID || got.Get("ETag") == "" || got.Get("Preference-Applied") != "wait=10" {
				t.Errorf("201 for %s, Location %q, ETag %q, Preference-Applied %q; want %s", v.Status, got.Get("Location"), got.Get("ETag"), got.Get("Preference-Applied"), tc.wantStatus)
			}
			if took := time.Since(start); took >= 5*time.Second {
				t.Errorf("answered after %s: the wait ended at a recheck (10 s) or ran out instead of ending at the outcome", took)
			}
		}
	})
}

func TestHTTPMaxWaitConfig(t *testing.T) {
	cfg, err := service.ConfigFromMap(map[string]string{})
	if err != nil || cfg.HTTPMaxWait != 30*time.Second {
		t.Fatalf("default HTTP_MAX_WAIT = %s, %v; want 30s", cfg.HTTPMaxWait, err)
	}
	for value, want := range map[string]time.Duration{"0s": 0, "1s": time.Second, "2m": 2 * time.Minute, "10m": 10 * time.Minute} {
		cfg, err := service.ConfigFromMap(map[string]string{"HTTP_MAX_WAIT": value})
		if err != nil || cfg.HTTPMaxWait != want {
			t.Errorf("HTTP_MAX_WAIT=%s: %s, %v; want %s", value, cfg.HTTPMaxWait, err, want)
		}
	}
	for _, value := range []string{"-1s", "1500ms", "11m", "soon", "30"} {
		_, err := service.ConfigFromMap(map[string]string{"HTTP_MAX_WAIT": value})
		if err == nil || !strings.Contains(err.Error(), "HTTP_MAX_WAIT") {
			t.Errorf("HTTP_MAX_WAIT=%s: %v; want an error naming the variable", value, err)
		}
	}
}
