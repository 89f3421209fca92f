package http

import (
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/example/orders-service/app/command"
	"github.com/example/orders-service/domain/order"
)

// TestBadRequestOrUnprocessable holds every endpoint with a body to the rule openapi.yaml
// states: what cannot be read as the object asked for (not JSON, not an object, null
// included, a wrong JSON type, a fraction for an integer, unknown or repeated members) is
// 400; a value of the right type that breaks a rule (out of range, an integer too large
// for an int included, or missing) is 422; with both, 400.
func TestBadRequestOrUnprocessable(t *testing.T) {
	id := uuid.NewString()
	withQuantity := func(quantity string) string {
		return `{"customer_id":"c","items":[{"sku":"a","quantity":` + quantity + `}]}`
	}
	type tc struct {
		name, method, path, body string
		status                   int
		field                    string // a field the problem must name, if any
		detail                   string // the detail must say this, if set
		sent                     any    // for a 202, the command sent
	}
	placed := func(q int) any { return []order.Line{{SKU: "a", Quantity: q}} }
	place := func(name, body string, status int, field, detail string, sent any) tc {
		return tc{"place: " + name, http.MethodPost, "/orders", body, status, field, detail, sent}
	}
	stock := func(name, body string, status int, field, detail string, sent any) tc {
		return tc{"stock: " + name, http.MethodPut, "/stock/SKU-1", body, status, field, detail, sent}
	}
	cancel := func(name, body string, status int, field string) tc {
		return tc{"cancel: " + name, http.MethodPost, "/orders/" + id + "/cancel", body, status, field, "", nil}
	}
	ship := func(name, body string, status int, field string) tc {
		return tc{"ship: " + name, http.MethodPost, "/orders/" + id + "/ship", body, status, field, "", nil}
	}
	setTo := func(q int) any { return command.SetStockLevel{SKU: "SKU-1", Quantity: q} }
	tests := []tc{
		// Bodies that are no object: 400.
		place("null body", `null`, 400, "", "must be an object, got null", nil),
		place("array body", `[1]`, 400, "", "must be an object", nil),
		place("string body", `"x"`, 400, "", "must be an object", nil),
		place("number body", `1`, 400, "", "must be an object", nil),
		stock("null body", ` null `, 400, "", "must be an object, got null", nil),
		stock("array body", `[1]`, 400, "", "must be an object", nil),
		stock("string body", `"x"`, 400, "", "must be an object", nil),
		cancel("null body", `null`, 400, ""),
		cancel("array body", `[1]`, 400, ""),
		cancel("string body", `"x"`, 400, ""),
		ship("null body", `null`, 400, ""),
		ship("array body", `[1]`, 400, ""),
		ship("string body", `"x"`, 400, ""),

		// Wrong types, fractions where an integer is required: 400.
		place("quantity 1.5", withQuantity("1.5"), 400, "items[0].quantity", "must be an integer, got 1.5", nil),
		place("quantity 1e-1", withQuantity("1e-1"), 400, "items[0].quantity", "must be an integer", nil),
		place("quantity 1e-400", withQuantity("1e-400"), 400, "items[0].quantity", "must be an integer", nil),
		place("quantity just above 1", withQuantity("1.0000000000000000000001"), 400, "items[0].quantity", "must be an integer", nil),
		place("quantity as string", withQuantity(`"1"`), 400, "items[0].quantity", `must be an integer, got "1"`, nil),
		place("quantity as bool", withQuantity(`true`), 400, "items[0].quantity", "must be an integer", nil),
		place("null item", `{"customer_id":"c","items":[null]}`, 400, "items[0]", "must be an object, got null", nil),
		place("both kinds, 400 wins", `{"customer_id":"","items":[{"sku":"a","quantity":1.5}]}`, 400, "items[0].quantity", "", nil),
		stock("quantity 0.5", `{"quantity":0.5}`, 400, "quantity", "must be an integer, got 0.5", nil),
		stock("quantity as string", `{"quantity":"1"}`, 400, "quantity", "must be an integer", nil),
		stock("quantity as object", `{"quantity":{}}`, 400, "quantity", "must be an integer", nil),
		cancel("reason as number", `{"reason":1}`, 400, "reason"),

		// Unknown and repeated members: 400.
		place("unknown member", `{"customer_id":"c","items":[{"sku":"a","quantity":1}],"x":1}`, 400, "x", "", nil),
		place("repeated member", `{"customer_id":"c","customer_id":"d","items":[{"sku":"a","quantity":1}]}`, 400, "customer_id", "", nil),
		stock("unknown member", `{"quantity":1,"x":1}`, 400, "x", "", nil),
		stock("repeated member", `{"quantity":1,"quantity":2}`, 400, "quantity", "", nil),
		cancel("unknown member", `{"why":"x"}`, 400, "why"),
		cancel("repeated member", `{"reason":"a","reason":"b"}`, 400, "reason"),
		ship("unknown member", `{"x":1}`, 400, "x"),

		// Integers out of range, however large: 422.
		place("quantity 1e23", withQuantity("1e23"), 422, "items[0].quantity", "must be between 1 and 1000, got 1e23", nil),
		place("quantity 2^63-1", withQuantity("9223372036854775807"), 422, "items[0].quantity", "must be between 1 and 1000, got 9223372036854775807", nil),
		place("quantity 2^63", withQuantity("9223372036854775808"), 422, "items[0].quantity", "must be between 1 and 1000", nil),
		place("quantity 2^64", withQuantity("18446744073709551616"), 422, "items[0].quantity", "must be between 1 and 1000", nil),
		place("quantity -1e23", withQuantity("-1e23"), 422, "items[0].quantity", "got -1e23", nil),
		place("quantity 1e400", withQuantity("1e400"), 422, "items[0].quantity", "must be between", nil),
		place("quantity 1e999999999999", withQuantity("1e999999999999"), 422, "items[0].quantity", "must be between", nil),
		place("quantity 0.0", withQuantity("0.0"), 422, "items[0].quantity", "must be between", nil),
		place("quantity -0", withQuantity("-0"), 422, "items[0].quantity", "must be between", nil),
		stock("quantity 1e23", `{"quantity":1e23}`, 422, "quantity", "must be between 0 and 1000000000, got 1e23", nil),
		stock("quantity 2^63-1", `{"quantity":9223372036854775807}`, 422, "quantity", "must be between 0 and 1000000000", nil),
		stock("quantity 2^64", `{"quantity":18446744073709551616}`, 422, "quantity", "must be between 0 and 1000000000", nil),
		stock("quantity -2^63-1", `{"quantity":-9223372036854775809}`, 422, "quantity", "must be between 0 and 1000000000", nil),
		stock("quantity 1.000000001e9", `{"quantity":1.000000001e9}`, 422, "quantity", "got 1.000000001e9", nil),

		// Missing, or null: 422.
		place("missing quantity", `{"customer_id":"c","items":[{"sku":"a"}]}`, 422, "items[0].quantity", "is required", nil),
		place("null quantity", withQuantity("null"), 422, "items[0].quantity", "is required", nil),
		place("empty object", `{}`, 422, "customer_id", "", nil),
		stock("missing quantity", `{}`, 422, "quantity", "is required", nil),
		stock("null quantity", `{"quantity":null}`, 422, "quantity", "is required", nil),
		cancel("reason over 1024 bytes", `{"reason":"`+strings.Repeat("r", 1025)+`"}`, 422, "reason"),

		// Integers however written: accepted.
		place("quantity 2.0", withQuantity("2.0"), 202, "", "", placed(2)),
		place("quantity 2e0", withQuantity("2e0"), 202, "", "", placed(2)),
		place("quantity 0.2e1", withQuantity("0.2e1"), 202, "", "", placed(2)),
		place("quantity 200E-2", withQuantity("200E-2"), 202, "", "", placed(2)),
		place("quantity 1e3", withQuantity("1e3"), 202, "", "", placed(1000)),
		stock("quantity -0", `{"quantity":-0}`, 202, "", "", setTo(0)),
		stock("quantity 0.0e5", `{"quantity":0.0e5}`, 202, "", "", setTo(0)),
		stock("quantity 1e9", `{"quantity":1e9}`, 202, "", "", setTo(1_000_000_000)),
		stock("quantity 5.00", `{"quantity":5.00}`, 202, "", "", setTo(5)),
	}
	// Refusals the validator cannot check: JSON Schema does not see repeated members, and
	// kin-openapi reads numbers as float64, where 1.0000000000000000000001 is 1.
	specAllows := map[string]bool{
		"place: repeated member": true, "stock: repeated member": true, "cancel: repeated member": true,
		"place: quantity just above 1": true,
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			seedOrder(t, e, pendingView(id))
			req := request{method: tc.method, path: tc.path, body: []byte(tc.body),
				validRequest: tc.status == http.StatusAccepted, invalidRequest: tc.status != http.StatusAccepted && !specAllows[tc.name]}
			got := e.do(req)
			if tc.status == http.StatusAccepted {
				if got.status != tc.status {
					t.Fatalf("status %d: %s", got.status, got.body)
				}
				sent := e.sender.commands()
				if len(sent) != 1 {
					t.Fatalf("sent %d commands", len(sent))
				}
				var gotSent any = sent[0].cmd
				if po, ok := sent[0].cmd.(command.PlaceOrder); ok {
					gotSent = po.Items
				}
				if !reflect.DeepEqual(gotSent, tc.sent) {
					t.Errorf("sent %+v, want %+v", gotSent, tc.sent)
				}
				return
			}
			p := checkProblem(t, got, tc.status, tc.path)
			if tc.field != "" && !hasField(p, tc.field) {
				t.Errorf("problem does not name %q: %+v", tc.field, p)
			}
			if !strings.Contains(p.Detail, tc.detail) {
				t.Errorf("detail %q does not say %q", p.Detail, tc.detail)
			}
			if n := e.sender.attemptCount(); n != 0 {
				t.Errorf("sent %d commands", n)
			}
		})
	}
}

