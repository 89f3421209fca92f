package http

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/example/orders-service/adapters/memory"
	"github.com/example/orders-service/app"
	"github.com/example/orders-service/app/query"
	"github.com/example/orders-service/domain/order"
)

// TestOrderCommandNeedsAKnownOrder checks that shipping or cancelling an order the read side
// does not know is 404, with nothing sent, and that a known order, whatever its status
// (the command handler decides what it allows), is 202.
func TestOrderCommandNeedsAKnownOrder(t *testing.T) {
	known, unknown := uuid.NewString(), uuid.NewString()
	shipped := query.OrderView{ID: known, CustomerID: "c", Version: 3, Status: order.StatusShipped}
	tests := []struct {
		name, path, body string
		seed             *query.OrderView
		status           int
	}{
		{"ship an unknown order", "/orders/" + unknown + "/ship", "", nil, http.StatusNotFound},
		{"ship an unknown order, empty object", "/orders/" + unknown + "/ship", `{}`, nil, http.StatusNotFound},
		{"cancel an unknown order", "/orders/" + unknown + "/cancel", `{"reason":"r"}`, nil, http.StatusNotFound},
		{"cancel an unknown order, no body", "/orders/" + unknown + "/cancel", "", nil, http.StatusNotFound},
		{"ship a pending order", "/orders/" + known + "/ship", "", new(pendingView(known)), http.StatusAccepted},
		{"cancel a pending order", "/orders/" + known + "/cancel", "", new(pendingView(known)), http.StatusAccepted},
		{"cancel a shipped order", "/orders/" + known + "/cancel", "", &shipped, http.StatusAccepted},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnvWith(t, envOptions{maxWait: -1}) // no grace: unknown at once
			if tc.seed != nil {
				seedOrder(t, e, *tc.seed)
			}
			req := request{method: http.MethodPost, path: tc.path, validRequest: true}
			if tc.body != "" {
				req.body = []byte(tc.body)
			}
			got := e.do(req)
			if tc.status == http.StatusAccepted {
				if got.status != tc.status || len(e.sender.commands()) != 1 {
					t.Fatalf("status %d, %d commands sent: %s", got.status, len(e.sender.commands()), got.body)
				}
				return
			}
			p := checkProblem(t, got, tc.status, tc.path)
			if !strings.Contains(p.Detail, unknown) || !strings.Contains(p.Detail, "may not be visible yet") {
				t.Errorf("detail %q does not name the order and say it may yet appear", p.Detail)
			}
			if n := e.sender.attemptCount(); n != 0 {
				t.Errorf("sent %d commands for an unknown order", n)
			}
		})
	}
}

// An order that becomes visible while ship or cancel waits for it is accepted: a client
// that cancels right after its 202 is not told the order does not exist.
func TestOrderCommandWaitsForAnOrderPlacedAMomentAgo(t *testing.T) {
	for _, action := range []string{"ship", "cancel"} {
		t.Run(action, func(t *testing.T) {
			e := newEnv(t)
			id := uuid.NewString()
			answered := make(chan response, 1)
			go func() {
				answered <- e.do(request{method: http.MethodPost, path: "/orders/" + id + "/" + action, validRequest: true})
			}()
			if got := <-e.changes.subscribed; got != id {
				t.Fatalf("waiting on %s, want %s", got, id)
			}
			seedOrder(t, e, pendingView(id))
			if got := <-answered; got.status != http.StatusAccepted || len(e.sender.commands()) != 1 {
				t.Fatalf("status %d, %d commands sent: %s", got.status, len(e.sender.commands()), got.body)
			}
		})
	}
}

// failingReadModel cannot be read.
type failingReadModel struct{ query.OrderReadModel }

func (failingReadModel) Get(context.Context, string) (query.OrderView, error) {
	return query.OrderView{}, errors.New("read model down")
}

// TestOrderCommandWhenTheReadSideFails checks that a command is not sent when it cannot be
// told whether the order exists: a 503 to retry, logged, rather than a guess either way.
func TestOrderCommandWhenTheReadSideFails(t *testing.T) {
	sender := &fakeSender{}
	logs := &lockedBuffer{}
	adapters := memory.NewAdapters()
	adapters.ReadModel = failingReadModel{adapters.ReadModel}
	s := NewServer(sender, app.New(adapters).Queries, nil, slog.New(slog.NewTextHandler(logs, nil)))
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	for _, action := range []string{"ship", "cancel"} {
		resp, err := srv.Client().Post(srv.URL+"/orders/"+uuid.NewString()+"/"+action, "", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Content-Type") != problemContentType || resp.Header.Get("Retry-After") == "" {
			t.Errorf("%s: %d %q, want a 503 problem with Retry-After", action, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
	}
	if n := sender.attemptCount(); n != 0 {
		t.Errorf("sent %d commands", n)
	}
	if !strings.Contains(logs.String(), "read model down") {
		t.Errorf("the failure was not logged: %s", logs.String())
	}
}

// lockedBuffer collects logs written by the server's goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
