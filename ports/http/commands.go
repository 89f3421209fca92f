package http

import (
	"errors"
	"fmt"
	"io"
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
	orderID, err := orderIDFor(c.Request().Header.Get("Idempotency-Key"))
	if err != nil {
		return err
	}
	wait := s.honouredWait(c.Request().Header)
	cmd := command.PlaceOrder{OrderID: orderID, CustomerID: customerID, Items: order.ItemsFromLines(lines)}
	if err := s.send(c, cmd); err != nil {
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
func (s *Server) acceptOrderCommand(c echo.Context, orderID string, cmd bus.Message) error {
	if err := s.send(c, cmd); err != nil {
		return err
	}
	return answerAccepted(c, orderID)
}

// answerAccepted is the 202 of a command about an order, pointing at the order.
func answerAccepted(c echo.Context, orderID string) error {
	c.Response().Header().Set(echo.HeaderLocation, "/orders/"+orderID)
	return c.JSON(http.StatusAccepted, acceptedOrder{OrderID: orderID, CorrelationID: correlationIDFrom(c)})
}

func (s *Server) setStock(c echo.Context) error {
	sku, err := parseSKU(c.Param("sku"))
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
	if err := s.send(c, command.SetStockLevel{SKU: sku, Quantity: quantity}); err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, "/stock/"+sku)
	return c.JSON(http.StatusAccepted, acceptedStock{SKU: sku, CorrelationID: correlationIDFrom(c)})
}

// send returns only after the broker acknowledged the command; when it cannot, the client
// gets 503 and may retry (with the same Idempotency-Key for orders).
func (s *Server) send(c echo.Context, cmd bus.Message) error {
	if err := s.commands.Send(c.Request().Context(), cmd); err != nil {
		s.logger.WarnContext(c.Request().Context(), "command not accepted by the broker",
			"type", cmd.MessageName(), "key", cmd.PartitionKey(), "correlation_id", correlationIDFrom(c), "err", err)
		c.Response().Header().Set("Retry-After", "1")
		return newProblem(http.StatusServiceUnavailable, fmt.Sprintf("the message broker did not accept the command; retry later (%s)", cmd.MessageName()))
	}
	return nil
}

// readBody reads the body (bounded by the BodyLimit middleware) and checks that a body, when
// there is one, is declared as JSON.
func readBody(c echo.Context) ([]byte, error) {
	body, err := io.ReadAll(c.Request().Body)
	if err != nil {
		var he *echo.HTTPError
		if errors.As(err, &he) {
			return nil, he
		}
		return nil, newProblem(http.StatusBadRequest, "could not read the request body: "+err.Error())
	}
	if len(body) > 0 {
		if ct := c.Request().Header.Get(echo.HeaderContentType); ct != "" && !isJSON(ct) {
			return nil, newProblem(http.StatusUnsupportedMediaType, fmt.Sprintf("Content-Type %q is not supported; send application/json", truncate(ct, 64)))
		}
	}
	return body, nil
}
