package http

import (
	"regexp"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/example/orders-service/app/bus"
)

// CorrelationHeader carries the ID that ties a request to every message it causes.
const CorrelationHeader = "X-Correlation-ID"

// A caller's correlation ID is used only when it is safe to put in headers and logs.
var safeCorrelationID = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,128}$`)

const correlationCtxKey = "correlation_id"

// correlation takes the caller's X-Correlation-ID when safe, else makes one, puts it into
// the request context (so the command bus stamps it on the message) and echoes it back.
func correlation(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		id := c.Request().Header.Get(CorrelationHeader)
		if !safeCorrelationID.MatchString(id) {
			id = uuid.NewString()
		}
		c.Set(correlationCtxKey, id)
		c.Response().Header().Set(CorrelationHeader, id)
		req := c.Request()
		c.SetRequest(req.WithContext(bus.WithCorrelationID(req.Context(), id)))
		return next(c)
	}
}

func correlationIDFrom(c echo.Context) string {
	id, _ := c.Get(correlationCtxKey).(string)
	return id
}
