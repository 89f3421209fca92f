package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// apiClient speaks the service's HTTP API. Commands and stock reads go through one
// connection pool, the long-polls of GET /orders/{id} through another: over HTTP/1.1 a
// request the service holds for seconds holds its connection all that time, and with its
// own pool a wait can never take a connection a POST needs. With holdPosts, POST /orders
// asks to be held too (Prefer: wait) and has a third pool.
type apiClient struct {
	base    string
	baseURL *url.URL
	http    *http.Client // commands and plain reads
	watch   *http.Client // long-polls of GET /orders/{id}
	post    *http.Client // POST /orders: http, or its own pool with holdPosts
	wait    time.Duration
	timeout time.Duration
	// postWait: POST /orders carries Prefer: wait=wait (holdPosts).
	postWait bool
}

// newAPIClient sizes each pool for every request that may be in flight on it at once:
// maxConns commands and reads, maxWatches long-polls of up to wait each. Each pool keeps
// all its connections idle between requests (a smaller idle pool closes connections under
// load and fills the machine with TIME_WAIT sockets) and opens no more than that many (a
// request over the bound would queue inside the transport, unseen).
func newAPIClient(base string, maxConns, maxWatches int, timeout, wait time.Duration) *apiClient {
	u, err := url.Parse(base + "/")
	if err != nil {
		u = &url.URL{}
	}
	c := &http.Client{Transport: newTransport(maxConns, timeout), Timeout: timeout}
	return &apiClient{
		base:    base,
		baseURL: u,
		http:    c,
		// A long-poll is answered after up to wait, then has the usual time to finish.
		watch:   &http.Client{Transport: newTransport(maxWatches, wait+timeout), Timeout: wait + timeout},
		post:    c,
		wait:    wait,
		timeout: timeout,
	}
}

// holdPosts makes every POST /orders ask the service to hold its answer until the order's
// outcome is known (Prefer: wait=wait: 201 with the order, or 202 once the wait elapsed).
// A POST then holds its connection for up to wait, so POSTs get a pool of their own, of
// maxPosts connections (as many as orders in flight), with a long-poll's time bound; the
// stock requests keep the other one.
func (a *apiClient) holdPosts(maxPosts int) {
	a.post = &http.Client{Transport: newTransport(maxPosts, a.wait+a.timeout), Timeout: a.wait + a.timeout}
	a.postWait = true
}

