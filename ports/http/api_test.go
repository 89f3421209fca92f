package http

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/example/orders-service/adapters/memory"
	"github.com/example/orders-service/app"
	"github.com/example/orders-service/app/command"
	"github.com/example/orders-service/app/query"
	"github.com/example/orders-service/domain/order"
	"github.com/example/orders-service/domain/stock"
)

const validOrder = `{"customer_id":"customer-1","items":[{"sku":"SKU-1","quantity":2},{"sku":"SKU-2","quantity":1}]}`

func itemsJSON(n int) string {
	items := make([]string, n)
	for i := range items {
		items[i] = fmt.Sprintf(`{"sku":"SKU-%d","quantity":1}`, i)
	}
	return "[" + strings.Join(items, ",") + "]"
}

func orderWithItems(n int) string {
	return `{"customer_id":"c","items":` + itemsJSON(n) + `}`
}

func TestOpenAPIDocument(t *testing.T) {
	specRouter(t) // loads and validates openapi.yaml
	e := newEnv(t)
	got := e.do(request{method: http.MethodGet, path: "/openapi.yaml", validRequest: true})
	if got.status != http.StatusOK || !bytes.Equal(got.body, OpenAPI) {
		t.Fatalf("GET /openapi.yaml: %d, %d bytes", got.status, len(got.body))
	}
	if ct := got.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/yaml") {
		t.Errorf("Content-Type %q", ct)
	}
}

func TestPlaceOrderAccepted(t *testing.T) {
	tests := []struct {
		name        string
		body        string
		contentType string
		wantLines   []order.Line
	}{
		{"two items", validOrder, "application/json",
			[]order.Line{{SKU: "SKU-1", Quantity: 2}, {SKU: "SKU-2", Quantity: 1}}},
		{"bounds of quantity", `{"customer_id":"c","items":[{"sku":"a","quantity":1},{"sku":"b","quantity":1000}]}`, "application/json",
			[]order.Line{{SKU: "a", Quantity: 1}, {SKU: "b", Quantity: 1000}}},
		{"128-byte ids", `{"customer_id":"` + strings.Repeat("c", 128) + `","items":[{"sku":"` + strings.Repeat("s", 128) + `","quantity":3}]}`, "application/json",
			[]order.Line{{SKU: strings.Repeat("s", 128), Quantity: 3}}},
		{"charset parameter", validOrder, "application/json; charset=utf-8",
			[]order.Line{{SKU: "SKU-1", Quantity: 2}, {SKU: "SKU-2", Quantity: 1}}},
		{"whitespace around the object", "\n  " + validOrder + "\n\n", "application/json",
			[]order.Line{{SKU: "SKU-1", Quantity: 2}, {SKU: "SKU-2", Quantity: 1}}},
		{"+json media type", validOrder, "application/vnd.orders+json",
			[]order.Line{{SKU: "SKU-1", Quantity: 2}, {SKU: "SKU-2", Quantity: 1}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			got := e.do(request{method: http.MethodPost, path: "/orders", body: []byte(tc.body),
				header: map[string]string{"Content-Type": tc.contentType}, validRequest: tc.contentType == "application/json"})
			if got.status != http.StatusAccepted {
				t.Fatalf("status %d: %s", got.status, got.body)
			}
			var acc acceptedOrder
			got.decode(t, &acc)
			if got.header.Get("Location") != "/orders/"+acc.OrderID {
				t.Errorf("Location %q, order_id %q", got.header.Get("Location"), acc.OrderID)
			}
			if acc.CorrelationID == "" || acc.CorrelationID != got.header.Get(CorrelationHeader) {
				t.Errorf("correlation_id %q, header %q", acc.CorrelationID, got.header.Get(CorrelationHeader))
			}
			sent := e.sender.commands()
			if len(sent) != 1 {
				t.Fatalf("sent %d commands, want 1", len(sent))
			}
			cmd, ok := sent[0].cmd.(command.PlaceOrder)
			if !ok {
				t.Fatalf("sent %T", sent[0].cmd)
			}
			if cmd.OrderID != acc.OrderID || cmd.CustomerID == "" || sent[0].correlationID != acc.CorrelationID {
				t.Errorf("sent %+v with correlation %q; answered %+v", cmd, sent[0].correlationID, acc)
			}
			if lines := cmd.Items; fmt.Sprint(lines) != fmt.Sprint(tc.wantLines) {
				t.Errorf("lines %v, want %v", lines, tc.wantLines)
			}
		})
	}
}

