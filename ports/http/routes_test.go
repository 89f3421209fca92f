package http

import (
	"log/slog"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"testing"

	"github.com/example/orders-service/adapters/memory"
	"github.com/example/orders-service/app"
)

// TestRoutesAreTheDocumentedOperations holds the routes the server registers and the
// operations openapi.yaml documents to one set (method and path), so that neither can gain
// or lose one alone. HEAD is served for every GET route (head.go), and the document states
// it as an operation of its own: so each GET route stands for a GET and a HEAD operation,
// and a HEAD operation without its GET is as wrong as a route without its operation. The
// profiler's routes are no part of the API: they are only registered by EnableProfiling,
// which this server, like the service by default, does not call. Nor is GET /metrics,
// registered by EnableMetrics, which the service always calls: it is for Prometheus.
func TestRoutesAreTheDocumentedOperations(t *testing.T) {
	s := NewServer(&fakeSender{}, app.New(memory.NewAdapters()).Queries, nil, slog.New(slog.DiscardHandler))
	served := map[string]bool{}
	for _, r := range s.echo.Routes() {
		path := openAPIPath(r.Path)
		served[r.Method+" "+path] = true
		if r.Method == http.MethodGet {
			served[http.MethodHead+" "+path] = true
		}
	}
	documented := map[string]bool{}
	for path, item := range specDoc(t).Paths.Map() {
		for method := range item.Operations() {
			documented[method+" "+path] = true
		}
	}
	for _, op := range slices.Sorted(maps.Keys(served)) {
		if !documented[op] {
			t.Errorf("%s is served but openapi.yaml has no such operation", op)
		}
	}
	for _, op := range slices.Sorted(maps.Keys(documented)) {
		if !served[op] {
			t.Errorf("openapi.yaml documents %s, which the server does not serve", op)
		}
	}
}

// echoParam is a path parameter as Echo writes it: ":id".
var echoParam = regexp.MustCompile(`:([A-Za-z0-9_]+)`)

// openAPIPath writes an Echo route path as OpenAPI does: /orders/:id is /orders/{id}.
func openAPIPath(echoPath string) string {
	return echoParam.ReplaceAllString(echoPath, "{$1}")
}

func TestOpenAPIPath(t *testing.T) {
	for _, tc := range []struct{ echo, openapi string }{
		{"/orders", "/orders"},
		{"/orders/:id", "/orders/{id}"},
		{"/orders/:id/cancel", "/orders/{id}/cancel"},
		{"/stock/:sku", "/stock/{sku}"},
		{"/a/:x/b/:y_z", "/a/{x}/b/{y_z}"},
		{"/openapi.yaml", "/openapi.yaml"},
	} {
		if got := openAPIPath(tc.echo); got != tc.openapi {
			t.Errorf("openAPIPath(%q) = %q, want %q", tc.echo, got, tc.openapi)
		}
	}
}
