package http

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/example/orders-service/app/command"
	"github.com/example/orders-service/app/query"
	"github.com/example/orders-service/domain/order"
)

// POST /orders: place an order. Unlike the other commands its path names nothing: the
// order's ID comes from the Idempotency-Key (orderIDFor), and `Prefer: wait` may turn the
// 202 into the order's outcome.

type placeOrderRequest struct {
	CustomerID *string `json:"customer_id"`
	// Pointers, so that a null item is told apart from {}: the first is a type error.
	Items []*placeOrderItem `json:"items"`
}

type placeOrderItem struct {
	SKU      *string      `json:"sku"`
	Quantity *jsonInteger `json:"quantity"`
}

func (s *Server) placeOrder(c echo.Context) error {
	cmd, err := decodeCommand(c, func(req placeOrderRequest) (command.PlaceOrder, error) {
		customerID, lines, err := req.validate()
		if err != nil {
			return command.PlaceOrder{}, err
		}
		orderID, err := orderIDFor(c.Request().Header)
		if err != nil {
			return command.PlaceOrder{}, err
		}
		return command.PlaceOrder{OrderID: orderID, CustomerID: customerID, Items: lines}, nil
	})
	if err != nil {
		return err
	}
	wait := s.honouredWait(c.Request().Header)
	if err := s.send(c, cmd, placeOrderRetry(c.Request().Header)); err != nil {
		return err
	}
	if wait > 0 {
		return s.answerOutcome(c, cmd, wait)
	}
	return answerAccepted(c, cmd.OrderID)
}

// validate turns the body into the order's customer and lines by the domain's rules,
// reporting every rule broken at once, field by field. A null item is no item at all: 400,
// before any rule.
func (r placeOrderRequest) validate() (customerID string, lines []order.Line, err error) {
	if i := slices.Index(r.Items, nil); i >= 0 {
		field := fmt.Sprintf("items[%d]", i)
		return "", nil, newProblem(http.StatusBadRequest, field+" must be an object, got null", FieldError{field, "must be an object, got null"})
	}
	var broken fieldErrors
	if r.CustomerID == nil {
		broken.missing("customer_id")
	} else {
		broken.add(order.ValidateID("customer_id", *r.CustomerID))
	}
	if r.Items == nil {
		broken.missing("items")
	} else {
		broken.add(order.ValidateLineCount(len(r.Items)))
	}
	var skus order.DistinctSKUs
	// Too many items refuse the order whole; the first MaxLines are enough to report on.
	for i, it := range r.Items[:min(len(r.Items), order.MaxLines)] {
		field := fmt.Sprintf("items[%d]", i)
		if it.SKU == nil {
			broken.missing(field + ".sku")
		} else {
			broken.add(skus.Validate(field+".sku", *it.SKU))
		}
		if it.Quantity == nil {
			broken.missing(field + ".quantity")
		} else {
			broken.add(it.Quantity.check(field+".quantity", order.ValidateQuantity))
		}
		if it.SKU != nil && it.Quantity != nil {
			lines = append(lines, order.Line{SKU: *it.SKU, Quantity: it.Quantity.value})
		}
	}
	if err := broken.problem(); err != nil {
		return "", nil, err
	}
	return *r.CustomerID, lines, nil
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

// placeOrderRetry says how to retry a placement the broker did not take. It may have
// reached the broker all the same, so only a retry naming the same order, by the same
// Idempotency-Key, is sure to place it once.
func placeOrderRetry(h http.Header) string {
	if len(h.Values("Idempotency-Key")) > 0 {
		return "retry later with the same Idempotency-Key, so that the order is placed once even if this attempt reached the broker"
	}
	return "retry later, with an Idempotency-Key (the same on every retry), so that a retry cannot place the order twice"
}
