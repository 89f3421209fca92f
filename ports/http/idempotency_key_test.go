package http

import (
	"net/http"
	"strings"
	"testing"
)

// TestIdempotencyKeyPresence checks that a key that is present is used or refused, never
// ignored: an empty or blank one would otherwise give every retry a new order.
func TestIdempotencyKeyPresence(t *testing.T) {
	tests := []struct {
		name   string
		header http.Header // nil: no Idempotency-Key
		status int
	}{
		{"absent", nil, http.StatusAccepted},
		{"a key", http.Header{"Idempotency-Key": {"k-1"}}, http.StatusAccepted},
		{"a key with inner spaces", http.Header{"Idempotency-Key": {"my key"}}, http.StatusAccepted},
		{"empty", http.Header{"Idempotency-Key": {""}}, http.StatusBadRequest},
		{"blank", http.Header{"Idempotency-Key": {"   "}}, http.StatusBadRequest},
		{"a tab", http.Header{"Idempotency-Key": {"\t"}}, http.StatusBadRequest},
		{"two keys", http.Header{"Idempotency-Key": {"k-1", "k-2"}}, http.StatusBadRequest},
		{"the same key twice", http.Header{"Idempotency-Key": {"k-1", "k-1"}}, http.StatusBadRequest},
		{"256 bytes", http.Header{"Idempotency-Key": {strings.Repeat("k", 256)}}, http.StatusBadRequest},
	}
	// kin-openapi reads one header value, trimmed; an empty one it takes as absent.
	specAllows := map[string]bool{"empty": true, "blank": true, "a tab": true, "two keys": true, "the same key twice": true}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			got := e.do(request{method: http.MethodPost, path: "/orders", body: []byte(validOrder), rawHeader: tc.header,
				validRequest: tc.status == http.StatusAccepted, invalidRequest: tc.status != http.StatusAccepted && !specAllows[tc.name]})
			if tc.status == http.StatusAccepted {
				if got.status != tc.status {
					t.Fatalf("status %d: %s", got.status, got.body)
				}
				return
			}
			p := checkProblem(t, got, tc.status, "/orders")
			if !strings.Contains(p.Detail, "Idempotency-Key") {
				t.Errorf("detail %q does not name the header", p.Detail)
			}
			if n := e.sender.attemptCount(); n != 0 {
				t.Errorf("sent %d commands", n)
			}
		})
	}
}
