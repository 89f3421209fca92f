package http

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
)

// serveOn serves the API over real TCP, on a listener wrapped or not, and returns its
// address.
func serveOn(t *testing.T, wrap bool) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: newEnv(t).server.Handler(), ReadHeaderTimeout: 5 * time.Second, MaxHeaderBytes: 1 << 10}
	served := net.Listener(ln)
	if wrap {
		served = WrapListener(ln)
	}
	go func() { _ = srv.Serve(served) }()
	t.Cleanup(func() { _ = srv.Close() })
	return ln.Addr().String()
}

// rawExchange writes raw requests on one connection and reads everything the server
// writes until it closes the connection (or the deadline passes).
func rawExchange(t *testing.T, addr string, raw string) []byte {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.SetDeadline(time.Now().Add(5 * time.Second)); err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(c, raw); err != nil {
		t.Fatal(err)
	}
	if cw, ok := c.(*net.TCPConn); ok {
		_ = cw.CloseWrite() // no more requests: the server closes once it answered
	}
	out, err := io.ReadAll(c)
	if err != nil && len(out) == 0 {
		t.Fatalf("reading the answer: %v", err)
	}
	return out
}

// TestUnparsableRequestIsAProblem sends requests net/http refuses before any handler runs
// over a real connection: each is answered as problem+json with a correlation ID.
func TestUnparsableRequestIsAProblem(t *testing.T) {
	addr := serveOn(t, true)
	problemSchema := specDoc(t).Components.Schemas["Problem"].Value
	tests := []struct {
		name   string
		raw    string
		status int
		detail string // the detail must say this
	}{
		{"bad percent-encoding", "GET /stock/%ZZ HTTP/1.1\r\nHost: x\r\n\r\n", 400, "invalid percent-encoding"},
		{"bad percent-encoding, with a body", "PUT /stock/%ZZ HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 14\r\n\r\n{\"quantity\":1}", 400, "malformed request line"},
		{"space in the path", "GET /a b HTTP/1.1\r\nHost: x\r\n\r\n", 400, "malformed request line"},
		{"garbage request line", "HELLO\r\n\r\n", 400, "malformed request line"},
		{"header line without colon", "GET /healthz HTTP/1.1\r\nHost: x\r\nno-colon\r\n\r\n", 400, "malformed"},
		{"missing Host", "GET /healthz HTTP/1.1\r\n\r\n", 400, "missing required Host header"},
		{"headers too large", "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + strings.Repeat("b", 16<<10) + "\r\n\r\n", 431, "headers are too large"},
		{"unsupported transfer coding", "POST /orders HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", 501, "Transfer-Encoding"},
		{"unsupported HTTP version", "GET /healthz HTTP/3.0\r\nHost: x\r\n\r\n", 505, "unsupported protocol version"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := rawExchange(t, addr, tc.raw)
			resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(out)), nil)
			if err != nil {
				t.Fatalf("not an HTTP response: %v\n%q", err, out)
			}
			body, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatalf("reading body: %v", err)
			}
			got := response{status: resp.StatusCode, header: resp.Header, body: body}
			p := checkProblem(t, got, tc.status, "")
			if !strings.Contains(p.Detail, tc.detail) {
				t.Errorf("detail %q does not say %q", p.Detail, tc.detail)
			}
			if _, err := uuid.Parse(got.header.Get(CorrelationHeader)); err != nil {
				t.Errorf("X-Correlation-ID %q is not a generated UUID", got.header.Get(CorrelationHeader))
			}
			if resp.ContentLength != int64(len(body)) || !resp.Close || resp.Header.Get("Date") == "" {
				t.Errorf("Content-Length %d for %d bytes, Connection: close %v, Date %q", resp.ContentLength, len(body), resp.Close, resp.Header.Get("Date"))
			}
			var v any
			if err := json.Unmarshal(body, &v); err != nil {
				t.Fatal(err)
			}
			if err := problemSchema.VisitJSON(v); err != nil {
				t.Errorf("body does not conform to the Problem schema: %v", err)
			}
		})
	}
}

