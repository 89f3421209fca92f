package http

import (
	"net/http"
	"strings"
	"testing"

	"github.com/example/orders-service/app/command"
	"github.com/example/orders-service/domain/order"
)

// TestSKUInPath checks that a SKU in the path follows the rule of a SKU in a body, decoded
// exactly once: one SKU has one spelling, and bytes that are not UTF-8 (which a JSON body
// cannot carry either) are refused instead of becoming U+FFFD.
func TestSKUInPath(t *testing.T) {
	tests := []struct {
		name string
		path string // after /stock/
		want string // the SKU it names; "" means 400
	}{
		{"lower case", "sku-1", "sku-1"},
		{"upper case", "SKU-1", "SKU-1"},
		{"whole alphabet", "Az09._-", "Az09._-"},
		{"128 bytes", strings.Repeat("s", 128), strings.Repeat("s", 128)},
		{"percent-encoded letter", "A%42", "AB"},
		{"all percent-encoded", "%73%6B%75", "sku"},
		{"invalid UTF-8 FF", "%FF", ""},
		{"invalid UTF-8 FE", "%FE", ""},
		{"truncated UTF-8", "a%EF%BF", ""},
		{"U+FFFD", "%EF%BF%BD", ""},
		{"U+FFFD lower-case escape", "%ef%bf%bd", ""},
		{"non-ASCII letter", "caf%C3%A9", ""},
		{"encoded slash", "a%2Fb", ""},
		{"double-encoded letter", "%2541", ""},
		{"colon", "a:b", ""},
		{"leading dot", ".a", ""},
		{"NUL", "a%00", ""},
		{"129 bytes", strings.Repeat("s", 129), ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			path := "/stock/" + tc.path
			// kin-openapi routes on the decoded path, where %2F is a separator: no route.
			noRoute := strings.Contains(tc.path, "%2F")
			put := e.do(request{method: http.MethodPut, path: path, body: []byte(`{"quantity":1}`), validRequest: tc.want != "", invalidRequest: tc.want == "", noRoute: noRoute})
			get := e.do(request{method: http.MethodGet, path: path, validRequest: tc.want != "", invalidRequest: tc.want == "", noRoute: noRoute})
			if tc.want == "" {
				p := checkProblem(t, put, http.StatusBadRequest, "")
				checkProblem(t, get, http.StatusBadRequest, "")
				if !strings.Contains(p.Detail, "invalid SKU in path") {
					t.Errorf("detail %q", p.Detail)
				}
				if n := e.sender.attemptCount(); n != 0 {
					t.Errorf("sent %d commands for an invalid SKU", n)
				}
				return
			}
			if put.status != http.StatusAccepted || get.status != http.StatusOK {
				t.Fatalf("PUT %d %s, GET %d %s", put.status, put.body, get.status, get.body)
			}
			var acc acceptedStock
			put.decode(t, &acc)
			var level stockResponse
			get.decode(t, &level)
			if acc.SKU != tc.want || level.SKU != tc.want || put.header.Get("Location") != "/stock/"+tc.want {
				t.Errorf("PUT names %q (Location %q), GET %q; want %q", acc.SKU, put.header.Get("Location"), level.SKU, tc.want)
			}
			if sent := e.sender.commands(); len(sent) != 1 || sent[0].cmd != (command.SetStockLevel{SKU: tc.want, Quantity: 1}) {
				t.Errorf("sent %+v", sent)
			}
		})
	}
}

// TestSKUInBody checks the same rule in an order's items: outside the alphabet is a rule
// broken (422); bytes that are not UTF-8 make the body no JSON (400).
func TestSKUInBody(t *testing.T) {
	tests := []struct {
		name   string
		sku    string // raw JSON string contents
		status int
	}{
		{"lower case", "sku-1", http.StatusAccepted},
		{"upper case", "SKU-1", http.StatusAccepted},
		{"U+FFFD", `\ufffd`, http.StatusUnprocessableEntity},
		{"non-ASCII letter", "café", http.StatusUnprocessableEntity},
		{"slash", "a/b", http.StatusUnprocessableEntity},
		{"percent", "%41", http.StatusUnprocessableEntity},
		{"leading dot", "..", http.StatusUnprocessableEntity},
		{"invalid UTF-8", "a\xff", http.StatusBadRequest},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			body := `{"customer_id":"c","items":[{"sku":"` + tc.sku + `","quantity":1}]}`
			got := e.do(request{method: http.MethodPost, path: "/orders", body: []byte(body),
				validRequest: tc.status == http.StatusAccepted, invalidRequest: tc.status != http.StatusAccepted})
			if tc.status == http.StatusAccepted {
				if got.status != tc.status {
					t.Fatalf("status %d: %s", got.status, got.body)
				}
				return
			}
			p := checkProblem(t, got, tc.status, "/orders")
			if tc.status == http.StatusUnprocessableEntity && !hasField(p, "items[0].sku") {
				t.Errorf("problem does not name items[0].sku: %+v", p)
			}
		})
	}
}

// TestSKURuleIsTheDomains checks that openapi.yaml states the domain's SKU rule, once, and
// uses it wherever a SKU is taken or given.
func TestSKURuleIsTheDomains(t *testing.T) {
	specRouter(t)
	doc := specDoc(t)
	sku := doc.Components.Schemas["SKU"].Value
	if sku == nil || sku.Pattern != order.SKUPattern || sku.MaxLength == nil || *sku.MaxLength != order.MaxIDLength || sku.MinLength != 1 {
		t.Fatalf("schema SKU %+v, want pattern %s and length 1..%d", sku, order.SKUPattern, order.MaxIDLength)
	}
	refs := map[string]string{
		"path parameter sku":     doc.Components.Parameters["SKU"].Value.Schema.Ref,
		"OrderItemRequest.sku":   doc.Components.Schemas["OrderItemRequest"].Value.Properties["sku"].Ref,
		"StockAccepted.sku":      doc.Components.Schemas["StockAccepted"].Value.Properties["sku"].Ref,
		"StockLevel.sku":         doc.Components.Schemas["StockLevel"].Value.Properties["sku"].Ref,
		"PUT /stock/{sku} param": doc.Paths.Find("/stock/{sku}").Put.Parameters[0].Ref,
	}
	for what, ref := range refs {
		if ref != "#/components/schemas/SKU" && ref != "#/components/parameters/SKU" {
			t.Errorf("%s refers to %q, not the SKU schema", what, ref)
		}
	}
}
