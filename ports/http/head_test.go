package http

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"
)

// TestHeadAnswersAsGet checks that HEAD on every GET route, the routes registered now and
// any added later, answers with GET's status and headers and no body.
func TestHeadAnswersAsGet(t *testing.T) {
	e := newEnv(t)
	known := uuid.NewString()
	seedOrder(t, e, confirmedView(known))
	etagOfKnown := e.do(request{method: http.MethodGet, path: "/orders/" + known}).header.Get("ETag")
	concrete := strings.NewReplacer(":id", known, ":sku", "SKU-1")

	type tc struct {
		name   string
		path   string
		header map[string]string
		status int
	}
	var tests []tc
	for _, r := range e.server.echo.Routes() {
		if r.Method == http.MethodGet {
			tests = append(tests, tc{"route " + r.Path, concrete.Replace(r.Path), nil, http.StatusOK})
		}
	}
	if len(tests) < 6 {
		t.Fatalf("found %d GET routes", len(tests))
	}
	tests = append(tests,
		tc{"not modified", "/orders/" + known, map[string]string{"If-None-Match": etagOfKnown}, http.StatusNotModified},
		tc{"unknown order", "/orders/" + uuid.NewString(), nil, http.StatusNotFound},
		tc{"order ID not a UUID", "/orders/x", nil, http.StatusNotFound},
		tc{"invalid SKU", "/stock/%FF", nil, http.StatusBadRequest},
		tc{"invalid query", "/orders?limit=0", nil, http.StatusBadRequest},
	)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			header := map[string]string{CorrelationHeader: "head-test"}
			for k, v := range tc.header {
				header[k] = v
			}
			get := e.do(request{method: http.MethodGet, path: tc.path, header: header})
			head := e.do(request{method: http.MethodHead, path: tc.path, header: header})
			if get.status != tc.status || head.status != tc.status {
				t.Fatalf("GET %d, HEAD %d, want %d: %s", get.status, head.status, tc.status, get.body)
			}
			if len(head.body) != 0 {
				t.Errorf("HEAD has a body: %q", head.body)
			}
			for _, h := range []string{"Content-Type", "Content-Length", "ETag", "Vary", "Cache-Control", CorrelationHeader} {
				if g, hd := get.header.Get(h), head.header.Get(h); g != hd {
					t.Errorf("%s: GET %q, HEAD %q", h, g, hd)
				}
			}
		})
	}
}

// TestHeadWhereNoGet checks that HEAD is answered only where GET is: elsewhere it is 405
// (the route exists) or 404, as GET would be.
func TestHeadWhereNoGet(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		path   string
		status int
	}{
		{"/orders/" + uuid.NewString() + "/ship", http.StatusMethodNotAllowed},
		{"/orders/" + uuid.NewString() + "/cancel", http.StatusMethodNotAllowed},
		{"/nowhere", http.StatusNotFound},
	} {
		got := e.do(request{method: http.MethodHead, path: tc.path, noRoute: true})
		if got.status != tc.status || got.header.Get("Content-Type") != problemContentType || len(got.body) != 0 {
			t.Errorf("HEAD %s: %d %q, %d bytes; want %d problem+json headers, no body", tc.path, got.status, got.header.Get("Content-Type"), len(got.body), tc.status)
		}
		if n := e.sender.attemptCount(); n != 0 {
			t.Errorf("HEAD %s sent %d commands", tc.path, n)
		}
	}
}
