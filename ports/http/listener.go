package http

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/google/uuid"
)

// WrapListener makes the HTTP server on l answer a request it cannot parse (a malformed
// request line, such as a path with a bad percent-encoding like /stock/%ZZ, or malformed
// headers) the way the API answers every error: application/problem+json with an
// X-Correlation-ID. net/http refuses such a request before any handler runs, and no hook
// lets a program answer it: the server writes a fixed plain-text response straight to the
// connection (net/http's conn.serve). So the connection recognises that response, written
// in one Write and byte for byte fixed apart from its status line, and writes a problem in
// its place; every other write passes through untouched.
//
// Serve plain HTTP on it: http.Server.Serve(WrapListener(l)). Under TLS it would see only
// ciphertext, so it would change nothing.
func WrapListener(l net.Listener) net.Listener { return &listener{Listener: l} }

type listener struct{ net.Listener }

func (l *listener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err // unwrapped: http.Server retries on temporary errors
	}
	return &conn{Conn: c}, nil
}

// conn replaces net/http's plain-text refusals of unparsable requests with problems.
type conn struct{ net.Conn }

func (c *conn) Write(p []byte) (int, error) {
	status, reason, ok := parseRefusal(p)
	if !ok {
		return c.Conn.Write(p)
	}
	if _, err := c.Conn.Write(refusalProblem(status, reason)); err != nil {
		return 0, fmt.Errorf("writing the problem for an unparsable request: %w", err)
	}
	return len(p), nil
}

// ReadFrom keeps net/http's sendfile and splice path, which it takes only when the
// connection is an io.ReaderFrom; bodies copied that way are never refusals.
func (c *conn) ReadFrom(r io.Reader) (int64, error) { return io.Copy(c.Conn, r) }

// CloseWrite keeps net/http's graceful close after a refusal (it half-closes a connection
// that can, then lets the client read the answer before closing it entirely).
func (c *conn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// net/http writes every refusal as "HTTP/1.1 <status line>" + refusalHeaders + a body that
// repeats the status line, or, for a 501, names the unsupported transfer coding. A response
// of the API never has these headers right after its status line: it carries an
// X-Correlation-ID, and net/http adds a Date before Connection.
const (
	refusalProto   = "HTTP/1.1 "
	refusalHeaders = "\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n"
	refusal501Body = "Unsupported transfer encoding"
)

// parseRefusal recognises net/http's refusal of a request it could not parse: its status,
// and the reason net/http gave, if any ("missing required Host header"). It compares a few
// bytes only for any other write, so normal responses are not slowed.
func parseRefusal(p []byte) (status int, reason string, ok bool) {
	rest, found := bytes.CutPrefix(p, []byte(refusalProto))
	if !found {
		return 0, "", false
	}
	end := bytes.IndexByte(rest, '\r')
	if end < 0 {
		return 0, "", false
	}
	line, body := rest[:end], rest[end:]
	body, found = bytes.CutPrefix(body, []byte(refusalHeaders))
	if !found {
		return 0, "", false
	}
	code, text, _ := bytes.Cut(line, []byte(" "))
	status, err := strconv.Atoi(string(code))
	switch {
	case err != nil || len(code) != 3 || status < 400 || status > 599:
		return 0, "", false
	case !bytes.Equal(body, line) && (status != http.StatusNotImplemented || string(body) != refusal501Body):
		return 0, "", false
	}
	_, why, _ := bytes.Cut(text, []byte(": "))
	return status, string(why), true
}

// refusalProblem is the complete response that takes the place of a refusal. No request
// was read, so the correlation ID is a new one, and the connection closes, as net/http
// closes it after a refusal.
func refusalProblem(status int, reason string) []byte {
	p := Problem{
		Type:          "about:blank",
		Title:         http.StatusText(status),
		Status:        status,
		Detail:        refusalDetail(status, reason),
		CorrelationID: uuid.NewString(),
	}
	body, err := json.Marshal(p)
	if err != nil {
		panic(fmt.Sprintf("encoding a problem: %v", err)) // strings and ints only: cannot fail
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "HTTP/1.1 %d %s\r\n", status, http.StatusText(status))
	fmt.Fprintf(&b, "Content-Type: %s\r\n", problemContentType)
	fmt.Fprintf(&b, "%s: %s\r\n", CorrelationHeader, p.CorrelationID)
	fmt.Fprintf(&b, "Date: %s\r\n", time.Now().UTC().Format(http.TimeFormat))
	fmt.Fprintf(&b, "Content-Length: %d\r\n", len(body))
	b.WriteString("Connection: close\r\n\r\n")
	b.Write(body)
	return b.Bytes()
}

func refusalDetail(status int, reason string) string {
	switch {
	case status == http.StatusRequestHeaderFieldsTooLarge:
		return "the request headers are too large; nothing was processed"
	case status == http.StatusNotImplemented:
		return "the request's Transfer-Encoding is not supported; send the body with Content-Length or chunked"
	case reason != "":
		return "the request could not be parsed: " + reason + "; nothing was processed"
	}
	return "the request could not be parsed: a malformed request line (such as an invalid percent-encoding like %ZZ in the path) or malformed headers; nothing was processed"
}
