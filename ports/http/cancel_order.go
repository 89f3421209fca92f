package http

import (
	"github.com/labstack/echo/v4"

	"github.com/example/orders-service/app/command"
	"github.com/example/orders-service/domain/order"
)

// POST /orders/{id}/cancel: cancel an order, saying why or not.

type cancelOrderRequest struct {
	Reason string `json:"reason"`
}

func (cancelOrderRequest) bodyIsOptional() {}

func (s *Server) cancelOrder(c echo.Context) error {
	return acceptCommand(s, c, anOrder, func(orderID string, req cancelOrderRequest) (command.CancelOrder, error) {
		if err := brokenRules(order.ValidateReason("reason", req.Reason)); err != nil {
			return command.CancelOrder{}, err
		}
		return command.CancelOrder{OrderID: orderID, Reason: req.Reason}, nil
	})
}
