package http

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/example/orders-service/app/bus"
	"github.com/example/orders-service/app/command"
	"github.com/example/orders-service/app/query"
	"github.com/example/orders-service/domain/order"
)

type acceptedOrder struct {
	OrderID       string `json:"order_id"`
	CorrelationID string `json:"correlation_id"`
}

type acceptedStock struct {
	SKU           string `json:"sku"`
	CorrelationID string `json:"correlation_id"`
}

func (s *Server) placeOrder(c echo.Context) error {
	body, err := readBody(c)
	if err != nil {
		return err
	}
	customerID, lines, err := decodePlaceOrder(body)
	if err != nil {
		return err
	}
	orderID, err := orderIDFor(c.Request().Header)
	if err != nil {
		return err
	}
	wait := s.honouredWait(c.Request().Header)
	cmd := command.PlaceOrder{OrderID: orderID, CustomerID: customerID, Items: lines}
	if err := s.send(c, cmd, placeOrderRetry(c.Request().Header)); err != nil {
		return err
	}
	if wait > 0 {
		return s.answerOutcome(c, cmd, wait)
	}
	return answerAccepted(c, orderID)
}

// answerOutcome answers a placed order with its outcome once the saga decided it (the
// order is no longer pending): 201 with the order, as GET /orders/{id} shows it. When the
// wait ends first, or the order cannot be read, the answer is the 202 it would have been
// without the wait: the command is in Kafka either way. An Idempotency-Key reused for
// another order names an order placed with other contents, which refuses this placement
// (as refused_commands shows): that is a 409, never that other order's 201.
func (s *Server) answerOutcome(c echo.Context, placed command.PlaceOrder, wait time.Duration) error {
	applyWait(c, wait)
	orderID := placed.OrderID
	c.Response().Header().Set(echo.HeaderLocation, "/orders/"+orderID)
	v, err := s.waitOrder(c, orderID, func(v query.OrderView) bool { return v.Status == order.StatusPending }, wait)
	ctx := c.Request().Context()
	switch {
	case ctx.Err() != nil:
		return nil // the client went away: nobody to answer
	case err == nil && (v.CustomerID != placed.CustomerID || !slices.Equal(v.Items, placed.Items)):
		return newProblem(http.StatusConflict, "the Idempotency-Key names order "+orderID+", placed with another customer or other items; this placement was refused")
	case err == nil && v.Status != order.StatusPending:
		c.Response().Header().Set("ETag", etag(v))
		return c.JSON(http.StatusCreated, toOrderResponse(v))
	case err != nil && !errors.Is(err, query.ErrNotFound):
		s.logger.WarnContext(ctx, "placed order accepted, but its outcome could not be read", "order_id", orderID, "err", err)
	}
	return answerAccepted(c, orderID)
}

func (s *Server) cancelOrder(c echo.Context) error {
	orderID, err := parseOrderID(c.Param("id"))
	if err != nil {
		return err
	}
	body, err := readBody(c)
	if err != nil {
		return err
	}
	reason, err := decodeCancelOrder(body)
	if err != nil {
		return err
	}
	return s.acceptOrderCommand(c, orderID, command.CancelOrder{OrderID: orderID, Reason: reason})
}

func (s *Server) shipOrder(c echo.Context) error {
	orderID, err := parseOrderID(c.Param("id"))
	if err != nil {
		return err
	}
	body, err := readBody(c)
	if err != nil {
		return err
	}
	if err := decodeEmpty(body); err != nil {
		return err
	}
	return s.acceptOrderCommand(c, orderID, command.ShipOrder{OrderID: orderID})
}

// acceptOrderCommand sends a command about one order and answers 202 pointing at the order.
// An order the read side does not know is answered 404 and nothing is sent: the command
// would only be refused on Kafka, where the client never learns of it.
func (s *Server) acceptOrderCommand(c echo.Context, orderID string, cmd bus.Message) error {
	if err := s.requireKnownOrder(c, orderID); err != nil {
		return err
	}
	if err := s.send(c, cmd, "retry later"); err != nil {
		return err
	}
	return answerAccepted(c, orderID)
}

// unknownOrderGrace bounds how long ship and cancel wait for an order the read side does not
// know yet (HTTP_MAX_WAIT bounds it too). The read side is eventually consistent: an order
// placed a moment ago becomes visible within milliseconds, and a client that cancels right
// after its 202 must not be told the order does not exist.
const unknownOrderGrace = 5 * time.Second

// requireKnownOrder waits up to the grace for the read side to know the order, and is 404
// when it still does not; 503 when the read side cannot answer.
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

// answerAccepted is the 202 of a command about an order, pointing at the order.
func answerAccepted(c echo.Context, orderID string) error {
	c.Response().Header().Set(echo.HeaderLocation, "/orders/"+orderID)
	return c.JSON(http.StatusAccepted, acceptedOrder{OrderID: orderID, CorrelationID: correlationIDFrom(c)})
}

func (s *Server) setStock(c echo.Context) error {
	sku, err := parseSKU(c)
	if err != nil {
		return err
	}
	body, err := readBody(c)
	if err != nil {
		return err
	}
	quantity, err := decodeSetStock(body)
	if err != nil {
		return err
	}
	if err := s.send(c, command.SetStockLevel{SKU: sku, Quantity: quantity}, "retry later"); err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, "/stock/"+sku)
	return c.JSON(http.StatusAccepted, acceptedStock{SKU: sku, CorrelationID: correlationIDFrom(c)})
}

// send returns only after the broker acknowledged the command; when it cannot, the client
// gets 503 with retry, which says how to retry safely.
func (s *Server) send(c echo.Context, cmd bus.Message, retry string) error {
	if err := s.commands.Send(c.Request().Context(), cmd); err != nil {
		s.logger.WarnContext(c.Request().Context(), "command not accepted by the broker",
			"type", cmd.MessageName(), "key", cmd.PartitionKey(), "correlation_id", correlationIDFrom(c), "err", err)
		c.Response().Header().Set("Retry-After", "1")
		return newProblem(http.StatusServiceUnavailable, fmt.Sprintf("the message broker did not accept the command (%s); %s", cmd.MessageName(), retry))
	}
	return nil
}

// placeOrderRetry says how to retry a placement the broker did not take. It may have
// reached the broker all the same, so only a retry naming the same order, by the same
// Idempotency-Key, is sure to place it once.
func placeOrderRetry(h http.Header) string {
	if len(h.Values("Idempotency-Key")) > 0 {
		return "retry later with the same Idempotency-Key, so that the order is placed once even if this attempt reached the broker"
	}
	return "retry later, with an Idempotency-Key (the same on every retry), so that a retry cannot place the order twice"
}