func newTransport(conns int, headerTimeout time.Duration) *http.Transport {
	return &http.Transport{
		Proxy:                 nil, // straight to the target, whatever the environment says
		DialContext:           (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:          conns,
		MaxIdleConnsPerHost:   conns,
		MaxConnsPerHost:       conns,
		IdleConnTimeout:       90 * time.Second,
		ResponseHeaderTimeout: headerTimeout,
		DisableCompression:    true,
		ForceAttemptHTTP2:     false,
	}
}

func (a *apiClient) close() {
	a.http.CloseIdleConnections()
	a.watch.CloseIdleConnections()
	a.post.CloseIdleConnections()
}

// statusError is an answer with an unexpected status code.
type statusError struct {
	code int
	body string
}

func (e *statusError) Error() string { return fmt.Sprintf("HTTP %d: %s", e.code, e.body) }

// errBadResponse is a 2xx answer the tool could not read.
var errBadResponse = errors.New("unreadable response")

// errorKind names the kind of a failed request: http_<code>, timeout, connection or
// bad_response.
func errorKind(err error) string {
	var se *statusError
	var ne net.Error
	switch {
	case errors.As(err, &se):
		return "http_" + strconv.Itoa(se.code)
	case errors.Is(err, errBadResponse):
		return "bad_response"
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	default:
		return "connection"
	}
}

// answer is a response read to the end.
type answer struct {
	code   int
	header http.Header
	body   []byte
}

// roundTrip sends a request to target (a full URL) and reads the answer. The body is
// always read to the end and closed, so the connection goes back to the pool.
func roundTrip(ctx context.Context, c *http.Client, method, target string, body []byte, header http.Header) (answer, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, target, rd)
	if err != nil {
		return answer{}, fmt.Errorf("building %s %s: %w", method, target, err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.Do(req)
	if err != nil {
		return answer{}, fmt.Errorf("%s %s: %w", method, target, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return answer{}, fmt.Errorf("reading answer to %s %s: %w", method, target, err)
	}
	return answer{code: resp.StatusCode, header: resp.Header, body: data}, nil
}

// unexpected is the error for an answer with a status code the caller did not want.
func unexpected(method, target string, a answer) error {
	data := a.body
	if len(data) > 200 {
		data = data[:200]
	}
	return fmt.Errorf("%s %s: %w", method, target, &statusError{code: a.code, body: string(data)})
}

// do sends a command or read to base+path and decodes a JSON answer into out when the
// status is want. Any other status is a *statusError.
func (a *apiClient) do(ctx context.Context, method, path string, body []byte, header http.Header, want int, out any) (http.Header, error) {
	ans, err := roundTrip(ctx, a.http, method, a.base+path, body, header)
	if err != nil {
		return nil, err
	}
	if ans.code != want {
		return nil, unexpected(method, path, ans)
	}
	if out != nil {
		if err := json.Unmarshal(ans.body, out); err != nil {
			return nil, fmt.Errorf("decoding answer to %s %s: %w: %v", method, path, errBadResponse, err)
		}
	}
	return ans.header, nil
}

// placed is what a POST /orders answered: 202, the order was accepted and its outcome is
// to be read at its Location; or, when the POST asked for a wait (holdPosts) and the
// service knew the outcome within it, 201 with the order's view.
type placed struct {
	code     int    // 201 or 202
	id       string // the order's ID
	location string // where its view is read ("" when the service sent none)
	status   string // 201: the order's status
	etag     string // 201: the view's ETag, when the service sent one
	held     bool   // the service honoured the wait (Preference-Applied: wait=N)
}

// final tells whether the answer carried a final state (confirmed or rejected).
func (p placed) final() bool {
	return p.code == http.StatusCreated && finalStatus(p.status)
}

// finalStatus tells whether an order in this status is done for the load tool.
func finalStatus(status string) bool { return status == statusConfirmed || status == statusRejected }

// placeOrder posts an order. With holdPosts the request carries Prefer: wait=W, and the
// service answers 201 with the order once it is no longer pending, or 202 after W.
func (a *apiClient) placeOrder(ctx context.Context, body []byte, correlationID string) (placed, error) {
	const method, path = http.MethodPost, "/orders"
	h := http.Header{"X-Correlation-Id": {correlationID}}
	if a.postWait {
		h["Prefer"] = []string{"wait=" + strconv.Itoa(int(a.wait/time.Second))}
	}
	ans, err := roundTrip(ctx, a.post, method, a.base+path, body, h)
	if err != nil {
		return placed{}, err
	}
	p := placed{code: ans.code, location: ans.header.Get("Location"), held: waitApplied(ans.header)}
	switch ans.code {
	case http.StatusAccepted:
		var accepted struct {
			OrderID string `json:"order_id"`
		}
		if err := json.Unmarshal(ans.body, &accepted); err != nil {
			return placed{}, fmt.Errorf("decoding answer to %s %s: %w: %v", method, path, errBadResponse, err)
		}
		if accepted.OrderID == "" {
			return placed{}, fmt.Errorf("%s %s: %w: no order_id", method, path, errBadResponse)
		}
		p.id = accepted.OrderID
	case http.StatusCreated:
		var view struct {
			ID     string `json:"id"`
			Status string `json:"status"`
		}
		if err := json.Unmarshal(ans.body, &view); err != nil || view.ID == "" || view.Status == "" {
			return placed{}, fmt.Errorf("decoding 201 to %s %s: %w: %v (id %q, status %q)", method, path, errBadResponse, err, view.ID, view.Status)
		}
		p.id, p.status, p.etag = view.ID, view.Status, ans.header.Get("ETag")
	default:
		return placed{}, unexpected(method, path, ans)
	}
	return p, nil
}

// orderURL is where the view of an accepted order is read: its Location, resolved against
// the target, or else /orders/{id}.
func (a *apiClient) orderURL(id, location string) string {
	if location != "" {
		if u, err := a.baseURL.Parse(location); err == nil && u.Host != "" {
			return u.String()
		}
	}
	return a.base + "/orders/" + url.PathEscape(id)
}

// orderView is what one GET /orders/{id} learned.
type orderView struct {
	code   int    // 200, 304 (unchanged) or 404 (not known yet)
	status string // 200: the order's status
	etag   string // the view's ETag, when the service sent one
	held   bool   // the service honoured the wait (Preference-Applied: wait=N)
}

func (v orderView) final() bool {
	return v.code == http.StatusOK && finalStatus(v.status)
}

// watchOrder reads an order's view, asking the service to hold the request (Prefer:
// wait=W, RFC 7240) until the view differs from etag ("": until the order exists) or W
// elapsed. 304 and 404 are answers, not errors: the order did not change, or does not
// exist yet (the read side is eventually consistent).
func (a *apiClient) watchOrder(ctx context.Context, orderURL, etag string) (orderView, error) {
	h := http.Header{"Prefer": {"wait=" + strconv.Itoa(int(a.wait/time.Second))}}
	if etag != "" {
		h["If-None-Match"] = []string{etag}
	}
	ans, err := roundTrip(ctx, a.watch, http.MethodGet, orderURL, nil, h)
	if err != nil {
		return orderView{}, err
	}
	v := orderView{code: ans.code, etag: ans.header.Get("ETag"), held: waitApplied(ans.header)}
	switch ans.code {
	case http.StatusOK:
		var o struct {
			Status string `json:"status"`
		}
		if err := json.Unmarshal(ans.body, &o); err != nil || o.Status == "" {
			return orderView{}, fmt.Errorf("decoding answer to GET %s: %w: %v (status %q)", orderURL, errBadResponse, err, o.Status)
		}
		v.status = o.Status
	case http.StatusNotModified, http.StatusNotFound:
	default:
		return orderView{}, unexpected(http.MethodGet, orderURL, ans)
	}
	return v, nil
}

// waitApplied tells whether a Preference-Applied header names the wait preference.
func waitApplied(h http.Header) bool {
	for _, line := range h.Values("Preference-Applied") {
		for pref := range strings.SplitSeq(line, ",") {
			name, _, _ := strings.Cut(strings.TrimSpace(pref), "=")
			if strings.EqualFold(strings.TrimSpace(name), "wait") {
				return true
			}
		}
	}
	return false
}

// setStock records a stock count of units on hand.
func (a *apiClient) setStock(ctx context.Context, sku string, quantity int) error {
	body := []byte(`{"quantity":` + strconv.Itoa(quantity) + `}`)
	_, err := a.do(ctx, http.MethodPut, "/stock/"+url.PathEscape(sku), body, nil, http.StatusAccepted, nil)
	return err
}

// stockLevel is the answer of GET /stock/{sku}. OnHand is nil from a service that does not
// report it.
type stockLevel struct {
	Available int  `json:"available"`
	Reserved  int  `json:"reserved"`
	OnHand    *int `json:"on_hand"`
}

func (a *apiClient) stock(ctx context.Context, sku string) (stockLevel, error) {
	var l stockLevel
	_, err := a.do(ctx, http.MethodGet, "/stock/"+url.PathEscape(sku), nil, nil, http.StatusOK, &l)
	return l, err
}
