package http

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/example/orders-service/app/query"
	"github.com/example/orders-service/domain/order"
)

type orderResponse struct {
	ID         string            `json:"id"`
	CustomerID string            `json:"customer_id"`
	Items      []order.Line      `json:"items"`
	Status     order.Status      `json:"status"`
	Reason     string            `json:"reason,omitempty"`
	CreatedAt  time.Time         `json:"created_at"`
	UpdatedAt  time.Time         `json:"updated_at"`
	Refusals   []refusalResponse `json:"refused_commands,omitempty"`
}

type refusalResponse struct {
	Command string    `json:"command"`
	Reason  string    `json:"reason"`
	At      time.Time `json:"at"`
}

type ordersResponse struct {
	Orders []orderResponse `json:"orders"`
}

type stockResponse struct {
	SKU       string `json:"sku"`
	Available int    `json:"available"`
	Reserved  int    `json:"reserved"`
	OnHand    int    `json:"on_hand"`
}

func toOrderResponse(v query.OrderView) orderResponse {
	r := orderResponse{
		ID: v.ID, CustomerID: v.CustomerID, Items: v.Items, Status: v.Status, Reason: v.Reason,
		CreatedAt: v.CreatedAt, UpdatedAt: v.UpdatedAt,
	}
	if r.Items == nil {
		r.Items = []order.Line{}
	}
	for _, ref := range v.Refusals {
		r.Refusals = append(r.Refusals, refusalResponse{Command: ref.Command, Reason: ref.Reason, At: ref.At})
	}
	return r
}

// getOrder answers with the order and its ETag; 304 when If-None-Match has that ETag.
// With `Prefer: wait=N` it first waits, up to N seconds (bounded by the maximum), for the
// order to exist with an ETag If-None-Match does not have: a long poll.
func (s *Server) getOrder(c echo.Context) error {
	orderID, err := parseOrderID(c.Param("id"))
	if err != nil {
		return err
	}
	req := c.Request()
	// The answer depends on Prefer (RFC 7240 section 2), and a stored answer is stale as
	// soon as the saga moves on: caches must revalidate.
	c.Response().Header().Set("Vary", "Prefer")
	c.Response().Header().Set("Cache-Control", "no-cache")
	inm := parseIfNoneMatch(req.Header)
	var v query.OrderView
	if wait := s.honouredWait(req.Header); wait > 0 {
		applyWait(c, wait)
		v, err = s.waitOrder(c, orderID, func(v query.OrderView) bool { return inm.match(v.Revision()) }, wait)
	} else {
		v, err = s.queries.Order.Handle(req.Context(), orderID)
	}
	if errors.Is(err, query.ErrNotFound) {
		return newProblem(http.StatusNotFound, "no order "+orderID+" (an order just accepted appears within moments)")
	}
	if err != nil {
		if req.Context().Err() != nil {
			return nil // the client went away: nobody to answer
		}
		return err
	}
	c.Response().Header().Set("ETag", etag(v))
	if inm.match(v.Revision()) {
		return c.NoContent(http.StatusNotModified)
	}
	return c.JSON(http.StatusOK, toOrderResponse(v))
}

func (s *Server) listOrders(c echo.Context) error {
	var f query.OrderFilter
	var fields []FieldError
	if raw := c.QueryParam("status"); raw != "" {
		st, err := order.ParseStatus(raw)
		if err != nil {
			fields = append(fields, FieldError{"status", "must be one of pending, confirmed, rejected, cancelled, shipped"})
		}
		f.Status = st
	}
	if raw := c.QueryParam("limit"); raw != "" {
		n, err := strconv.Atoi(raw)
		if err != nil || n < 1 || n > query.MaxListLimit {
			fields = append(fields, FieldError{"limit", "must be an integer between 1 and " + strconv.Itoa(query.MaxListLimit)})
		}
		f.Limit = n
	}
	if len(fields) > 0 {
		return newProblem(http.StatusBadRequest, "invalid query: "+fields[0].Field+" "+fields[0].Detail, fields...)
	}
	views, err := s.queries.Orders.Handle(c.Request().Context(), f)
	if err != nil {
		return err
	}
	resp := ordersResponse{Orders: make([]orderResponse, len(views))}
	for i, v := range views {
		resp.Orders[i] = toOrderResponse(v)
	}
	return c.JSON(http.StatusOK, resp)
}

func (s *Server) getStock(c echo.Context) error {
	sku, err := parseSKU(c)
	if err != nil {
		return err
	}
	l, err := s.queries.Stock.Handle(c.Request().Context(), sku)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, stockResponse{SKU: l.SKU, Available: l.Available(), Reserved: l.Reserved, OnHand: l.OnHand})
}
