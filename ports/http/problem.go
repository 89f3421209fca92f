package http

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"
)

// Problem is an RFC 9457 problem details body. Every error the API returns is one.
type Problem struct {
	Type          string       `json:"type"`
	Title         string       `json:"title"`
	Status        int          `json:"status"`
	Detail        string       `json:"detail,omitempty"`
	Instance      string       `json:"instance,omitempty"`
	CorrelationID string       `json:"correlation_id,omitempty"`
	Errors        []FieldError `json:"errors,omitempty"`
}

// FieldError points at one bad part of a request.
type FieldError struct {
	Field  string `json:"field"`
	Detail string `json:"detail"`
}

const problemContentType = "application/problem+json"

// problemError is an error that knows its problem response.
type problemError struct {
	status int
	detail string
	errors []FieldError
}

func (e *problemError) Error() string { return e.detail }

func newProblem(status int, detail string, fields ...FieldError) *problemError {
	return &problemError{status: status, detail: detail, errors: fields}
}

// errorHandler renders every error as problem+json: the API's own errors, Echo's (unknown
// route, wrong method, body too large) and anything unexpected, which is logged and
// answered as a 500 without internals.
func (s *Server) errorHandler(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	p := Problem{Instance: c.Request().URL.Path, CorrelationID: correlationIDFrom(c)}
	var pe *problemError
	var he *echo.HTTPError
	switch {
	case errors.As(err, &pe):
		p.Status, p.Detail, p.Errors = pe.status, pe.detail, pe.errors
	case errors.As(err, &he):
		p.Status = he.Code
		p.Detail = echoDetail(he)
	default:
		s.logger.ErrorContext(c.Request().Context(), "request failed", "path", p.Instance, "correlation_id", p.CorrelationID, "err", err)
		p.Status = http.StatusInternalServerError
		p.Detail = "internal error; quote the correlation ID when reporting it"
	}
	p.Title = http.StatusText(p.Status)
	p.Type = "about:blank"
	c.Response().Header().Set(echo.HeaderContentType, problemContentType)
	c.Response().WriteHeader(p.Status)
	_ = c.Echo().JSONSerializer.Serialize(c, p, "")
}

func echoDetail(he *echo.HTTPError) string {
	switch he.Code {
	case http.StatusNotFound:
		return "no such resource"
	case http.StatusMethodNotAllowed:
		return "method not allowed on this resource"
	case http.StatusRequestEntityTooLarge:
		return "request body is larger than 1 MiB"
	}
	if msg, ok := he.Message.(string); ok {
		return msg
	}
	return http.StatusText(he.Code)
}