// TestParseInteger checks the exact reading of JSON numbers: by decimal value, never
// through float64, with exponents of any size.
func TestParseInteger(t *testing.T) {
	tests := []struct {
		lit            string
		value          int
		fits, integral bool
	}{
		{"0", 0, true, true},
		{"-0", 0, true, true},
		{"0.000", 0, true, true},
		{"0e-99999999999999", 0, true, true},
		{"7", 7, true, true},
		{"-7", -7, true, true},
		{"7.0", 7, true, true},
		{"70e-1", 7, true, true},
		{"0.07e2", 7, true, true},
		{"1e18", 1_000_000_000_000_000_000, true, true},
		{"9223372036854775807", 9223372036854775807, true, true},
		{"-9223372036854775808", -9223372036854775808, true, true},
		{"9223372036854775808", 0, false, true},
		{"-9223372036854775809", 0, false, true},
		{"18446744073709551616", 0, false, true},
		{"1e19", 0, false, true},
		{"1e23", 0, false, true},
		{"1e99999999999999999999", 0, false, true},
		{"1.5", 0, false, false},
		{"1e-1", 0, false, false},
		{"1.0000000000000000000001", 0, false, false},
		{"9007199254740993.5", 0, false, false},
		{"1e-99999999999999999999", 0, false, false},
		// An exponent as long as the digits it scales is read exactly, however long.
		{"0." + strings.Repeat("0", 1_100_000) + "7e1100001", 7, true, true},
		{"7" + strings.Repeat("0", 1_100_000) + "e-1100000", 7, true, true},
		{"7" + strings.Repeat("0", 1_100_000) + "e-1100001", 0, false, false},
	}
	for _, tc := range tests {
		value, fits, integral := parseInteger(tc.lit)
		if value != tc.value || fits != tc.fits || integral != tc.integral {
			t.Errorf("parseInteger(%s) = %d, fits %v, integral %v; want %d, %v, %v", truncate(tc.lit, 60), value, fits, integral, tc.value, tc.fits, tc.integral)
		}
	}
}