func TestOrderCommandsAccepted(t *testing.T) {
	id := uuid.NewString()
	tests := []struct {
		name        string
		path        string
		body        string
		contentType string
		want        any
	}{
		{"cancel without body", "/orders/" + id + "/cancel", "", "", command.CancelOrder{OrderID: id}},
		{"cancel with empty object", "/orders/" + id + "/cancel", `{}`, "application/json", command.CancelOrder{OrderID: id}},
		{"cancel with reason", "/orders/" + id + "/cancel", `{"reason":"changed my mind"}`, "application/json", command.CancelOrder{OrderID: id, Reason: "changed my mind"}},
		{"cancel with 1024-byte reason", "/orders/" + id + "/cancel", `{"reason":"` + strings.Repeat("r", 1024) + `"}`, "application/json", command.CancelOrder{OrderID: id, Reason: strings.Repeat("r", 1024)}},
		{"cancel, upper-case id", "/orders/" + strings.ToUpper(id) + "/cancel", "", "", command.CancelOrder{OrderID: id}},
		{"ship without body", "/orders/" + id + "/ship", "", "", command.ShipOrder{OrderID: id}},
		{"ship with empty object", "/orders/" + id + "/ship", `{}`, "application/json", command.ShipOrder{OrderID: id}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			seedOrder(t, e, pendingView(id))
			req := request{method: http.MethodPost, path: tc.path, validRequest: true,
				header: map[string]string{"Content-Type": tc.contentType}}
			if tc.body != "" {
				req.body = []byte(tc.body)
			}
			got := e.do(req)
			if got.status != http.StatusAccepted {
				t.Fatalf("status %d: %s", got.status, got.body)
			}
			var acc acceptedOrder
			got.decode(t, &acc)
			if acc.OrderID != id || got.header.Get("Location") != "/orders/"+id {
				t.Errorf("order_id %q, Location %q; want %s", acc.OrderID, got.header.Get("Location"), id)
			}
			sent := e.sender.commands()
			if len(sent) != 1 || fmt.Sprintf("%#v", sent[0].cmd) != fmt.Sprintf("%#v", tc.want) {
				t.Fatalf("sent %+v, want %#v", sent, tc.want)
			}
			if sent[0].correlationID == "" || sent[0].correlationID != acc.CorrelationID {
				t.Errorf("command correlation %q, response %q", sent[0].correlationID, acc.CorrelationID)
			}
		})
	}
}

func TestSetStockAccepted(t *testing.T) {
	for _, q := range []int{0, 1, stock.MaxLevel} {
		t.Run(fmt.Sprint(q), func(t *testing.T) {
			e := newEnv(t)
			got := e.do(request{method: http.MethodPut, path: "/stock/SKU-1", body: fmt.Appendf(nil, `{"quantity":%d}`, q), validRequest: true})
			if got.status != http.StatusAccepted {
				t.Fatalf("status %d: %s", got.status, got.body)
			}
			var acc acceptedStock
			got.decode(t, &acc)
			if acc.SKU != "SKU-1" || got.header.Get("Location") != "/stock/SKU-1" || acc.CorrelationID != got.header.Get(CorrelationHeader) {
				t.Errorf("answer %+v, Location %q", acc, got.header.Get("Location"))
			}
			sent := e.sender.commands()
			if len(sent) != 1 || sent[0].cmd != (command.SetStockLevel{SKU: "SKU-1", Quantity: q}) || sent[0].correlationID != acc.CorrelationID {
				t.Errorf("sent %+v", sent)
			}
		})
	}
}

// TestBrokerUnavailable checks the 503 of a command Kafka did not take: Retry-After, nothing
// pointing at the order, and a detail that says how to retry safely.
func TestBrokerUnavailable(t *testing.T) {
	id := uuid.NewString()
	tests := []struct {
		name, method, path, body string
		key                      string // Idempotency-Key, if any
		detail                   string // the detail must say this
	}{
		{"place with a key", http.MethodPost, "/orders", validOrder, "key-1", "retry later with the same Idempotency-Key"},
		{"place without a key", http.MethodPost, "/orders", validOrder, "", "with an Idempotency-Key (the same on every retry)"},
		{"cancel", http.MethodPost, "/orders/" + id + "/cancel", `{"reason":"r"}`, "", "retry later"},
		{"ship", http.MethodPost, "/orders/" + id + "/ship", "", "", "retry later"},
		{"set stock", http.MethodPut, "/stock/SKU-1", `{"quantity":5}`, "", "retry later"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			seedOrder(t, e, pendingView(id))
			e.sender.setFail(true)
			req := request{method: tc.method, path: tc.path, validRequest: true, header: map[string]string{"Idempotency-Key": tc.key}}
			if tc.body != "" {
				req.body = []byte(tc.body)
			}
			got := e.do(req)
			p := checkProblem(t, got, http.StatusServiceUnavailable, tc.path)
			if !strings.Contains(p.Detail, tc.detail) {
				t.Errorf("detail %q does not say %q", p.Detail, tc.detail)
			}
			if got.header.Get("Retry-After") == "" {
				t.Error("no Retry-After")
			}
			if got.header.Get("Location") != "" {
				t.Errorf("Location %q on a refused command", got.header.Get("Location"))
			}
			if e.sender.attemptCount() != 1 {
				t.Errorf("%d send attempts, want 1", e.sender.attemptCount())
			}
		})
	}
}

