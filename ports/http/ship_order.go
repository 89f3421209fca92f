package http

import (
	"github.com/labstack/echo/v4"

	"github.com/example/orders-service/app/command"
)

// POST /orders/{id}/ship: ship an order. The body carries nothing: none, or {}.

type shipOrderRequest struct{}

func (shipOrderRequest) bodyIsOptional() {}

func (s *Server) shipOrder(c echo.Context) error {
	return acceptCommand(s, c, anOrder, func(orderID string, _ shipOrderRequest) (command.ShipOrder, error) {
		return command.ShipOrder{OrderID: orderID}, nil
	})
}
