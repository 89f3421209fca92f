package http

import (
	"context"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/example/orders-service/app/query"
)

// DefaultMaxWait bounds a `Prefer: wait` unless SetMaxWait says otherwise.
const DefaultMaxWait = 30 * time.Second

// waitSlack is how long after a wait the connection's deadlines still leave for writing
// the answer.
const waitSlack = 30 * time.Second

const (
	preferHeader            = "Prefer"
	preferenceAppliedHeader = "Preference-Applied"
)

// SetMaxWait bounds the wait a client may ask for with `Prefer: wait=N` on GET /orders/{id}
// and POST /orders;
// longer waits are shortened to it, and below one second no wait is honoured. Call it
// before serving.
func (s *Server) SetMaxWait(d time.Duration) { s.maxWait = d }

// StopWaiting ends every wait in progress, and the server honours no wait from then on:
// waiting requests are answered at once with the order as it is. Call it when shutting
// down (http.Server.RegisterOnShutdown), or a long poll holds the shutdown up.
func (s *Server) StopWaiting() { s.stopWaits() }

// honouredWait is the wait the request asks for with `Prefer: wait=N` (RFC 7240), bounded
// by the maximum, in whole seconds; zero when it asks for none, or for one the server
// does not honour.
func (s *Server) honouredWait(h http.Header) time.Duration {
	if s.waitsStopped.Err() != nil {
		return 0
	}
	secs, ok := preferredWait(h)
	if !ok || secs <= 0 {
		return 0
	}
	maxSecs := int64(s.maxWait / time.Second)
	return time.Duration(min(secs, maxSecs)) * time.Second
}

// applyWait says in the response that the wait was honoured, and for how long.
func applyWait(c echo.Context, wait time.Duration) {
	c.Response().Header().Set(preferenceAppliedHeader, "wait="+strconv.FormatInt(int64(wait/time.Second), 10))
}

// waitOrder waits up to wait for a view of the order that seen is false for.
func (s *Server) waitOrder(c echo.Context, orderID string, seen func(query.OrderView) bool, wait time.Duration) (query.OrderView, error) {
	req := c.Request()
	// The server's ReadTimeout and WriteTimeout count from the start of the request: they
	// would cut a long wait (an expired read deadline cancels the request's context).
	// Extending them for this request only keeps them tight for every other one.
	rc := http.NewResponseController(c.Response())
	deadline := time.Now().Add(wait + waitSlack)
	if err := rc.SetReadDeadline(deadline); err != nil {
		s.logger.DebugContext(req.Context(), "cannot extend the read deadline of a waiting request", "err", err)
	}
	if err := rc.SetWriteDeadline(deadline); err != nil {
		s.logger.DebugContext(req.Context(), "cannot extend the write deadline of a waiting request", "err", err)
	}

	s.waiting.Add(1)
	defer s.waiting.Add(-1)
	ctx, cancel := context.WithCancel(req.Context())
	defer cancel()
	defer context.AfterFunc(s.waitsStopped, cancel)()
	v, err := s.queries.WaitOrder.Handle(ctx, query.WaitOrder{
		OrderID: orderID,
		Seen:    seen,
		Wait:    wait,
	})
	if err != nil && ctx.Err() != nil && req.Context().Err() == nil {
		// Shutting down: answer with the order as it is now.
		return s.queries.Order.Handle(req.Context(), orderID)
	}
	return v, err
}

// etag is the strong entity tag of a view.
func etag(v query.OrderView) string { return `"` + v.Revision() + `"` }

// entityTags is a parsed If-None-Match: "*" or a list of entity tags, compared weakly (RFC
// 9110 13.1.2), that is by their opaque part whether weak or not.
type entityTags struct {
	any    bool
	opaque []string
}

// parseIfNoneMatch reads the If-None-Match headers; malformed members are ignored.
func parseIfNoneMatch(h http.Header) entityTags {
	var tags entityTags
	for _, value := range h.Values("If-None-Match") {
		for _, member := range splitList(value, ',') {
			member = strings.TrimSpace(member)
			if member == "*" {
				tags.any = true
				continue
			}
			member = strings.TrimPrefix(member, "W/")
			if len(member) < 2 || member[0] != '"' || member[len(member)-1] != '"' {
				continue
			}
			opaque := member[1 : len(member)-1]
			if strings.ContainsFunc(opaque, func(r rune) bool { return r == '"' || r < 0x21 || r == 0x7f }) {
				continue
			}
			tags.opaque = append(tags.opaque, opaque)
		}
	}
	return tags
}

// match reports whether a view of this revision is one the client has.
func (t entityTags) match(revision string) bool {
	if t.any {
		return true
	}
	for _, o := range t.opaque {
		if o == revision {
			return true
		}
	}
	return false
}

// preferredWait returns the wait preference of the request in seconds, and whether it has
// a valid one. Per RFC 7240 only the first occurrence of a preference counts, names are
// case-insensitive, other preferences and parameters are ignored, and so is an invalid
// wait. A value too large to hold is as good as infinite: it is bounded later.
//
//	Prefer     = 1#preference
//	preference = token [ BWS "=" BWS word ] *( OWS ";" [ OWS parameter ] )
//	wait       = "wait" "=" delta-seconds
func preferredWait(h http.Header) (int64, bool) {
	for _, value := range h.Values(preferHeader) {
		for _, pref := range splitList(value, ',') {
			pref, _, _ = cutUnquoted(pref, ';') // parameters
			name, val, hasVal := strings.Cut(pref, "=")
			name = strings.TrimSpace(name)
			if name == "" || !isToken(name) || !strings.EqualFold(name, "wait") {
				continue
			}
			if !hasVal {
				return 0, false
			}
			val = strings.TrimSpace(val)
			if len(val) >= 2 && val[0] == '"' && val[len(val)-1] == '"' {
				val = val[1 : len(val)-1]
			}
			if val == "" || strings.ContainsFunc(val, func(r rune) bool { return r < '0' || r > '9' }) {
				return 0, false
			}
			secs, err := strconv.ParseInt(val, 10, 64)
			if err != nil {
				secs = math.MaxInt64 // only digits: too large
			}
			return secs, true
		}
	}
	return 0, false
}

// splitList splits a header value at sep outside quoted strings.
func splitList(s string, sep byte) []string {
	var parts []string
	for {
		part, rest, found := cutUnquoted(s, sep)
		parts = append(parts, part)
		if !found {
			return parts
		}
		s = rest
	}
}

// cutUnquoted is strings.Cut at the first sep outside a quoted string (where a backslash
// escapes the next character).
func cutUnquoted(s string, sep byte) (before, after string, found bool) {
	quoted, escaped := false, false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case escaped:
			escaped = false
		case quoted && c == '\\':
			escaped = true
		case c == '"':
			quoted = !quoted
		case !quoted && c == sep:
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}

// isToken reports whether s is an RFC 9110 token.
func isToken(s string) bool {
	return !strings.ContainsFunc(s, func(r rune) bool {
		return r > 0x7e || r <= 0x20 || strings.ContainsRune(`"(),/:;<=>?@[\]{}`, r)
	})
}
