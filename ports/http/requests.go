package http

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/example/orders-service/domain/order"
	"github.com/example/orders-service/domain/stock"
)

type placeOrderRequest struct {
	CustomerID *string `json:"customer_id"`
	// Pointers, so that a null item is told apart from {}: the first is a type error.
	Items []*placeOrderItem `json:"items"`
}

type placeOrderItem struct {
	SKU      *string      `json:"sku"`
	Quantity *jsonInteger `json:"quantity"`
}

// decodePlaceOrder turns a POST /orders body into validated domain values; every problem
// found is reported at once, field by field.
func decodePlaceOrder(body []byte) (customerID string, lines []order.Line, err error) {
	var req placeOrderRequest
	if err := decodeStrict(body, &req); err != nil {
		return "", nil, err
	}
	if i := slices.Index(req.Items, nil); i >= 0 {
		field := fmt.Sprintf("items[%d]", i)
		return "", nil, newProblem(http.StatusBadRequest, field+" must be an object, got null", FieldError{field, "must be an object, got null"})
	}
	var fields []FieldError
	if req.CustomerID == nil {
		fields = append(fields, FieldError{"customer_id", "is required"})
	} else if err := order.ValidateID("customer_id", *req.CustomerID); err != nil {
		fields = append(fields, FieldError{"customer_id", detailOf(err, "customer_id")})
	}
	switch {
	case req.Items == nil:
		fields = append(fields, FieldError{"items", "is required"})
	case len(req.Items) == 0 || len(req.Items) > order.MaxLines:
		fields = append(fields, FieldError{"items", fmt.Sprintf("must hold 1 to %d items, has %d", order.MaxLines, len(req.Items))})
	}
	seen := make(map[string]bool, len(req.Items))
	for i, it := range req.Items {
		if i >= order.MaxLines {
			break
		}
		name := fmt.Sprintf("items[%d]", i)
		switch {
		case it.SKU == nil:
			fields = append(fields, FieldError{name + ".sku", "is required"})
		case order.ValidateSKU("sku", *it.SKU) != nil:
			fields = append(fields, FieldError{name + ".sku", detailOf(order.ValidateSKU("sku", *it.SKU), "sku")})
		case seen[*it.SKU]:
			fields = append(fields, FieldError{name + ".sku", fmt.Sprintf("%q appears more than once; put the whole quantity on one item", *it.SKU)})
		default:
			seen[*it.SKU] = true
		}
		switch {
		case it.Quantity == nil:
			fields = append(fields, FieldError{name + ".quantity", "is required"})
		case !it.Quantity.within(order.MinQuantity, order.MaxQuantity):
			fields = append(fields, FieldError{name + ".quantity", fmt.Sprintf("must be between %d and %d, got %s", order.MinQuantity, order.MaxQuantity, it.Quantity)})
		}
		if it.SKU != nil && it.Quantity != nil {
			lines = append(lines, order.Line{SKU: *it.SKU, Quantity: it.Quantity.value})
		}
	}
	if len(fields) > 0 {
		return "", nil, validationProblem(fields)
	}
	return *req.CustomerID, lines, nil
}

type cancelOrderRequest struct {
	Reason string `json:"reason"`
}

const maxReasonLength = 1024

// decodeCancelOrder accepts an empty body or {"reason": "..."}.
func decodeCancelOrder(body []byte) (string, error) {
	if len(strings.TrimSpace(string(body))) == 0 {
		return "", nil
	}
	var req cancelOrderRequest
	if err := decodeStrict(body, &req); err != nil {
		return "", err
	}
	if len(req.Reason) > maxReasonLength {
		return "", validationProblem([]FieldError{{"reason", fmt.Sprintf("must be at most %d bytes", maxReasonLength)}})
	}
	return req.Reason, nil
}

// decodeEmpty accepts no body or an empty JSON object, for commands that carry nothing.
func decodeEmpty(body []byte) error {
	if len(strings.TrimSpace(string(body))) == 0 {
		return nil
	}
	var req struct{}
	return decodeStrict(body, &req)
}

type setStockRequest struct {
	Quantity *jsonInteger `json:"quantity"`
}

