package http

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/example/orders-service/app/query"
)

// The targets of command endpoints: what a path names, and where the 202 points.
var (
	// anOrder is /orders/{id}/...: a UUID (404 otherwise) of an order the read side knows.
	anOrder = target{id: orderIDInPath, ready: (*Server).requireKnownOrder, accepted: answerAccepted}
	// aSKU is /stock/{sku}.
	aSKU = target{id: parseSKU, accepted: answerStockAccepted}
)

type acceptedOrder struct {
	OrderID       string `json:"order_id"`
	CorrelationID string `json:"correlation_id"`
}

type acceptedStock struct {
	SKU           string `json:"sku"`
	CorrelationID string `json:"correlation_id"`
}

func orderIDInPath(c echo.Context) (string, error) { return parseOrderID(c.Param("id")) }

// answerAccepted is the 202 of a command about an order, pointing at the order.
func answerAccepted(c echo.Context, orderID string) error {
	c.Response().Header().Set(echo.HeaderLocation, "/orders/"+orderID)
	return c.JSON(http.StatusAccepted, acceptedOrder{OrderID: orderID, CorrelationID: correlationIDFrom(c)})
}

// answerStockAccepted is the 202 of a command about a SKU's stock, pointing at the level.
func answerStockAccepted(c echo.Context, sku string) error {
	c.Response().Header().Set(echo.HeaderLocation, "/stock/"+sku)
	return c.JSON(http.StatusAccepted, acceptedStock{SKU: sku, CorrelationID: correlationIDFrom(c)})
}

// unknownOrderGrace bounds how long ship and cancel wait for an order the read side does not
// know yet (HTTP_MAX_WAIT bounds it too). The read side is eventually consistent: an order
// placed a moment ago becomes visible within milliseconds, and a client that cancels right
// after its 202 must not be told the order does not exist.
const unknownOrderGrace = 5 * time.Second

// requireKnownOrder waits up to the grace for the read side to know the order, and is 404
// when it still does not; 503 when the read side cannot answer. An unknown order is refused
// here, with nothing sent, because on Kafka the command would only be refused where the
// client never learns of it.
func (s *Server) requireKnownOrder(c echo.Context, orderID string) error {
	grace := min(s.maxWait, unknownOrderGrace)
	ctx, cancel := context.WithCancel(c.Request().Context())
	defer cancel()
	defer context.AfterFunc(s.waitsStopped, cancel)()
	_, err := s.queries.WaitOrder.Handle(ctx, query.WaitOrder{OrderID: orderID, Wait: grace})
	switch {
	case err == nil:
		return nil
	case errors.Is(err, query.ErrNotFound):
		return newProblem(http.StatusNotFound, fmt.Sprintf("no order %s is known (waited %s); an order accepted moments ago may not be visible yet, so retry shortly if you just placed it", orderID, grace))
	default:
		s.logger.WarnContext(c.Request().Context(), "cannot tell whether an order exists; the command is not sent",
			"order_id", orderID, "correlation_id", correlationIDFrom(c), "err", err)
		c.Response().Header().Set("Retry-After", "1")
		return newProblem(http.StatusServiceUnavailable, "the order's state cannot be read right now; nothing was sent, retry later")
	}
}