func TestBadInput(t *testing.T) {
	id := uuid.NewString()
	big := append([]byte(`{"customer_id":"c","items":[{"sku":"a","quantity":1}]}`), bytes.Repeat([]byte(" "), MaxBodyBytes)...)
	type tc struct {
		name   string
		req    request
		status int
		field  string // a field the problem must name, if any
	}
	post := func(name, body string, status int, field string) tc {
		return tc{name, request{method: http.MethodPost, path: "/orders", body: []byte(body)}, status, field}
	}
	tests := []tc{
		// Unreadable bodies.
		post("malformed JSON", `{"customer_id":`, 400, ""),
		post("malformed array", `{"customer_id":"c","items":[}`, 400, ""),
		post("not JSON", `hello`, 400, ""),
		post("empty body", ``, 400, ""),
		post("blank body", " \n\t ", 400, ""),
		post("JSON array", `[]`, 400, ""),
		post("JSON string", `"order"`, 400, ""),
		post("trailing object", validOrder+`{}`, 400, ""),
		post("trailing garbage", validOrder+` x`, 400, ""),
		// Wrong types.
		post("quantity as string", `{"customer_id":"c","items":[{"sku":"a","quantity":"2"}]}`, 400, "items[0].quantity"),
		post("quantity as fraction", `{"customer_id":"c","items":[{"sku":"a","quantity":2.5}]}`, 400, "items[0].quantity"),
		post("quantity as bool", `{"customer_id":"c","items":[{"sku":"a","quantity":true}]}`, 400, "items[0].quantity"),
		post("items as object", `{"customer_id":"c","items":{"sku":"a","quantity":1}}`, 400, "items"),
		post("items as string", `{"customer_id":"c","items":"a"}`, 400, "items"),
		post("item as number", `{"customer_id":"c","items":[1]}`, 400, "items[0]"),
		post("customer_id as number", `{"customer_id":7,"items":[{"sku":"a","quantity":1}]}`, 400, "customer_id"),
		post("sku as number", `{"customer_id":"c","items":[{"sku":1,"quantity":1}]}`, 400, "items[0].sku"),
		// Unknown fields.
		post("unknown top-level field", `{"customer_id":"c","items":[{"sku":"a","quantity":1}],"coupon":"X"}`, 400, "coupon"),
		post("unknown item field", `{"customer_id":"c","items":[{"sku":"a","quantity":1,"price":9}]}`, 400, "items[0].price"),
		// Missing and invalid values.
		post("missing customer_id", `{"items":[{"sku":"a","quantity":1}]}`, 422, "customer_id"),
		post("null customer_id", `{"customer_id":null,"items":[{"sku":"a","quantity":1}]}`, 422, "customer_id"),
		post("blank customer_id", `{"customer_id":"  ","items":[{"sku":"a","quantity":1}]}`, 422, "customer_id"),
		post("customer_id with space", `{"customer_id":"a b","items":[{"sku":"a","quantity":1}]}`, 422, "customer_id"),
		post("129-byte customer_id", `{"customer_id":"`+strings.Repeat("c", 129)+`","items":[{"sku":"a","quantity":1}]}`, 422, "customer_id"),
		post("missing items", `{"customer_id":"c"}`, 422, "items"),
		post("null items", `{"customer_id":"c","items":null}`, 422, "items"),
		post("empty object", `{}`, 422, "customer_id"),
		post("null body", `null`, 400, ""),
		post("0 items", `{"customer_id":"c","items":[]}`, 422, "items"),
		post("51 items", orderWithItems(51), 422, "items"),
		post("null item", `{"customer_id":"c","items":[null]}`, 400, "items[0]"),
		post("quantity overflows", `{"customer_id":"c","items":[{"sku":"a","quantity":100000000000000000000000}]}`, 422, "items[0].quantity"),
		post("missing sku", `{"customer_id":"c","items":[{"quantity":1}]}`, 422, "items[0].sku"),
		post("empty sku", `{"customer_id":"c","items":[{"sku":"","quantity":1}]}`, 422, "items[0].sku"),
		post("sku with control character", `{"customer_id":"c","items":[{"sku":"a\u0007","quantity":1}]}`, 422, "items[0].sku"),
		post("129-byte sku", `{"customer_id":"c","items":[{"sku":"`+strings.Repeat("s", 129)+`","quantity":1}]}`, 422, "items[0].sku"),
		post("missing quantity", `{"customer_id":"c","items":[{"sku":"a"}]}`, 422, "items[0].quantity"),
		post("quantity 0", `{"customer_id":"c","items":[{"sku":"a","quantity":0}]}`, 422, "items[0].quantity"),
		post("quantity -1", `{"customer_id":"c","items":[{"sku":"a","quantity":-1}]}`, 422, "items[0].quantity"),
		post("quantity 1001", `{"customer_id":"c","items":[{"sku":"a","quantity":1001}]}`, 422, "items[0].quantity"),
		post("duplicate sku", `{"customer_id":"c","items":[{"sku":"a","quantity":1},{"sku":"a","quantity":2}]}`, 422, "items[1].sku"),
		post("several problems", `{"customer_id":"","items":[{"sku":"a","quantity":0},{"quantity":5000}]}`, 422, "items[1].quantity"),
		// Size and media type.
		{"body over 1 MiB", request{method: http.MethodPost, path: "/orders", body: big}, 413, ""},
		{"chunked body over 1 MiB", request{method: http.MethodPost, path: "/orders", body: big, chunked: true}, 413, ""},
		{"text/plain", request{method: http.MethodPost, path: "/orders", body: []byte(validOrder), header: map[string]string{"Content-Type": "text/plain"}}, 415, ""},
		{"form", request{method: http.MethodPost, path: "/orders", body: []byte(validOrder), header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}}, 415, ""},
		{"xml", request{method: http.MethodPost, path: "/orders", body: []byte(validOrder), header: map[string]string{"Content-Type": "application/xml"}}, 415, ""},
		{"unparsable Content-Type", request{method: http.MethodPost, path: "/orders", body: []byte(validOrder), header: map[string]string{"Content-Type": "application/json; ="}}, 415, ""},
		// Idempotency-Key.
		{"256-byte Idempotency-Key", request{method: http.MethodPost, path: "/orders", body: []byte(validOrder), header: map[string]string{"Idempotency-Key": strings.Repeat("k", 256)}}, 400, ""},
		{"Idempotency-Key with a tab", request{method: http.MethodPost, path: "/orders", body: []byte(validOrder), header: map[string]string{"Idempotency-Key": "a\tb"}}, 400, ""},

		// Cancel and ship.
		{"cancel: id not a UUID", request{method: http.MethodPost, path: "/orders/not-a-uuid/cancel"}, 404, ""},
		{"cancel: id without dashes", request{method: http.MethodPost, path: "/orders/" + strings.ReplaceAll(id, "-", "") + "/cancel"}, 404, ""},
		{"cancel: id in braces", request{method: http.MethodPost, path: "/orders/%7B" + id + "%7D/cancel"}, 404, ""},
		{"cancel: urn id", request{method: http.MethodPost, path: "/orders/urn:uuid:" + id + "/cancel"}, 404, ""},
		{"cancel: malformed JSON", request{method: http.MethodPost, path: "/orders/" + id + "/cancel", body: []byte(`{"reason":`)}, 400, ""},
		{"cancel: reason as number", request{method: http.MethodPost, path: "/orders/" + id + "/cancel", body: []byte(`{"reason":1}`)}, 400, "reason"},
		{"cancel: unknown field", request{method: http.MethodPost, path: "/orders/" + id + "/cancel", body: []byte(`{"why":"x"}`)}, 400, "why"},
		{"cancel: reason over 1024 bytes", request{method: http.MethodPost, path: "/orders/" + id + "/cancel", body: []byte(`{"reason":"` + strings.Repeat("r", 1025) + `"}`)}, 422, "reason"},
		{"cancel: text/plain", request{method: http.MethodPost, path: "/orders/" + id + "/cancel", body: []byte(`{}`), header: map[string]string{"Content-Type": "text/plain"}}, 415, ""},
		{"cancel: body over 1 MiB", request{method: http.MethodPost, path: "/orders/" + id + "/cancel", body: big}, 413, ""},
		{"ship: id not a UUID", request{method: http.MethodPost, path: "/orders/123/ship"}, 404, ""},
		{"ship: unknown field", request{method: http.MethodPost, path: "/orders/" + id + "/ship", body: []byte(`{"carrier":"x"}`)}, 400, "carrier"},
		{"ship: array body", request{method: http.MethodPost, path: "/orders/" + id + "/ship", body: []byte(`[]`)}, 400, ""},
		{"ship: text/plain", request{method: http.MethodPost, path: "/orders/" + id + "/ship", body: []byte(`{}`), header: map[string]string{"Content-Type": "text/plain"}}, 415, ""},
		{"ship: body over 1 MiB", request{method: http.MethodPost, path: "/orders/" + id + "/ship", body: big, chunked: true}, 413, ""},

		// Reads.
		{"get: id not a UUID", request{method: http.MethodGet, path: "/orders/abc"}, 404, ""},
		{"get: unknown order", request{method: http.MethodGet, path: "/orders/" + id}, 404, ""},
		{"list: bad status", request{method: http.MethodGet, path: "/orders?status=lost"}, 400, "status"},
		{"list: status in capitals", request{method: http.MethodGet, path: "/orders?status=PENDING"}, 400, "status"},
		{"list: limit 0", request{method: http.MethodGet, path: "/orders?limit=0"}, 400, "limit"},
		{"list: limit 501", request{method: http.MethodGet, path: "/orders?limit=501"}, 400, "limit"},
		{"list: limit -1", request{method: http.MethodGet, path: "/orders?limit=-1"}, 400, "limit"},
		{"list: limit not a number", request{method: http.MethodGet, path: "/orders?limit=ten"}, 400, "limit"},
		{"list: fractional limit", request{method: http.MethodGet, path: "/orders?limit=1.5"}, 400, "limit"},
		{"list: bad status and limit", request{method: http.MethodGet, path: "/orders?status=x&limit=y"}, 400, "limit"},
		{"get stock: 129-byte sku", request{method: http.MethodGet, path: "/stock/" + strings.Repeat("s", 129)}, 400, ""},
		{"get stock: sku with space", request{method: http.MethodGet, path: "/stock/a%20b"}, 400, ""},

		// Stock.
		{"stock: quantity -1", request{method: http.MethodPut, path: "/stock/SKU-1", body: []byte(`{"quantity":-1}`)}, 422, "quantity"},
		{"stock: quantity over max", request{method: http.MethodPut, path: "/stock/SKU-1", body: []byte(`{"quantity":1000000001}`)}, 422, "quantity"},
		{"stock: missing quantity", request{method: http.MethodPut, path: "/stock/SKU-1", body: []byte(`{}`)}, 422, "quantity"},
		{"stock: null quantity", request{method: http.MethodPut, path: "/stock/SKU-1", body: []byte(`{"quantity":null}`)}, 422, "quantity"},
		{"stock: quantity as string", request{method: http.MethodPut, path: "/stock/SKU-1", body: []byte(`{"quantity":"5"}`)}, 400, "quantity"},
		{"stock: quantity as fraction", request{method: http.MethodPut, path: "/stock/SKU-1", body: []byte(`{"quantity":0.5}`)}, 400, "quantity"},
		{"stock: unknown field", request{method: http.MethodPut, path: "/stock/SKU-1", body: []byte(`{"quantity":1,"reserved":2}`)}, 400, "reserved"},
		{"stock: empty body", request{method: http.MethodPut, path: "/stock/SKU-1"}, 400, ""},
		{"stock: malformed JSON", request{method: http.MethodPut, path: "/stock/SKU-1", body: []byte(`{"quantity":1`)}, 400, ""},
		{"stock: 129-byte sku", request{method: http.MethodPut, path: "/stock/" + strings.Repeat("s", 129), body: []byte(`{"quantity":1}`)}, 400, ""},
		{"stock: sku with space", request{method: http.MethodPut, path: "/stock/a%20b", body: []byte(`{"quantity":1}`)}, 400, ""},
		{"stock: text/plain", request{method: http.MethodPut, path: "/stock/SKU-1", body: []byte(`{"quantity":1}`), header: map[string]string{"Content-Type": "text/plain"}}, 415, ""},
		{"stock: body over 1 MiB", request{method: http.MethodPut, path: "/stock/SKU-1", body: big}, 413, ""},

		// Outside the API.
		{"unknown route", request{method: http.MethodGet, path: "/nowhere", noRoute: true}, 404, ""},
		{"wrong method", request{method: http.MethodDelete, path: "/orders", noRoute: true}, 405, ""},
	}
	// Refusals that JSON Schema cannot express: every other bad request must be refused by
	// openapi.yaml as well, so the document and the code agree on what is valid.
	specAllows := map[string]bool{
		"trailing object": true, "trailing garbage": true, "duplicate sku": true,
		"body over 1 MiB": true, "chunked body over 1 MiB": true, "unparsable Content-Type": true,
		"get: unknown order": true,
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			tc.req.invalidRequest = !tc.req.noRoute && !specAllows[tc.name]
			got := e.do(tc.req)
			path, _, _ := strings.Cut(tc.req.path, "?")
			if strings.Contains(path, "%") {
				path = "" // the instance is the decoded path
			}
			p := checkProblem(t, got, tc.status, path)
			if tc.field != "" && !hasField(p, tc.field) {
				t.Errorf("problem does not name %q: %+v", tc.field, p)
			}
			if n := e.sender.attemptCount(); n != 0 {
				t.Errorf("a bad request reached the command sender (%d commands)", n)
			}
		})
	}
}

