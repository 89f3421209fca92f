package http

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/example/orders-service/app/query"
	"github.com/example/orders-service/domain/order"
)

var waitT0 = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

func pendingView(id string) query.OrderView {
	return query.OrderView{ID: id, CustomerID: "c", Version: 1, Status: order.StatusPending,
		Items: []order.Line{{SKU: "a", Quantity: 1}}, CreatedAt: waitT0, UpdatedAt: waitT0}
}

func confirmedView(id string) query.OrderView {
	v := pendingView(id)
	v.Version, v.Status, v.UpdatedAt = 2, order.StatusConfirmed, waitT0.Add(time.Second)
	return v
}

// timedDo sends the request and says how long the answer took.
func (e *env) timedDo(req request) (response, time.Duration) {
	e.t.Helper()
	start := time.Now()
	got := e.do(req)
	return got, time.Since(start)
}

// asyncGet sends the request in a goroutine (checked against the spec there too).
func (e *env) asyncGet(req request) <-chan response {
	out := make(chan response, 1)
	go func() { out <- e.do(req) }()
	return out
}

func awaitResponse(t *testing.T, ch <-chan response) response {
	t.Helper()
	select {
	case r := <-ch:
		return r
	case <-time.After(10 * time.Second):
		t.Fatal("no answer")
		return response{}
	}
}

func getOrderReq(id string, header map[string]string) request {
	return request{method: http.MethodGet, path: "/orders/" + id, header: header, validRequest: true}
}

func TestGetOrderETag(t *testing.T) {
	e := newEnv(t)
	id := uuid.NewString()
	seedOrder(t, e, pendingView(id))
	got := e.do(getOrderReq(id, nil))
	if got.status != http.StatusOK || got.header.Get("ETag") != `"1.0"` {
		t.Fatalf("%d, ETag %q; want 200 with ETag \"1.0\"", got.status, got.header.Get("ETag"))
	}
	if h := got.header.Get(preferenceAppliedHeader); h != "" {
		t.Errorf("Preference-Applied %q without Prefer", h)
	}
	etags := map[string]bool{got.header.Get("ETag"): true}
	change := []func(){
		func() { seedOrder(t, e, confirmedView(id)) },
		func() {
			if err := e.orders.AddRefusal(t.Context(), id, query.Refusal{Command: "orders.PlaceOrder.v1", Reason: "order ID already used", At: waitT0}); err != nil {
				t.Fatal(err)
			}
		},
		func() {
			if err := e.orders.AddRefusal(t.Context(), id, query.Refusal{Command: "orders.ShipOrder.v1", Reason: "cannot ship", At: waitT0}); err != nil {
				t.Fatal(err)
			}
		},
	}
	for i, c := range change {
		c()
		got := e.do(getOrderReq(id, nil))
		etag := got.header.Get("ETag")
		if got.status != http.StatusOK || etags[etag] || len(etag) < 3 || etag[0] != '"' {
			t.Fatalf("change %d: %d, ETag %q; want 200 and a new strong ETag (had %v)", i, got.status, etag, etags)
		}
		etags[etag] = true
		if again := e.do(getOrderReq(id, nil)).header.Get("ETag"); again != etag {
			t.Errorf("change %d: ETag %q, then %q for the same view", i, etag, again)
		}
	}
}

func TestGetOrderIfNoneMatch(t *testing.T) {
	e := newEnv(t)
	id := uuid.NewString()
	seedOrder(t, e, pendingView(id))
	for _, tc := range []struct {
		name        string
		ifNoneMatch string
		want        int
	}{
		{"current ETag", `"1.0"`, http.StatusNotModified},
		{"weak form of it", `W/"1.0"`, http.StatusNotModified},
		{"in a list", `"0.0", "1.0"`, http.StatusNotModified},
		{"in a list without spaces", `"7.1.abc","1.0"`, http.StatusNotModified},
		{"any", `*`, http.StatusNotModified},
		{"another ETag", `"2.0"`, http.StatusOK},
		{"unquoted", `1.0`, http.StatusOK},
		{"garbage", `"1.0`, http.StatusOK},
		{"empty list", `,`, http.StatusOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := e.do(getOrderReq(id, map[string]string{"If-None-Match": tc.ifNoneMatch}))
			if got.status != tc.want {
				t.Fatalf("status %d, want %d: %s", got.status, tc.want, got.body)
			}
			if got.header.Get("ETag") != `"1.0"` {
				t.Errorf("ETag %q, want \"1.0\"", got.header.Get("ETag"))
			}
			if tc.want == http.StatusNotModified && len(got.body) != 0 {
				t.Errorf("304 with a body: %q", got.body)
			}
		})
	}
	t.Run("unknown order", func(t *testing.T) {
		got := e.do(getOrderReq(uuid.NewString(), map[string]string{"If-None-Match": `*`}))
		checkProblem(t, got, http.StatusNotFound, "")
	})
}