func decodeSetStock(body []byte) (int, error) {
	var req setStockRequest
	if err := decodeStrict(body, &req); err != nil {
		return 0, err
	}
	switch {
	case req.Quantity == nil:
		return 0, validationProblem([]FieldError{{"quantity", "is required"}})
	case !req.Quantity.within(0, stock.MaxLevel):
		return 0, validationProblem([]FieldError{{"quantity", fmt.Sprintf("must be between 0 and %d, got %s", stock.MaxLevel, req.Quantity)}})
	}
	return req.Quantity.value, nil
}

func validationProblem(fields []FieldError) error {
	parts := make([]string, len(fields))
	for i, f := range fields {
		parts[i] = f.Field + " " + f.Detail
	}
	return newProblem(http.StatusUnprocessableEntity, "invalid request: "+strings.Join(parts, "; "), fields...)
}

// detailOf keeps the rule of a domain validation error without its "invalid order: sku"
// prefix, since the field is reported beside it.
func detailOf(err error, what string) string {
	msg := strings.TrimPrefix(err.Error(), order.ErrInvalidOrder.Error()+": ")
	return strings.TrimPrefix(msg, what+" ")
}

// parseOrderID accepts only the UUIDs this service hands out.
func parseOrderID(raw string) (string, error) {
	id, err := uuid.Parse(raw)
	if err != nil || len(raw) != 36 {
		return "", newProblem(http.StatusNotFound, fmt.Sprintf("no order %q: order IDs are UUIDs", truncate(raw, 64)))
	}
	return id.String(), nil
}

// parseSKU takes the SKU from the path and checks it with the rule bodies are checked with.
// Echo routes on the escaped path (and leaves the parameter escaped) when the path has an
// escape Go would not have written, such as %2F or %41; otherwise on the decoded path.
// So the parameter is unescaped exactly when Echo did not, which decodes every spelling
// once: unescaping a decoded "%41" again would make /stock/%2541 the SKU "A".
func parseSKU(c echo.Context) (string, error) {
	sku := c.Param("sku")
	if c.Request().URL.RawPath != "" {
		unescaped, err := url.PathUnescape(sku)
		if err != nil {
			return "", newProblem(http.StatusBadRequest, fmt.Sprintf("invalid SKU in path: %v", err))
		}
		sku = unescaped
	}
	if err := order.ValidateSKU("sku", sku); err != nil {
		return "", newProblem(http.StatusBadRequest, "invalid SKU in path: sku "+detailOf(err, "sku"))
	}
	return sku, nil
}

// idempotencyNamespace scopes order IDs derived from Idempotency-Key headers.
var idempotencyNamespace = uuid.MustParse("5b0f8f5e-3c1a-4d7e-9a55-6f1f8f0d9a41")

const maxIdempotencyKeyLength = 255

// orderIDFor returns the ID of a new order: derived from the Idempotency-Key when there is
// one, so a retried request names the same order and the PlaceOrder handler, finding it
// already placed, places nothing twice, across restarts and instances; random otherwise.
// A key that is present must be usable: an empty one (HTTP strips the blanks around a
// value, so a blank one is empty too) is refused rather than taken as no key, which would
// give every retry a new order; so is a second key, which would leave the order ambiguous.
func orderIDFor(h http.Header) (string, error) {
	keys := h.Values("Idempotency-Key")
	if len(keys) == 0 {
		id, err := uuid.NewV7()
		if err != nil {
			return "", fmt.Errorf("generating order ID: %w", err)
		}
		return id.String(), nil
	}
	if len(keys) > 1 {
		return "", newProblem(http.StatusBadRequest, "send one Idempotency-Key, not several")
	}
	key := keys[0]
	if key == "" || len(key) > maxIdempotencyKeyLength || strings.ContainsFunc(key, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return "", newProblem(http.StatusBadRequest, fmt.Sprintf("Idempotency-Key must be 1 to %d bytes without control characters (or no header at all), not empty or blank", maxIdempotencyKeyLength))
	}
	return uuid.NewSHA1(idempotencyNamespace, []byte(key)).String(), nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