// TestBodyLimitIsOneMiB checks the documented limit: a body of exactly MaxBodyBytes is read.
func TestBodyLimitIsOneMiB(t *testing.T) {
	e := newEnv(t)
	body := []byte(validOrder)
	body = append(body, bytes.Repeat([]byte(" "), MaxBodyBytes-len(body))...)
	got := e.do(request{method: http.MethodPost, path: "/orders", body: body, validRequest: true})
	if got.status != http.StatusAccepted {
		t.Fatalf("a body of %d bytes: status %d: %s", len(body), got.status, got.body)
	}
}

func TestIdempotencyKey(t *testing.T) {
	e := newEnv(t)
	place := func(key, body string) string {
		t.Helper()
		got := e.do(request{method: http.MethodPost, path: "/orders", body: []byte(body),
			header: map[string]string{"Idempotency-Key": key}, validRequest: true})
		if got.status != http.StatusAccepted {
			t.Fatalf("status %d: %s", got.status, got.body)
		}
		var acc acceptedOrder
		got.decode(t, &acc)
		return acc.OrderID
	}
	a1 := place("key-A", validOrder)
	a2 := place("key-A", validOrder)
	aOther := place("key-A", orderWithItems(3)) // same key, other order: same ID, the handler refuses it
	b := place("key-B", validOrder)
	long := place(strings.Repeat("k", 255), validOrder)
	unicode := place("clé-ünïcode", validOrder)
	n1 := place("", validOrder)
	n2 := place("", validOrder)
	if a1 != a2 || a1 != aOther {
		t.Errorf("same key gave %s, %s, %s", a1, a2, aOther)
	}
	ids := map[string]bool{}
	for _, id := range []string{a1, b, long, unicode, n1, n2} {
		if ids[id] {
			t.Errorf("order ID %s given twice: %v", id, []string{a1, b, long, unicode, n1, n2})
		}
		ids[id] = true
	}
	// The ID is derived from the key alone, so it is the same on every instance and restart.
	{
		got := newEnv(t).do(request{method: http.MethodPost, path: "/orders", body: []byte(validOrder), header: map[string]string{"Idempotency-Key": "key-A"}})
		var acc acceptedOrder
		got.decode(t, &acc)
		if acc.OrderID != a1 {
			t.Errorf("another server gave %s for key-A, first %s", acc.OrderID, a1)
		}
	}
	sent := e.sender.commands()
	if len(sent) != 8 {
		t.Fatalf("sent %d commands, want 8", len(sent))
	}
	for i, want := range []string{a1, a2, aOther, b, long, unicode, n1, n2} {
		if got := sent[i].cmd.(command.PlaceOrder).OrderID; got != want {
			t.Errorf("command %d for order %s, answered %s", i, got, want)
		}
	}
}

