package http

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
	"github.com/google/uuid"

	"github.com/example/orders-service/adapters/memory"
	"github.com/example/orders-service/app"
	"github.com/example/orders-service/app/bus"
	"github.com/example/orders-service/app/command"
	"github.com/example/orders-service/app/query"
	"github.com/example/orders-service/domain/stock"
)

// sentCommand is one command the fake sender was given, with the correlation ID its ctx carried.
type sentCommand struct {
	cmd           bus.Message
	correlationID string
}

// fakeSender records every command; when fail is set it refuses them, like a broker that
// does not acknowledge.
type fakeSender struct {
	mu       sync.Mutex
	fail     bool
	sent     []sentCommand
	attempts int
}

func (f *fakeSender) Send(ctx context.Context, cmd bus.Message) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.attempts++
	if f.fail {
		return errors.New("broker unavailable")
	}
	f.sent = append(f.sent, sentCommand{cmd: withoutCountID(cmd), correlationID: bus.CorrelationID(ctx)})
	return nil
}

// withoutCountID checks the count ID the API gives each stock count, a time-ordered UUID, and
// leaves it out of what tests compare: it differs at every request.
func withoutCountID(cmd bus.Message) bus.Message {
	c, ok := cmd.(command.SetStockLevel)
	if !ok {
		return cmd
	}
	if id, err := uuid.Parse(c.CountID); err != nil || id.Version() != 7 {
		panic(fmt.Sprintf("SetStockLevel sent with count ID %q, want a UUIDv7", c.CountID))
	}
	c.CountID = ""
	return c
}

func (f *fakeSender) setFail(fail bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fail = fail
}

func (f *fakeSender) commands() []sentCommand {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]sentCommand(nil), f.sent...)
}

func (f *fakeSender) attemptCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.attempts
}

// env is one server over a fake command sender and the application on the in-memory
// adapters, wired as the service wires it (app.New).
type env struct {
	t       *testing.T
	srv     *httptest.Server
	server  *Server
	sender  *fakeSender
	orders  query.OrderReadModel
	changes *spyChanges
	stock   stock.Repository
}

// envOptions adjust a test server; zero values keep the defaults.
type envOptions struct {
	maxWait time.Duration // SetMaxWait, when set; negative: SetMaxWait(0)
	// timeout, when set, is the http.Server's ReadTimeout and WriteTimeout.
	timeout time.Duration
}

func newEnv(t *testing.T, checks ...ReadinessCheck) *env {
	t.Helper()
	return newEnvWith(t, envOptions{}, checks...)
}

func newEnvWith(t *testing.T, opts envOptions, checks ...ReadinessCheck) *env {
	t.Helper()
	sender := &fakeSender{}
	adapters := memory.NewAdapters()
	adapters.Commands = sender
	changes := &spyChanges{OrderChanges: adapters.Changes, subscribed: make(chan string, 100), released: make(chan string, 100)}
	adapters.Changes = changes
	s := NewServer(sender, app.New(adapters).Queries, checks, slog.New(slog.DiscardHandler))
	switch {
	case opts.maxWait < 0:
		s.SetMaxWait(0)
	case opts.maxWait > 0:
		s.SetMaxWait(opts.maxWait)
	}
	srv := httptest.NewUnstartedServer(s.Handler())
	srv.Config.ReadTimeout, srv.Config.WriteTimeout = opts.timeout, opts.timeout
	srv.Config.RegisterOnShutdown(s.StopWaiting)
	srv.Start()
	t.Cleanup(srv.Close)
	return &env{t: t, srv: srv, server: s, sender: sender, orders: adapters.ReadModel, changes: changes, stock: adapters.Stock}
}

// spyChanges reports every subscription of a waiting request, and its release.
type spyChanges struct {
	query.OrderChanges
	subscribed chan string
	released   chan string
}

func (s *spyChanges) Changed(orderID string) (<-chan struct{}, func()) {
	ch, release := s.OrderChanges.Changed(orderID)
	notify(s.subscribed, orderID)
	var once sync.Once
	return ch, func() {
		release()
		once.Do(func() { notify(s.released, orderID) })
	}
}

// notify sends without blocking: a test that does not read never holds up the server.
func notify(ch chan<- string, v string) {
	select {
	case ch <- v:
	default:
	}
}

// waitFor returns the next value of ch, failing the test when none comes in time.
func waitFor(t *testing.T, ch <-chan string, what string) string {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(10 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
		return ""
	}
}

// specDocument is the embedded OpenAPI document, loaded and validated once.
var specDocument = sync.OnceValues(func() (*openapi3.T, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(OpenAPI)
	if err != nil {
		return nil, err
	}
	if err := doc.Validate(loader.Context); err != nil {
		return nil, err
	}
	return doc, nil
})

// spec routes requests to the operations of the OpenAPI document.
var spec = sync.OnceValues(func() (routers.Router, error) {
	doc, err := specDocument()
	if err != nil {
		return nil, err
	}
	return legacy.NewRouter(doc)
})

func specDoc(t *testing.T) *openapi3.T {
	t.Helper()
	doc, err := specDocument()
	if err != nil {
		t.Fatalf("openapi.yaml: %v", err)
	}
	return doc
}