func TestPreferWaitAnswersWhenTheOrderChanges(t *testing.T) {
	for _, tc := range []struct {
		name        string
		before      func(e *env, id string) // the state when the request arrives
		ifNoneMatch string
		change      func(e *env, id string)
		wantETag    string
	}{
		{
			name:     "appears",
			before:   func(*env, string) {},
			change:   func(e *env, id string) { seedOrder(e.t, e, pendingView(id)) },
			wantETag: `"1.0"`,
		},
		{
			name:        "is confirmed",
			before:      func(e *env, id string) { seedOrder(e.t, e, pendingView(id)) },
			ifNoneMatch: `"1.0"`,
			change:      func(e *env, id string) { seedOrder(e.t, e, confirmedView(id)) },
			wantETag:    `"2.0"`,
		},
		{
			name:        "refuses a command",
			before:      func(e *env, id string) { seedOrder(e.t, e, pendingView(id)) },
			ifNoneMatch: `"1.0"`,
			change: func(e *env, id string) {
				if err := e.orders.AddRefusal(context.Background(), id, query.Refusal{Command: "orders.ShipOrder.v1", Reason: "cannot ship", At: waitT0}); err != nil {
					e.t.Fatal(err)
				}
			},
			wantETag: `"` + query.OrderView{Version: 1, Refusals: []query.Refusal{{Command: "orders.ShipOrder.v1", Reason: "cannot ship", At: waitT0}}}.Revision() + `"`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			id := uuid.NewString()
			tc.before(e, id)
			header := map[string]string{preferHeader: "wait=20"}
			if tc.ifNoneMatch != "" {
				header["If-None-Match"] = tc.ifNoneMatch
			}
			start := time.Now()
			res := e.asyncGet(getOrderReq(id, header))
			waitFor(t, e.changes.subscribed, "the request to wait")
			tc.change(e, id)
			got := awaitResponse(t, res)
			if got.status != http.StatusOK || got.header.Get("ETag") != tc.wantETag {
				t.Fatalf("%d, ETag %q; want 200 with %s: %s", got.status, got.header.Get("ETag"), tc.wantETag, got.body)
			}
			if h := got.header.Get(preferenceAppliedHeader); h != "wait=20" {
				t.Errorf("Preference-Applied %q, want wait=20", h)
			}
			if took := time.Since(start); took >= 5*time.Second {
				t.Errorf("answered after %s: at a recheck (10 s) or the end of the wait, not at the change", took)
			}
		})
	}
}

func TestPreferWaitWithNothingToWaitForAnswersAtOnce(t *testing.T) {
	e := newEnv(t)
	id := uuid.NewString()
	seedOrder(t, e, pendingView(id))
	for _, ifNoneMatch := range []string{"", `"0.0"`} {
		got, took := e.timedDo(getOrderReq(id, map[string]string{preferHeader: "wait=30", "If-None-Match": ifNoneMatch}))
		if got.status != http.StatusOK || took >= 30*time.Second || got.header.Get(preferenceAppliedHeader) != "wait=30" {
			t.Errorf("If-None-Match %q: %d after %s, Preference-Applied %q", ifNoneMatch, got.status, took, got.header.Get(preferenceAppliedHeader))
		}
	}
	if len(e.changes.subscribed) != 0 {
		t.Error("waited although the order was there")
	}
}

func TestPreferWaitEndsAfterTheWait(t *testing.T) {
	e := newEnvWith(t, envOptions{maxWait: time.Second})
	id := uuid.NewString()
	seedOrder(t, e, pendingView(id))
	t.Run("unchanged: 304", func(t *testing.T) {
		got, took := e.timedDo(getOrderReq(id, map[string]string{preferHeader: "wait=1", "If-None-Match": `"1.0"`}))
		if got.status != http.StatusNotModified || got.header.Get("ETag") != `"1.0"` || took < time.Second {
			t.Fatalf("%d after %s, ETag %q; want 304 with the ETag after 1s", got.status, took, got.header.Get("ETag"))
		}
		if h := got.header.Get(preferenceAppliedHeader); h != "wait=1" {
			t.Errorf("Preference-Applied %q, want wait=1", h)
		}
	})
	t.Run("never appears: 404", func(t *testing.T) {
		got, took := e.timedDo(getOrderReq(uuid.NewString(), map[string]string{preferHeader: "wait=1"}))
		checkProblem(t, got, http.StatusNotFound, "")
		if took < time.Second {
			t.Errorf("answered after %s, before the wait was over", took)
		}
		if h := got.header.Get(preferenceAppliedHeader); h != "wait=1" {
			t.Errorf("Preference-Applied %q, want wait=1", h)
		}
	})
}

