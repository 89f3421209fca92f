package http

import (
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/example/orders-service/app/bus"
)

// acceptCommand is every command endpoint whose path names what the command is about (an
// order, a SKU): it reads the target from the path, decodes the body into the command with
// build (decodeCommand), checks the target is ready for it, sends it and answers 202
// pointing at the target. So a new such endpoint is a request type and a build function,
// and its answers, good or bad, are those of every other.
func acceptCommand[R any, C bus.Message](s *Server, c echo.Context, t target, build func(id string, req R) (C, error)) error {
	id, err := t.id(c)
	if err != nil {
		return err
	}
	cmd, err := decodeCommand(c, func(req R) (C, error) { return build(id, req) })
	if err != nil {
		return err
	}
	if t.ready != nil {
		if err := t.ready(s, c, id); err != nil {
			return err
		}
	}
	if err := s.send(c, cmd, "retry later"); err != nil {
		return err
	}
	return t.accepted(c, id)
}

// target is what a command endpoint's path names (targets.go has them).
type target struct {
	id       func(echo.Context) (string, error)        // reads it from the path: 404 or 400 when the path names none
	ready    func(*Server, echo.Context, string) error // nil, or whether a command about it may be sent now
	accepted func(echo.Context, string) error          // the 202, pointing at it
}

// decodeCommand reads the body of a command endpoint as its request type R and turns it into
// the command with build. So the API's rule for bad bodies holds on every endpoint:
// decodeRequest answers what cannot be read as R (400); build answers what breaks a rule
// (422), in the words of the domain's validators (rules.go).
func decodeCommand[R, C any](c echo.Context, build func(R) (C, error)) (C, error) {
	var zero C
	body, err := readBody(c)
	if err != nil {
		return zero, err
	}
	req, err := decodeRequest[R](body)
	if err != nil {
		return zero, err
	}
	return build(req)
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
