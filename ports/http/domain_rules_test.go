package http

import (
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/example/orders-service/domain/order"
	"github.com/example/orders-service/domain/stock"
)

// TestBodyRulesAreTheDomains checks that a value that breaks a rule of an order is refused
// (422) in the domain's words, at its field: the port states no rule of its own, so a rule
// changed in the domain changes the API's answer with it.
func TestBodyRulesAreTheDomains(t *testing.T) {
	id := uuid.NewString()
	again := func(what, sku string) error {
		var skus order.DistinctSKUs
		_ = skus.Validate("items[0].sku", sku)
		return skus.Validate(what, sku)
	}
	tests := []struct {
		name, path, body string
		domain           error // what the domain says of the offending value
		specAllows       bool  // openapi.yaml cannot state the rule: JSON Schema has no unique-by-member
	}{
		{"customer id with a space", "/orders", `{"customer_id":"a b","items":[{"sku":"a","quantity":1}]}`, order.ValidateID("customer_id", "a b"), false},
		{"129-byte customer id", "/orders", `{"customer_id":"` + strings.Repeat("c", 129) + `","items":[{"sku":"a","quantity":1}]}`, order.ValidateID("customer_id", strings.Repeat("c", 129)), false},
		{"no items", "/orders", `{"customer_id":"c","items":[]}`, order.ValidateLineCount(0), false},
		{"too many items", "/orders", orderWithItems(order.MaxLines + 1), order.ValidateLineCount(order.MaxLines + 1), false},
		{"sku outside the alphabet", "/orders", `{"customer_id":"c","items":[{"sku":"a/b","quantity":1}]}`, order.ValidateSKU("items[0].sku", "a/b"), false},
		{"sku twice", "/orders", `{"customer_id":"c","items":[{"sku":"a","quantity":1},{"sku":"a","quantity":2}]}`, again("items[1].sku", "a"), true},
		{"quantity below the minimum", "/orders", `{"customer_id":"c","items":[{"sku":"a","quantity":0}]}`, order.ValidateQuantity("items[0].quantity", 0), false},
		{"quantity above the maximum", "/orders", `{"customer_id":"c","items":[{"sku":"a","quantity":1001}]}`, order.ValidateQuantity("items[0].quantity", 1001), false},
		{"reason too long", "/orders/" + id + "/cancel", `{"reason":"` + strings.Repeat("r", order.MaxReasonBytes+1) + `"}`, order.ValidateReason("reason", strings.Repeat("r", order.MaxReasonBytes+1)), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var v *order.Violation
			if !errors.As(tc.domain, &v) {
				t.Fatalf("the domain says %v, not a Violation", tc.domain)
			}
			want := FieldError{Field: v.Field, Detail: v.Rule}
			if v.Got != "" {
				want.Detail += ", got " + v.Got
			}
			e := newEnv(t)
			seedOrder(t, e, pendingView(id))
			got := e.do(request{method: http.MethodPost, path: tc.path, body: []byte(tc.body), invalidRequest: !tc.specAllows})
			p := checkProblem(t, got, http.StatusUnprocessableEntity, tc.path)
			if !slices.Contains(p.Errors, want) {
				t.Errorf("problem %+v does not say %+v", p.Errors, want)
			}
		})
	}
}

// TestDocumentedLimitsAreTheDomains checks that openapi.yaml, which must state the limits
// of request values for clients, states the domain's.
func TestDocumentedLimitsAreTheDomains(t *testing.T) {
	schemas := specDoc(t).Components.Schemas
	items := schemas["PlaceOrderRequest"].Value.Properties["items"].Value
	quantity := schemas["OrderItemRequest"].Value.Properties["quantity"].Value
	stockQuantity := schemas["SetStockRequest"].Value.Properties["quantity"].Value
	tests := []struct {
		what      string
		got, want any
	}{
		{"PlaceOrderRequest.items minItems", items.MinItems, uint64(1)},
		{"PlaceOrderRequest.items maxItems", deref(items.MaxItems), uint64(order.MaxLines)},
		{"OrderItemRequest.quantity minimum", deref(quantity.Min), float64(order.MinQuantity)},
		{"OrderItemRequest.quantity maximum", deref(quantity.Max), float64(order.MaxQuantity)},
		{"Identifier maxLength", deref(schemas["Identifier"].Value.MaxLength), uint64(order.MaxIDLength)},
		{"CancelOrderRequest.reason maxLength", deref(schemas["CancelOrderRequest"].Value.Properties["reason"].Value.MaxLength), uint64(order.MaxReasonBytes)},
		{"SetStockRequest.quantity minimum", deref(stockQuantity.Min), float64(0)},
		{"SetStockRequest.quantity maximum", deref(stockQuantity.Max), float64(stock.MaxLevel)},
	}
	for _, tc := range tests {
		if tc.got != tc.want {
			t.Errorf("%s is %v, the domain's is %v", tc.what, tc.got, tc.want)
		}
	}
}

func deref[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}
