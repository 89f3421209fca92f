// Package http is the HTTP port: an Echo server that validates requests, sends commands to
// Kafka, serves the read side, and answers every error as RFC 9457 problem+json.
package http

import (
	"context"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/example/orders-service/app"
	"github.com/example/orders-service/app/bus"
)

// MaxBodyBytes bounds every request body.
const MaxBodyBytes = 1 << 20

// ReadinessCheck is one dependency /readyz asks about.
type ReadinessCheck struct {
	Name  string
	Check func(context.Context) error
}

// Server is the HTTP API.
type Server struct {
	echo     *echo.Echo
	commands bus.CommandSender
	queries  app.Queries
	checks   []ReadinessCheck
	logger   *slog.Logger

	maxWait      time.Duration      // bound on `Prefer: wait`
	waitsStopped context.Context    // done once StopWaiting was called
	stopWaits    context.CancelFunc // ends waitsStopped
	waiting      atomic.Int64       // requests in a wait now (orders_http_waiting_requests)
}

// NewServer builds the API. Commands go out through commands (Kafka); reads come from queries.
func NewServer(commands bus.CommandSender, queries app.Queries, checks []ReadinessCheck, logger *slog.Logger) *Server {
	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	s := &Server{echo: e, commands: commands, queries: queries, checks: checks, logger: logger, maxWait: DefaultMaxWait}
	s.waitsStopped, s.stopWaits = context.WithCancel(context.Background())
	e.HTTPErrorHandler = s.errorHandler
	e.Use(correlation)
	e.Use(middleware.RecoverWithConfig(middleware.RecoverConfig{DisableStackAll: true, LogErrorFunc: s.logPanic}))
	e.Use(middleware.BodyLimit("1MiB"))

	e.POST("/orders", s.placeOrder)
	e.POST("/orders/:id/cancel", s.cancelOrder)
	e.POST("/orders/:id/ship", s.shipOrder)
	e.GET("/orders/:id", s.getOrder)
	e.GET("/orders", s.listOrders)
	e.PUT("/stock/:sku", s.setStock)
	e.GET("/stock/:sku", s.getStock)
	e.GET("/healthz", s.healthz)
	e.GET("/readyz", s.readyz)
	e.GET("/openapi.yaml", serveOpenAPI)
	return s
}

// Handler is the server as an http.Handler. Every GET route also answers HEAD.
func (s *Server) Handler() http.Handler { return headAsGet(s.echo) }

func (s *Server) logPanic(c echo.Context, err error, stack []byte) error {
	s.logger.ErrorContext(c.Request().Context(), "panic in HTTP handler", "path", c.Request().URL.Path,
		"correlation_id", correlationIDFrom(c), "err", err, "stack", string(stack))
	return err
}

func (s *Server) healthz(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}

// readyz asks every dependency, each within a short deadline, and answers 503 with the
// failing ones named when any is not ready.
func (s *Server) readyz(c echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), readinessTimeout)
	defer cancel()
	results := make(map[string]string, len(s.checks))
	var failed []FieldError
	for _, chk := range s.checks {
		if err := chk.Check(ctx); err != nil {
			results[chk.Name] = err.Error()
			failed = append(failed, FieldError{Field: chk.Name, Detail: err.Error()})
			continue
		}
		results[chk.Name] = "ok"
	}
	if len(failed) > 0 {
		return newProblem(http.StatusServiceUnavailable, "not ready: "+failed[0].Field+": "+failed[0].Detail, failed...)
	}
	return c.JSON(http.StatusOK, map[string]any{"status": "ready", "checks": results})
}
