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
	"time"
)

// apiClient speaks the service's HTTP API with its own connection pool.
type apiClient struct {
	base string
	http *http.Client
}

// newAPIClient sizes the idle pool so that every request that may be in flight at once
// can keep its connection: a smaller pool closes connections under load and fills the
// machine with TIME_WAIT sockets.
func newAPIClient(base string, maxConns int, timeout time.Duration) *apiClient {
	tr := &http.Transport{
		Proxy:                 nil, // straight to the target, whatever the environment says
		DialContext:           (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:          maxConns,
		MaxIdleConnsPerHost:   maxConns,
		IdleConnTimeout:       90 * time.Second,
		ResponseHeaderTimeout: timeout,
		DisableCompression:    true,
		ForceAttemptHTTP2:     false,
	}
	return &apiClient{base: base, http: &http.Client{Transport: tr, Timeout: timeout}}
}

func (a *apiClient) close() { a.http.CloseIdleConnections() }

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

// do sends a request and decodes a JSON answer into out when the status is want. Any
// other status is a *statusError. The body is always read to the end so the connection
// goes back to the pool.
func (a *apiClient) do(ctx context.Context, method, path string, body []byte, header http.Header, want int, out any) error {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, a.base+path, rd)
	if err != nil {
		return fmt.Errorf("building %s %s: %w", method, path, err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := a.http.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("reading answer to %s %s: %w", method, path, err)
	}
	if resp.StatusCode != want {
		if len(data) > 200 {
			data = data[:200]
		}
		return fmt.Errorf("%s %s: %w", method, path, &statusError{code: resp.StatusCode, body: string(data)})
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("decoding answer to %s %s: %w: %v", method, path, errBadResponse, err)
		}
	}
	return nil
}

// placeOrder posts an order and returns its ID once the service answered 202.
func (a *apiClient) placeOrder(ctx context.Context, body []byte, correlationID string) (string, error) {
	var accepted struct {
		OrderID string `json:"order_id"`
	}
	h := http.Header{"X-Correlation-Id": {correlationID}}
	if err := a.do(ctx, http.MethodPost, "/orders", body, h, http.StatusAccepted, &accepted); err != nil {
		return "", err
	}
	if accepted.OrderID == "" {
		return "", fmt.Errorf("POST /orders: %w: no order_id", errBadResponse)
	}
	return accepted.OrderID, nil
}

// orderStatus returns an order's status, or "" while the read model does not know it yet
// (404: the read side is eventually consistent).
func (a *apiClient) orderStatus(ctx context.Context, id string) (string, error) {
	var o struct {
		Status string `json:"status"`
	}
	err := a.do(ctx, http.MethodGet, "/orders/"+url.PathEscape(id), nil, nil, http.StatusOK, &o)
	var se *statusError
	if errors.As(err, &se) && se.code == http.StatusNotFound {
		return "", nil
	}
	return o.Status, err
}

// setStock records a stock count of units on hand.
func (a *apiClient) setStock(ctx context.Context, sku string, quantity int) error {
	body := []byte(`{"quantity":` + strconv.Itoa(quantity) + `}`)
	return a.do(ctx, http.MethodPut, "/stock/"+url.PathEscape(sku), body, nil, http.StatusAccepted, nil)
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
	err := a.do(ctx, http.MethodGet, "/stock/"+url.PathEscape(sku), nil, nil, http.StatusOK, &l)
	return l, err
}
