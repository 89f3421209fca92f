package order_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/example/orders-service/domain/order"
)

// TestValidatorsNameTheRuleAndField checks that each validator of an order's values says
// which field breaks which rule (order.Violation), so that a port can report the rule at
// its field without stating it again, and that each bound is where the constants say.
func TestValidatorsNameTheRuleAndField(t *testing.T) {
	t.Parallel()
	// last is what DistinctSKUs says of the last of skus, one a line.
	last := func(skus ...string) error {
		var d order.DistinctSKUs
		var err error
		for i, sku := range skus {
			err = d.Validate(fmt.Sprintf("items[%d].sku", i), sku)
		}
		return err
	}
	tests := []struct {
		name string
		err  error
		want *order.Violation // nil: valid
	}{
		{"id", order.ValidateID("customer_id", "c-1"), nil},
		{"empty id", order.ValidateID("customer_id", " "), &order.Violation{Field: "customer_id", Rule: "is required"}},
		{"long id", order.ValidateID("customer_id", strings.Repeat("c", order.MaxIDLength+1)), &order.Violation{Field: "customer_id", Rule: "is longer than 128 bytes"}},
		{"id with a space", order.ValidateID("order id", "a b"), &order.Violation{Field: "order id", Rule: "contains spaces or control characters"}},
		{"id of invalid UTF-8", order.ValidateID("order id", "a\xff"), &order.Violation{Field: "order id", Rule: "is not valid UTF-8"}},
		{"sku outside the alphabet", order.ValidateSKU("sku", "a/b"), &order.Violation{Field: "sku", Rule: "must be letters, digits, '.', '_' and '-', starting with a letter or digit"}},
		{"1 line", order.ValidateLineCount(1), nil},
		{"MaxLines lines", order.ValidateLineCount(order.MaxLines), nil},
		{"no line", order.ValidateLineCount(0), &order.Violation{Field: "items", Rule: "must hold 1 to 50 items, has 0"}},
		{"a line too many", order.ValidateLineCount(order.MaxLines + 1), &order.Violation{Field: "items", Rule: "must hold 1 to 50 items, has 51"}},
		{"MinQuantity", order.ValidateQuantity("q", order.MinQuantity), nil},
		{"MaxQuantity", order.ValidateQuantity("q", order.MaxQuantity), nil},
		{"below MinQuantity", order.ValidateQuantity("items[3].quantity", order.MinQuantity-1), &order.Violation{Field: "items[3].quantity", Rule: "must be between 1 and 1000", Got: "0"}},
		{"above MaxQuantity", order.ValidateQuantity("items[3].quantity", order.MaxQuantity+1), &order.Violation{Field: "items[3].quantity", Rule: "must be between 1 and 1000", Got: "1001"}},
		{"distinct SKUs", last("A", "B", "a"), nil},
		{"a SKU on two lines", last("A", "B", "A"), &order.Violation{Field: "items[2].sku", Rule: `"A" appears more than once; put the whole quantity on one item`}},
		{"an invalid SKU, twice", last("..", ".."), &order.Violation{Field: "items[1].sku", Rule: "must be letters, digits, '.', '_' and '-', starting with a letter or digit"}},
		{"no reason", order.ValidateReason("reason", ""), nil},
		{"MaxReasonBytes of reason", order.ValidateReason("reason", strings.Repeat("r", order.MaxReasonBytes)), nil},
		{"a reason a byte too long", order.ValidateReason("reason", strings.Repeat("r", order.MaxReasonBytes+1)), &order.Violation{Field: "reason", Rule: "must be at most 1024 bytes"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if tt.want == nil {
				if tt.err != nil {
					t.Fatalf("%v, want valid", tt.err)
				}
				return
			}
			var v *order.Violation
			if !errors.As(tt.err, &v) || *v != *tt.want {
				t.Fatalf("%#v, want %#v", tt.err, tt.want)
			}
			if !errors.Is(tt.err, order.ErrInvalidOrder) {
				t.Errorf("%v does not wrap ErrInvalidOrder", tt.err)
			}
		})
	}
}

// TestViolationMessage checks the text a Violation carries into logs and refusals.
func TestViolationMessage(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		v    order.Violation
		want string
	}{
		{order.Violation{Field: "customer_id", Rule: "is required"}, "invalid order: customer_id is required"},
		{order.Violation{Field: "items[0].quantity", Rule: "must be between 1 and 1000", Got: "0"}, "invalid order: items[0].quantity must be between 1 and 1000, got 0"},
	} {
		if got := tt.v.Error(); got != tt.want {
			t.Errorf("%q, want %q", got, tt.want)
		}
	}
}

// TestValidateLinesReportsTheFirstRuleBroken checks that ValidateLines applies the rules a
// port applies field by field, in the same order, and stops at the first broken.
func TestValidateLinesReportsTheFirstRuleBroken(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		lines []order.Line
		field string // "" means valid
	}{
		{"valid", []order.Line{{SKU: "A", Quantity: 1}, {SKU: "B", Quantity: 1000}}, ""},
		{"the count before any line", append(lines(order.MaxLines), order.Line{SKU: "", Quantity: 0}), "items"},
		{"a line's SKU before its quantity", []order.Line{{SKU: "", Quantity: 0}}, "items[0].sku"},
		{"an earlier line first", []order.Line{{SKU: "A", Quantity: 0}, {SKU: "", Quantity: 1}}, "items[0].quantity"},
		{"a repeated SKU", []order.Line{{SKU: "A", Quantity: 1}, {SKU: "A", Quantity: 1}}, "items[1].sku"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := order.ValidateLines(tt.lines)
			var v *order.Violation
			switch {
			case tt.field == "" && err != nil:
				t.Fatalf("%v, want valid", err)
			case tt.field != "" && (!errors.As(err, &v) || v.Field != tt.field):
				t.Fatalf("%v, want a violation at %s", err, tt.field)
			}
		})
	}
}
