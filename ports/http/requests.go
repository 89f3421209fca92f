package http

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/example/orders-service/domain/order"
)

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
		return "", newProblem(http.StatusBadRequest, "invalid SKU in path: "+ruleBroken(err).String())
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
