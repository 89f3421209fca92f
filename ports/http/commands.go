package http

import (
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/example/orders-service/app/bus"
	"github.com/example/orders-service/app/command"
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
	return s.acceptOrderCommand(c, orderID, command.PlaceOrder{OrderID: orderID, CustomerID: customerID, Items: order.ItemsFromLines(lines)})
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
