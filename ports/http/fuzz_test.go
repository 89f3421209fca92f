package http

import (
	"errors"
	"testing"
	"time"

	"github.com/example/orders-service/domain/order"
)

// FuzzDecodePlaceOrder checks that decodePlaceOrder never panics, that what it accepts
// satisfies the domain's own rules (so PlaceOrder is never poisoned for a request the API
// accepted), and that what it refuses is refused as a client error.
func FuzzDecodePlaceOrder(f *testing.F) {
	for _, seed := range []string{
		validOrder,
		`{"customer_id":"c","items":[{"sku":"a","quantity":1}]}`,
		`{"customer_id":"c","items":[{"sku":"a","quantity":1000},{"sku":"b","quantity":1}]}`,
		orderWithItems(50),
		orderWithItems(51),
		`{"customer_id":"c","items":[{"sku":"a","quantity":1},{"sku":"a","quantity":2}]}`,
		`{"customer_id":"c","items":[{"sku":"a","quantity":0}]}`,
		`{"customer_id":"c","items":[{"sku":"a","quantity":"2"}]}`,
		`{"customer_id":"c","items":[{"sku":"a","quantity":2.5}]}`,
		`{"customer_id":"c","items":[{"sku":"a","quantity":2.0e0}]}`,
		`{"customer_id":"c","items":[{"sku":"a","quantity":-1e23}]}`,
		`{"customer_id":"c","items":[{"sku":"a","quantity":1e-99999999999}]}`,
		`{"customer_id":"c","items":[{"sku":"a","quantity":9223372036854775808}]}`,
		`{"customer_id":"c","items":{"sku":"a"}}`,
		`{"customer_id":"c","items":[{"sku":"a","quantity":1,"x":1}]}`,
		`{"customer_id":" \u00a0","items":[{"sku":"\u2028","quantity":1}]}`,
		`{"customer_id":"c\u0000","items":[null]}`,
		`{"CUSTOMER_ID":"c","ITEMS":[{"SKU":"a","Quantity":1}]}`,
		`{"customer_id":"c","items":[]} {}`,
		`{"customer_id":`,
		`null`,
		`[]`,
		``,
		"\xff\xfe",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		customerID, lines, err := decodePlaceOrder(body)
		if err != nil {
			var pe *problemError
			if !errors.As(err, &pe) {
				t.Fatalf("error %T %v is not a problem", err, err)
			}
			if pe.status < 400 || pe.status > 499 {
				t.Fatalf("status %d for a bad body: %v", pe.status, err)
			}
			if pe.detail == "" {
				t.Fatal("problem without detail")
			}
			if customerID != "" || lines != nil {
				t.Fatalf("error %v with a result %q %v", err, customerID, lines)
			}
			return
		}
		if err := order.ValidateID("customer id", customerID); err != nil {
			t.Fatalf("accepted customer id %q: %v", customerID, err)
		}
		if err := order.ValidateLines(lines); err != nil {
			t.Fatalf("accepted lines %v: %v", lines, err)
		}
		if _, _, err := order.New("00000000-0000-7000-8000-000000000000", customerID, lines, time.Time{}); err != nil {
			t.Fatalf("accepted a body the domain refuses: %v", err)
		}
	})
}

// decodePlaceOrder is what POST /orders makes of a body.
func decodePlaceOrder(body []byte) (customerID string, lines []order.Line, err error) {
	req, err := decodeRequest[placeOrderRequest](body)
	if err != nil {
		return "", nil, err
	}
	return req.validate()
}