// TestPreferWaitIsBounded: a longer wait is shortened to the maximum, and says so; with a
// maximum of 0 no wait is honoured.
func TestPreferWaitIsBounded(t *testing.T) {
	for _, tc := range []struct {
		name        string
		maxWait     time.Duration
		prefer      string
		wantApplied string
		wantAtLeast time.Duration
	}{
		{"wait=3600, maximum 1s", time.Second, "wait=3600", "wait=1", time.Second},
		{"wait too large for int64", time.Second, "wait=99999999999999999999999", "wait=1", time.Second},
		{"maximum 0: no wait", -1 /* SetMaxWait(0) */, "wait=10", "", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnvWith(t, envOptions{maxWait: tc.maxWait})
			got, took := e.timedDo(getOrderReq(uuid.NewString(), map[string]string{preferHeader: tc.prefer}))
			checkProblem(t, got, http.StatusNotFound, "")
			if h := got.header.Get(preferenceAppliedHeader); h != tc.wantApplied {
				t.Errorf("Preference-Applied %q, want %q", h, tc.wantApplied)
			}
			if took < tc.wantAtLeast || took > tc.wantAtLeast+5*time.Second {
				t.Errorf("answered after %s, want after %s", took, tc.wantAtLeast)
			}
		})
	}
}

// TestPreferWaitIsParsedAsRFC7240Says, through the API: valid forms are honoured, and
// anything else is ignored (answered at once, never an error).
func TestPreferWaitIsParsedAsRFC7240Says(t *testing.T) {
	for _, tc := range []struct {
		prefer  string
		honored bool
	}{
		{"wait=1", true},
		{"WAIT=1", true},
		{"wait = 1", true},
		{`wait="1"`, true},
		{"respond-async, wait=1", true},
		{"handling=lenient; x=y, wait=1; foo=bar", true},
		{`return=minimal; note="a, wait=9", wait=1`, true},
		{"wait=1, wait=5", true},
		{"wait=abc", false},
		{"wait=-1", false},
		{"wait=+1", false},
		{"wait=1.5", false},
		{"wait=10s", false},
		{"wait=", false},
		{"wait", false},
		{"wait=0", false},
		{"wait=x, wait=1", false}, // only the first occurrence counts
		{"respond-async; wait=1", false},
		{"waiting=1", false},
		{`"wait"=1`, false},
		{"", false},
		{",,,", false},
	} {
		t.Run(tc.prefer, func(t *testing.T) {
			t.Parallel()
			e := newEnvWith(t, envOptions{maxWait: time.Second})
			got, took := e.timedDo(getOrderReq(uuid.NewString(), map[string]string{preferHeader: tc.prefer}))
			checkProblem(t, got, http.StatusNotFound, "")
			applied := got.header.Get(preferenceAppliedHeader)
			if tc.honored && (applied != "wait=1" || took < time.Second) {
				t.Errorf("answered after %s with Preference-Applied %q; want the wait of 1s honoured", took, applied)
			}
			if !tc.honored && (applied != "" || took >= time.Second) {
				t.Errorf("answered after %s with Preference-Applied %q; want no wait", took, applied)
			}
		})
	}
}

func TestPreferredWait(t *testing.T) {
	for _, tc := range []struct {
		name   string
		values []string
		want   int64
		ok     bool
	}{
		{"none", nil, 0, false},
		{"plain", []string{"wait=10"}, 10, true},
		{"second header", []string{"respond-async", "wait=7"}, 7, true},
		{"first header wins", []string{"wait=3", "wait=7"}, 3, true},
		{"whitespace", []string{"  wait\t=\t12  "}, 12, true},
		{"quoted", []string{`wait="5"`}, 5, true},
		{"parameters ignored", []string{"wait=5;a=b;c"}, 5, true},
		{"quoted comma in another preference", []string{`foo="a,wait=1", wait=2`}, 2, true},
		{"escaped quote in another preference", []string{`foo="a\",wait=1", wait=2`}, 2, true},
		{"zero", []string{"wait=0"}, 0, true},
		{"huge", []string{"wait=123456789012345678901234567890"}, 1<<63 - 1, true},
		{"invalid first occurrence", []string{"wait=soon", "wait=2"}, 0, false},
		{"negative", []string{"wait=-5"}, 0, false},
		{"not a token", []string{"wa it=5"}, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{}
			for _, v := range tc.values {
				h.Add(preferHeader, v)
			}
			got, ok := preferredWait(h)
			if got != tc.want || ok != tc.ok {
				t.Errorf("preferredWait(%q) = %d, %v; want %d, %v", tc.values, got, ok, tc.want, tc.ok)
			}
		})
	}
}

