package http

import (
	"bytes"
	"compress/gzip"
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"
)

func gzipped(t *testing.T, s string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if _, err := zw.Write([]byte(s)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestBodyMediaTypeAndCoding checks, on every endpoint that takes a body, that a body is
// read only when declared as JSON and sent uncompressed (415 otherwise, with nothing sent),
// and that an empty optional body needs no Content-Type.
func TestBodyMediaTypeAndCoding(t *testing.T) {
	id := uuid.NewString()
	endpoints := []struct {
		name, method, path, body string
		optional                 bool // the body may be left out
	}{
		{"place", http.MethodPost, "/orders", validOrder, false},
		{"cancel", http.MethodPost, "/orders/" + id + "/cancel", `{"reason":"r"}`, true},
		{"ship", http.MethodPost, "/orders/" + id + "/ship", `{}`, true},
		{"stock", http.MethodPut, "/stock/SKU-1", `{"quantity":1}`, false},
	}
	tests := []struct {
		name   string
		header map[string]string // "" leaves a header out
		gzip   bool              // gzip the body
		empty  bool              // send no body
		status int               // 0: the endpoint's success
		detail string            // a 415 detail must say this
	}{
		{"JSON", map[string]string{"Content-Type": "application/json"}, false, false, 0, ""},
		{"identity coding", map[string]string{"Content-Type": "application/json", "Content-Encoding": "identity"}, false, false, 0, ""},
		{"identity coding, upper case", map[string]string{"Content-Type": "application/json", "Content-Encoding": "IDENTITY"}, false, false, 0, ""},
		{"no Content-Type", map[string]string{"Content-Type": ""}, false, false, 415, "no Content-Type"},
		{"gzip", map[string]string{"Content-Type": "application/json", "Content-Encoding": "gzip"}, true, false, 415, `Content-Encoding "gzip" is not supported`},
		{"gzip, body not compressed", map[string]string{"Content-Type": "application/json", "Content-Encoding": "gzip"}, false, false, 415, `"gzip"`},
		{"br after identity", map[string]string{"Content-Type": "application/json", "Content-Encoding": "identity, br"}, false, false, 415, `"br"`},
		{"deflate, no Content-Type", map[string]string{"Content-Type": "", "Content-Encoding": "deflate"}, false, false, 415, `"deflate"`},
		{"empty body, no Content-Type", map[string]string{"Content-Type": ""}, false, true, 0, ""},
	}
	for _, ep := range endpoints {
		for _, tc := range tests {
			t.Run(ep.name+": "+tc.name, func(t *testing.T) {
				e := newEnv(t)
				seedOrder(t, e, pendingView(id))
				req := request{method: ep.method, path: ep.path, header: tc.header, body: []byte(ep.body)}
				switch {
				case tc.empty:
					req.body = nil
				case tc.gzip:
					req.body = gzipped(t, ep.body)
				}
				want := tc.status
				if want == 0 {
					want = http.StatusAccepted
					if tc.empty && !ep.optional {
						want = http.StatusBadRequest // a required body is missing
					}
				}
				req.validRequest = want == http.StatusAccepted && tc.header["Content-Encoding"] == ""
				// JSON Schema cannot speak of content codings; of media types it can.
				req.invalidRequest = want == http.StatusUnsupportedMediaType && tc.header["Content-Encoding"] == ""
				got := e.do(req)
				if want == http.StatusAccepted {
					if got.status != want {
						t.Fatalf("status %d, want %d: %s", got.status, want, got.body)
					}
					return
				}
				p := checkProblem(t, got, want, ep.path)
				if !strings.Contains(p.Detail, tc.detail) {
					t.Errorf("detail %q does not say %q", p.Detail, tc.detail)
				}
				if want == http.StatusUnsupportedMediaType && tc.header["Content-Encoding"] != "" && got.header.Get("Accept-Encoding") != "identity" {
					t.Errorf("Accept-Encoding %q, want identity", got.header.Get("Accept-Encoding"))
				}
				if n := e.sender.attemptCount(); n != 0 {
					t.Errorf("sent %d commands", n)
				}
			})
		}
	}
}