func specRouter(t *testing.T) routers.Router {
	t.Helper()
	r, err := spec()
	if err != nil {
		t.Fatalf("openapi.yaml: %v", err)
	}
	return r
}

// request is one HTTP call of a test.
type request struct {
	method  string
	path    string
	header  map[string]string
	body    []byte
	chunked bool // send the body without Content-Length
	// rawHeader is added as it is, for what header cannot say: present but empty, repeated.
	rawHeader http.Header
	// validRequest says the request itself conforms to the spec, so it is validated too.
	validRequest bool
	// invalidRequest says the spec must reject the request, as the server does.
	invalidRequest bool
	// noRoute marks a path the spec does not have (unknown routes, wrong methods).
	noRoute bool
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decoding response body %q: %v", r.body, err)
	}
}

var specOptions = &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true}

// do sends the request to the real server and checks the response (and, for a valid
// request, the request) against openapi.yaml.
func (e *env) do(req request) response {
	t := e.t
	t.Helper()
	var body io.Reader
	if req.body != nil {
		body = bytes.NewReader(req.body)
		if req.chunked {
			body = io.MultiReader(body) // hides the length: sent chunked
		}
	}
	hr, err := http.NewRequest(req.method, e.srv.URL+req.path, body)
	if err != nil {
		t.Fatal(err)
	}
	if req.body != nil {
		hr.Header.Set("Content-Type", "application/json")
	}
	for k, v := range req.header {
		if v == "" {
			hr.Header.Del(k)
			continue
		}
		hr.Header.Set(k, v)
	}
	for k, vs := range req.rawHeader {
		for _, v := range vs {
			hr.Header.Add(k, v)
		}
	}
	resp, err := e.srv.Client().Do(hr)
	if err != nil {
		t.Fatalf("%s %s: %v", req.method, req.path, err)
	}
	defer resp.Body.Close()
	rb, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading response: %v", req.method, req.path, err)
	}
	got := response{status: resp.StatusCode, header: resp.Header, body: rb}
	if !req.noRoute {
		e.checkSpec(req, hr, got)
	}
	return got
}

func (e *env) checkSpec(req request, sent *http.Request, got response) {
	t := e.t
	t.Helper()
	ctx := context.Background()
	vr, err := http.NewRequest(req.method, req.path, bytes.NewReader(req.body))
	if err != nil {
		t.Fatal(err)
	}
	vr.Header = sent.Header.Clone()
	route, params, err := specRouter(t).FindRoute(vr)
	if err != nil {
		t.Errorf("%s %s: not in openapi.yaml: %v", req.method, req.path, err)
		return
	}
	in := &openapi3filter.RequestValidationInput{Request: vr, PathParams: params, Route: route, Options: specOptions}
	if req.validRequest {
		if err := openapi3filter.ValidateRequest(ctx, in); err != nil {
			t.Errorf("%s %s: request does not conform to openapi.yaml: %v", req.method, req.path, err)
		}
	}
	if req.invalidRequest {
		check := *in
		check.Request = vr.Clone(ctx)
		check.Request.Body = io.NopCloser(bytes.NewReader(req.body))
		if err := openapi3filter.ValidateRequest(ctx, &check); err == nil {
			t.Errorf("%s %s: openapi.yaml accepts a request the server refuses", req.method, req.path)
		}
	}
	opts := specOptions
	if req.method == http.MethodHead {
		// A HEAD answer has GET's status and headers but no body to validate.
		headOpts := *specOptions
		headOpts.ExcludeResponseBody = true
		opts = &headOpts
	}
	out := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in,
		Status:                 got.status,
		Header:                 got.header,
		Body:                   io.NopCloser(bytes.NewReader(got.body)),
		Options:                opts,
	}
	if err := openapi3filter.ValidateResponse(ctx, out); err != nil {
		t.Errorf("%s %s: %d response does not conform to openapi.yaml: %v\nbody: %s", req.method, req.path, got.status, err, truncate(string(got.body), 500))
	}
}

// checkProblem asserts an RFC 9457 answer with a useful detail and the correlation ID.
func checkProblem(t *testing.T, got response, status int, path string) Problem {
	t.Helper()
	if got.status != status {
		t.Errorf("status %d, want %d; body %s", got.status, status, truncate(string(got.body), 500))
	}
	if ct := got.header.Get("Content-Type"); ct != problemContentType {
		t.Errorf("Content-Type %q, want %q", ct, problemContentType)
	}
	var p Problem
	got.decode(t, &p)
	corr := got.header.Get(CorrelationHeader)
	switch {
	case p.Status != got.status:
		t.Errorf("problem status %d, HTTP status %d", p.Status, got.status)
	case p.Title != http.StatusText(got.status):
		t.Errorf("problem title %q", p.Title)
	case p.Type == "":
		t.Errorf("problem has no type")
	case len(strings.TrimSpace(p.Detail)) < 8:
		t.Errorf("problem detail %q is not useful", p.Detail)
	case corr == "" || p.CorrelationID != corr:
		t.Errorf("correlation ID: header %q, problem %q", corr, p.CorrelationID)
	case path != "" && p.Instance != path:
		t.Errorf("problem instance %q, want %q", p.Instance, path)
	}
	return p
}

func hasField(p Problem, field string) bool {
	for _, f := range p.Errors {
		if f.Field == field && f.Detail != "" {
			return true
		}
	}
	return false
}