// TestPreferWaitEndsWhenTheClientGoesAway: the server stops waiting for a client that is
// gone.
func TestPreferWaitEndsWhenTheClientGoesAway(t *testing.T) {
	e := newEnv(t)
	id := uuid.NewString()
	ctx, cancel := context.WithCancel(t.Context())
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, e.srv.URL+"/orders/"+id, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set(preferHeader, "wait=30")
	done := make(chan error, 1)
	go func() {
		resp, err := e.srv.Client().Do(req)
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	waitFor(t, e.changes.subscribed, "the request to wait")
	cancel()
	if err := <-done; err == nil {
		t.Fatal("the request was answered")
	}
	waitFor(t, e.changes.released, "the server to stop waiting")
}

// TestStopWaitingAnswersWaitingRequests: on shutdown, waits end at once with the order
// as it is, and no new wait is honoured.
func TestStopWaitingAnswersWaitingRequests(t *testing.T) {
	e := newEnv(t)
	id := uuid.NewString()
	seedOrder(t, e, pendingView(id))
	res := e.asyncGet(getOrderReq(id, map[string]string{preferHeader: "wait=30", "If-None-Match": `"1.0"`}))
	waitFor(t, e.changes.subscribed, "the request to wait")
	start := time.Now()
	e.server.StopWaiting()
	got := awaitResponse(t, res)
	if got.status != http.StatusNotModified || time.Since(start) > 5*time.Second {
		t.Fatalf("%d after %s; want 304 at once", got.status, time.Since(start))
	}
	got, took := e.timedDo(getOrderReq(uuid.NewString(), map[string]string{preferHeader: "wait=30"}))
	checkProblem(t, got, http.StatusNotFound, "")
	if h := got.header.Get(preferenceAppliedHeader); h != "" || took > 5*time.Second {
		t.Errorf("after StopWaiting: Preference-Applied %q, answered after %s; want no wait", h, took)
	}
}

// TestShutdownAnswersWaitingRequests: http.Server.Shutdown (with StopWaiting registered,
// as the service does) answers a waiting request at once instead of waiting for it.
func TestShutdownAnswersWaitingRequests(t *testing.T) {
	e := newEnv(t)
	id := uuid.NewString()
	seedOrder(t, e, pendingView(id))
	res := e.asyncGet(getOrderReq(id, map[string]string{preferHeader: "wait=30", "If-None-Match": `"1.0"`}))
	waitFor(t, e.changes.subscribed, "the request to wait")
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	start := time.Now()
	if err := e.srv.Config.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("Shutdown took %s with a request waiting", took)
	}
	if got := awaitResponse(t, res); got.status != http.StatusNotModified {
		t.Fatalf("waiting request answered %d, want 304", got.status)
	}
}

// TestPreferWaitOutlastsServerTimeouts: the http.Server's ReadTimeout and WriteTimeout do
// not cut a wait (an expired read deadline would cancel the request's context).
func TestPreferWaitOutlastsServerTimeouts(t *testing.T) {
	const timeout = 300 * time.Millisecond
	e := newEnvWith(t, envOptions{maxWait: time.Second, timeout: timeout})
	id := uuid.NewString()
	seedOrder(t, e, pendingView(id))
	got, took := e.timedDo(getOrderReq(id, map[string]string{preferHeader: "wait=1", "If-None-Match": `"1.0"`}))
	if got.status != http.StatusNotModified || took < time.Second {
		t.Fatalf("%d after %s; want 304 after the full wait of 1s", got.status, took)
	}
	got, took = e.timedDo(getOrderReq(uuid.NewString(), map[string]string{preferHeader: "wait=1"}))
	checkProblem(t, got, http.StatusNotFound, "")
	if took < time.Second {
		t.Fatalf("answered after %s; want after the full wait of 1s", took)
	}
	// The connection's deadlines are back to normal for the next request.
	if got := e.do(getOrderReq(id, nil)); got.status != http.StatusOK {
		t.Fatalf("next request: %d", got.status)
	}
}