func TestCorrelationID(t *testing.T) {
	safe128 := strings.Repeat("a", 128)
	tests := []struct {
		name   string
		header string
		echoed bool
	}{
		{"simple", "req-123", true},
		{"all allowed characters", "Az09._:-", true},
		{"128 characters", safe128, true},
		{"absent", "", false},
		{"129 characters", safe128 + "a", false},
		{"spaces", "has spaces", false},
		{"unicode", "ünïcode", false},
		{"slash", "a/b", false},
		{"json injection", `x","y":"z`, false},
	}
	id := uuid.NewString()
	endpoints := []struct{ method, path, body string }{
		{http.MethodPost, "/orders", validOrder},
		{http.MethodPost, "/orders/" + id + "/cancel", ""},
		{http.MethodPost, "/orders/" + id + "/ship", ""},
		{http.MethodPut, "/stock/SKU-1", `{"quantity":3}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			seedOrder(t, e, pendingView(id))
			for _, ep := range endpoints {
				req := request{method: ep.method, path: ep.path, header: map[string]string{CorrelationHeader: tc.header}, validRequest: true}
				if ep.body != "" {
					req.body = []byte(ep.body)
				}
				got := e.do(req)
				if got.status != http.StatusAccepted {
					t.Fatalf("%s %s: status %d: %s", ep.method, ep.path, got.status, got.body)
				}
				var body struct {
					CorrelationID string `json:"correlation_id"`
				}
				got.decode(t, &body)
				header := got.header.Get(CorrelationHeader)
				if tc.echoed && header != tc.header {
					t.Errorf("%s %s: header %q, want %q echoed", ep.method, ep.path, header, tc.header)
				}
				if !tc.echoed {
					if _, err := uuid.Parse(header); err != nil || header == tc.header {
						t.Errorf("%s %s: header %q, want a generated UUID", ep.method, ep.path, header)
					}
				}
				if body.CorrelationID != header {
					t.Errorf("%s %s: body correlation_id %q, header %q", ep.method, ep.path, body.CorrelationID, header)
				}
				sent := e.sender.commands()
				if last := sent[len(sent)-1]; last.correlationID != header {
					t.Errorf("%s %s: command ctx correlation %q, header %q", ep.method, ep.path, last.correlationID, header)
				}
			}
			// Errors and reads carry it too.
			got := e.do(request{method: http.MethodPost, path: "/orders", body: []byte(`{}`), header: map[string]string{CorrelationHeader: tc.header}})
			p := checkProblem(t, got, http.StatusUnprocessableEntity, "/orders")
			if tc.echoed && p.CorrelationID != tc.header {
				t.Errorf("problem correlation_id %q, want %q", p.CorrelationID, tc.header)
			}
			got = e.do(request{method: http.MethodGet, path: "/healthz", header: map[string]string{CorrelationHeader: tc.header}})
			if h := got.header.Get(CorrelationHeader); h == "" || (tc.echoed && h != tc.header) {
				t.Errorf("GET /healthz: header %q", h)
			}
		})
	}
	t.Run("generated IDs differ", func(t *testing.T) {
		e := newEnv(t)
		a := e.do(request{method: http.MethodGet, path: "/healthz"}).header.Get(CorrelationHeader)
		b := e.do(request{method: http.MethodGet, path: "/healthz"}).header.Get(CorrelationHeader)
		if a == "" || a == b {
			t.Errorf("generated %q then %q", a, b)
		}
	})
}

func seedOrder(t *testing.T, e *env, v query.OrderView) {
	t.Helper()
	err := e.orders.Apply(context.Background(), v.ID, v.Version, func(view *query.OrderView) {
		refusals := view.Refusals
		*view = v
		view.Refusals = refusals
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range v.Refusals {
		if err := e.orders.AddRefusal(context.Background(), v.ID, r); err != nil {
			t.Fatal(err)
		}
	}
}

func TestGetOrder(t *testing.T) {
	e := newEnv(t)
	created := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	plain := query.OrderView{
		ID: uuid.NewString(), CustomerID: "customer-1", Version: 2, Status: order.StatusConfirmed,
		Items:     []order.Line{{SKU: "SKU-1", Quantity: 2}, {SKU: "SKU-2", Quantity: 1}},
		CreatedAt: created, UpdatedAt: created.Add(time.Second),
	}
	refused := query.OrderView{
		ID: uuid.NewString(), CustomerID: "customer-2", Version: 3, Status: order.StatusCancelled, Reason: "changed my mind",
		Items:     []order.Line{{SKU: "SKU-3", Quantity: 1}},
		CreatedAt: created, UpdatedAt: created.Add(time.Minute),
		Refusals: []query.Refusal{{Command: "orders.ShipOrder.v1", Reason: "cannot ship order: it is cancelled", At: created.Add(2 * time.Minute)}},
	}
	noItems := query.OrderView{ID: uuid.NewString(), CustomerID: "c", Version: 1, Status: order.StatusPending, CreatedAt: created, UpdatedAt: created}
	for _, v := range []query.OrderView{plain, refused, noItems} {
		seedOrder(t, e, v)
	}
	for _, tc := range []struct {
		name string
		path string
		want query.OrderView
	}{
		{"confirmed", "/orders/" + plain.ID, plain},
		{"upper-case id", "/orders/" + strings.ToUpper(plain.ID), plain},
		{"cancelled with refusal", "/orders/" + refused.ID, refused},
		{"no items", "/orders/" + noItems.ID, noItems},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := e.do(request{method: http.MethodGet, path: tc.path, validRequest: true})
			if got.status != http.StatusOK {
				t.Fatalf("status %d: %s", got.status, got.body)
			}
			var o orderResponse
			got.decode(t, &o)
			want := toOrderResponse(tc.want)
			if fmt.Sprint(o) != fmt.Sprint(want) {
				t.Errorf("got  %+v\nwant %+v", o, want)
			}
			if tc.want.Items == nil && !bytes.Contains(got.body, []byte(`"items":[]`)) {
				t.Errorf("items not an empty array: %s", got.body)
			}
		})
	}
}

func TestListOrders(t *testing.T) {
	e := newEnv(t)
	got := e.do(request{method: http.MethodGet, path: "/orders", validRequest: true})
	if got.status != http.StatusOK || !bytes.Contains(got.body, []byte(`"orders":[]`)) {
		t.Fatalf("empty list: %d %s", got.status, got.body)
	}
	now := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	statuses := []order.Status{order.StatusPending, order.StatusConfirmed, order.StatusRejected, order.StatusConfirmed, order.StatusShipped}
	ids := make([]string, len(statuses))
	for i, st := range statuses {
		ids[i] = uuid.NewString()
		v := query.OrderView{ID: ids[i], CustomerID: "c", Version: 1, Status: st,
			Items: []order.Line{{SKU: "a", Quantity: 1}}, CreatedAt: now, UpdatedAt: now}
		if st == order.StatusRejected {
			v.Reason = "out of stock"
		}
		seedOrder(t, e, v)
	}
	for _, tc := range []struct {
		query string
		want  []string // newest first
	}{
		{"", []string{ids[4], ids[3], ids[2], ids[1], ids[0]}},
		{"?status=confirmed", []string{ids[3], ids[1]}},
		{"?status=rejected", []string{ids[2]}},
		{"?status=cancelled", nil},
		{"?limit=2", []string{ids[4], ids[3]}},
		{"?limit=500", []string{ids[4], ids[3], ids[2], ids[1], ids[0]}},
		{"?status=confirmed&limit=1", []string{ids[3]}},
		{"?status=&limit=", []string{ids[4], ids[3], ids[2], ids[1], ids[0]}},
	} {
		t.Run(tc.query, func(t *testing.T) {
			got := e.do(request{method: http.MethodGet, path: "/orders" + tc.query, validRequest: !strings.Contains(tc.query, "=&") && !strings.HasSuffix(tc.query, "=")})
			if got.status != http.StatusOK {
				t.Fatalf("status %d: %s", got.status, got.body)
			}
			var list ordersResponse
			got.decode(t, &list)
			var gotIDs []string
			for _, o := range list.Orders {
				gotIDs = append(gotIDs, o.ID)
			}
			if fmt.Sprint(gotIDs) != fmt.Sprint(tc.want) {
				t.Errorf("got %v, want %v", gotIDs, tc.want)
			}
		})
	}
}

func TestGetStock(t *testing.T) {
	e := newEnv(t)
	for sku, l := range map[string]stock.Level{"SKU-1": {OnHand: 10, Reserved: 3}, "SKU-2": {OnHand: 2, Reserved: 5}} {
		err := e.stock.UpdateLevel(context.Background(), sku, func(stored *stock.Level) error {
			stored.OnHand, stored.Reserved = l.OnHand, l.Reserved
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		sku  string
		want stockResponse
	}{
		{"SKU-1", stockResponse{SKU: "SKU-1", OnHand: 10, Reserved: 3, Available: 7}},
		// A count below what is reserved: nothing available, never a negative amount.
		{"SKU-2", stockResponse{SKU: "SKU-2", OnHand: 2, Reserved: 5, Available: 0}},
		{"never-stocked", stockResponse{SKU: "never-stocked"}},
	} {
		got := e.do(request{method: http.MethodGet, path: "/stock/" + tc.sku, validRequest: true})
		var s stockResponse
		got.decode(t, &s)
		if got.status != http.StatusOK || s != tc.want {
			t.Errorf("GET /stock/%s: %d %+v, want %+v", tc.sku, got.status, s, tc.want)
		}
	}
}

func TestHealth(t *testing.T) {
	var deadlineSet bool
	ok := ReadinessCheck{Name: "kafka", Check: func(ctx context.Context) error {
		_, deadlineSet = ctx.Deadline()
		return nil
	}}
	failing := ReadinessCheck{Name: "database", Check: func(context.Context) error { return errors.New("connection refused") }}
	alsoFailing := ReadinessCheck{Name: "cache", Check: func(context.Context) error { return errors.New("timeout") }}

	t.Run("healthz", func(t *testing.T) {
		got := newEnv(t, failing).do(request{method: http.MethodGet, path: "/healthz", validRequest: true})
		if got.status != http.StatusOK || !bytes.Contains(got.body, []byte(`"status":"ok"`)) {
			t.Errorf("%d %s", got.status, got.body)
		}
	})
	for _, tc := range []struct {
		name   string
		checks []ReadinessCheck
		failed []string
	}{
		{"no checks", nil, nil},
		{"ready", []ReadinessCheck{ok}, nil},
		{"one failing", []ReadinessCheck{ok, failing}, []string{"database"}},
		{"two failing", []ReadinessCheck{failing, ok, alsoFailing}, []string{"database", "cache"}},
	} {
		t.Run("readyz "+tc.name, func(t *testing.T) {
			got := newEnv(t, tc.checks...).do(request{method: http.MethodGet, path: "/readyz", validRequest: true})
			if len(tc.failed) == 0 {
				var r struct {
					Status string            `json:"status"`
					Checks map[string]string `json:"checks"`
				}
				got.decode(t, &r)
				if got.status != http.StatusOK || r.Status != "ready" || len(r.Checks) != len(tc.checks) {
					t.Errorf("%d %s", got.status, got.body)
				}
				return
			}
			p := checkProblem(t, got, http.StatusServiceUnavailable, "/readyz")
			for _, name := range tc.failed {
				if !hasField(p, name) {
					t.Errorf("problem does not name %s: %+v", name, p)
				}
			}
			if len(p.Errors) != len(tc.failed) {
				t.Errorf("problem names %d failures, want %d", len(p.Errors), len(tc.failed))
			}
		})
	}
	if !deadlineSet {
		t.Error("readiness checks get no deadline")
	}
}

// TestFieldNamesAreCaseSensitive checks that a field spelled in another case is refused as
// unknown, as openapi.yaml (additionalProperties: false) says.
func TestFieldNamesAreCaseSensitive(t *testing.T) {
	e := newEnv(t)
	body := `{"CUSTOMER_ID":"c","Items":[{"SKU":"a","quantity":1}]}`
	got := e.do(request{method: http.MethodPost, path: "/orders", body: []byte(body), invalidRequest: true})
	checkProblem(t, got, http.StatusBadRequest, "/orders")
	if n := e.sender.attemptCount(); n != 0 {
		t.Errorf("sent %d commands", n)
	}
}

func TestProfilingIsOffUnlessEnabled(t *testing.T) {
	for _, enabled := range []bool{false, true} {
		s := NewServer(&fakeSender{}, app.New(memory.NewAdapters()).Queries, nil, slog.New(slog.DiscardHandler))
		if enabled {
			s.EnableProfiling()
		}
		srv := httptest.NewServer(s.Handler())
		for _, path := range []string{"/debug/pprof/", "/debug/pprof/heap", "/debug/pprof/goroutine"} {
			resp, err := http.Get(srv.URL + path)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			want := http.StatusNotFound
			if enabled {
				want = http.StatusOK
			}
			if resp.StatusCode != want {
				t.Errorf("enabled=%v: GET %s = %d, want %d", enabled, path, resp.StatusCode, want)
			}
		}
		srv.Close()
	}
}