// TestWrappedListenerKeepsNormalResponses checks that answers from handlers, on a connection
// that then sends an unparsable request, are byte for byte those of an unwrapped listener,
// and that the refusal after them is still replaced.
func TestWrappedListenerKeepsNormalResponses(t *testing.T) {
	requests := "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Correlation-ID: keep-1\r\n\r\n" +
		"GET /stock/%20 HTTP/1.1\r\nHost: x\r\nX-Correlation-ID: keep-2\r\n\r\n" +
		"HEAD /stock/sku-1 HTTP/1.1\r\nHost: x\r\nX-Correlation-ID: keep-3\r\n\r\n" +
		"GET /stock/%ZZ HTTP/1.1\r\nHost: x\r\n\r\n"
	date := regexp.MustCompile(`(?m)^Date: .*\r$`)
	plain := date.ReplaceAll(rawExchange(t, serveOn(t, false), requests), []byte("Date: -"))
	wrapped := date.ReplaceAll(rawExchange(t, serveOn(t, true), requests), []byte("Date: -"))
	refusal := []byte("HTTP/1.1 400 Bad Request" + refusalHeaders)
	i, j := bytes.Index(plain, refusal), bytes.LastIndex(wrapped, []byte("HTTP/1.1 400 Bad Request\r\n"))
	if i < 0 || j < 0 {
		t.Fatalf("no refusal at the end:\nplain   %q\nwrapped %q", plain, wrapped)
	}
	if !bytes.Equal(plain[:i], wrapped[:j]) {
		t.Errorf("the responses before the refusal differ:\nplain   %q\nwrapped %q", plain[:i], wrapped[:j])
	}
	if !bytes.Contains(wrapped[j:], []byte("Content-Type: "+problemContentType+"\r\n")) {
		t.Errorf("the refusal was not replaced: %q", wrapped[j:])
	}
}

// recordingConn is a net.Conn that keeps what is written to it.
type recordingConn struct {
	net.Conn // nil: only Write is called
	written  bytes.Buffer
}

func (c *recordingConn) Write(p []byte) (int, error) { return c.written.Write(p) }

// TestRefusalRecognition checks which writes are taken for net/http's refusals: exactly
// those it writes (built here as its conn.serve builds them), nothing else.
func TestRefusalRecognition(t *testing.T) {
	refusal := func(line, body string) string { return "HTTP/1.1 " + line + refusalHeaders + body }
	tests := []struct {
		name   string
		write  string
		status int // 0: passed through unchanged
	}{
		{"400", refusal("400 Bad Request", "400 Bad Request"), 400},
		{"400 with a reason", refusal("400 Bad Request: missing required Host header", "400 Bad Request: missing required Host header"), 400},
		{"431", refusal("431 Request Header Fields Too Large", "431 Request Header Fields Too Large"), 431},
		{"501", refusal("501 Not Implemented", "Unsupported transfer encoding"), 501},
		{"505", refusal("505 HTTP Version Not Supported: unsupported protocol version", "505 HTTP Version Not Supported: unsupported protocol version"), 505},
		{"a response with a Date", "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\nDate: Mon, 02 Mar 2026 10:00:00 GMT\r\n\r\n400 Bad Request", 0},
		{"a response of the API", "HTTP/1.1 400 Bad Request\r\nContent-Type: application/problem+json\r\nX-Correlation-Id: x\r\n\r\n{}", 0},
		{"another body", refusal("400 Bad Request", "something else"), 0},
		{"501 body on a 400", refusal("400 Bad Request", "Unsupported transfer encoding"), 0},
		{"a 200", refusal("200 OK", "200 OK"), 0},
		{"HTTP/1.0", "HTTP/1.0 400 Bad Request" + refusalHeaders + "400 Bad Request", 0},
		{"cut short", refusal("400 Bad Request", "400 Bad Request")[:40], 0},
		{"a body", `{"status":"ok"}`, 0},
		{"empty", "", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := &recordingConn{}
			c := &conn{Conn: rec}
			n, err := c.Write([]byte(tc.write))
			if err != nil || n != len(tc.write) {
				t.Fatalf("Write = %d, %v; want %d, nil", n, err, len(tc.write))
			}
			if tc.status == 0 {
				if rec.written.String() != tc.write {
					t.Errorf("wrote %q, want it unchanged", rec.written.String())
				}
				return
			}
			resp, err := http.ReadResponse(bufio.NewReader(&rec.written), nil)
			if err != nil {
				t.Fatalf("replacement is no HTTP response: %v", err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != tc.status || resp.Header.Get("Content-Type") != problemContentType {
				t.Errorf("replaced by %d %q, want %d problem+json", resp.StatusCode, resp.Header.Get("Content-Type"), tc.status)
			}
		})
	}
}

// BenchmarkConnWrite measures what the wrapper adds to a write of a normal response.
func BenchmarkConnWrite(b *testing.B) {
	resp := []byte("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Correlation-Id: abc\r\nDate: Mon, 02 Mar 2026 10:00:00 GMT\r\nContent-Length: 15\r\n\r\n" + `{"status":"ok"}`)
	for _, wrapped := range []bool{false, true} {
		b.Run(fmt.Sprintf("wrapped=%v", wrapped), func(b *testing.B) {
			var w net.Conn = &discardConn{}
			if wrapped {
				w = &conn{Conn: w}
			}
			b.SetBytes(int64(len(resp)))
			for b.Loop() {
				if _, err := w.Write(resp); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

type discardConn struct{ net.Conn }

func (discardConn) Write(p []byte) (int, error) { return len(p), nil }
