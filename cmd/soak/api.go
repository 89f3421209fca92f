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
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// api sends the load's requests to the instances and records each one, with its answer, in
// the history. Every request gets a correlation ID of its own (X-Correlation-ID), which the
// service puts on the command it sends: that is how the checker finds an accepted
// request's command on Kafka.
type api struct {
	client *http.Client
	w      *world
	rec    *recorder
	runID  string
}

// requestTimeout bounds one request: ship and cancel may wait 5 s for an order the read
// side does not know yet, and a command waits for the broker's acknowledgement, which a
// broker restart delays.
const requestTimeout = 20 * time.Second

func newAPI(w *world, rec *recorder, runID string, conns int) *api {
	tr := &http.Transport{
		Proxy:               nil,
		DialContext:         (&net.Dialer{Timeout: 2 * time.Second}).DialContext,
		MaxIdleConns:        conns,
		MaxIdleConnsPerHost: conns,
		MaxConnsPerHost:     conns,
		IdleConnTimeout:     30 * time.Second,
		DisableCompression:  true,
	}
	return &api{client: &http.Client{Transport: tr, Timeout: requestTimeout}, w: w, rec: rec, runID: runID}
}

// send performs req (Method, Path, Op ... filled by the caller) against its instance,
// records it, and returns it with the answer.
func (a *api) send(ctx context.Context, req Request, body any, header http.Header) Request {
	req.Seq = a.rec.next()
	req.CorrelationID = fmt.Sprintf("soak.%s.%d", a.runID, req.Seq)
	var payload io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			req.Error = "encoding body: " + err.Error()
			a.rec.add(req)
			return req
		}
		payload = bytes.NewReader(b)
	}
	req.Start = time.Now()
	ans, err := a.roundTrip(ctx, req, payload, header)
	req.End = time.Now()
	if err != nil {
		req.Error = errorKind(err)
	} else {
		req.Status = ans.code
		if perr := parseAnswer(&req, ans.body); perr != nil {
			req.Error = perr.Error()
		}
	}
	a.rec.add(req)
	return req
}

type answer struct {
	code int
	etag string
	body []byte
}

func (a *api) roundTrip(ctx context.Context, req Request, body io.Reader, header http.Header) (answer, error) {
	hr, err := http.NewRequestWithContext(ctx, req.Method, a.w.instances[req.Instance].url+req.Path, body)
	if err != nil {
		return answer{}, err
	}
	for k, v := range header {
		hr.Header[k] = v
	}
	hr.Header.Set("X-Correlation-Id", req.CorrelationID)
	if body != nil {
		hr.Header.Set("Content-Type", "application/json")
	}
	if req.IdempotencyKey != "" {
		hr.Header.Set("Idempotency-Key", req.IdempotencyKey)
	}
	resp, err := a.client.Do(hr)
	if err != nil {
		return answer{}, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return answer{}, fmt.Errorf("reading the answer: %w", err)
	}
	return answer{code: resp.StatusCode, etag: resp.Header.Get("ETag"), body: data}, nil
}

// parseAnswer reads what the checker needs from an answer: the order a placement named,
// a 201's status, a stock level.
func parseAnswer(req *Request, body []byte) error {
	switch {
	case (req.Op == opPlace || req.Op == opPlaceAgain) && req.Status == http.StatusAccepted:
		var a struct {
			OrderID string `json:"order_id"`
		}
		if err := json.Unmarshal(body, &a); err != nil || a.OrderID == "" {
			return fmt.Errorf("unreadable 202: %q", truncate(string(body), 200))
		}
		req.OrderID = a.OrderID
	case (req.Op == opPlace || req.Op == opPlaceAgain) && req.Status == http.StatusCreated:
		var v struct {
			ID     string `json:"id"`
			Status string `json:"status"`
		}
		if err := json.Unmarshal(body, &v); err != nil || v.ID == "" {
			return fmt.Errorf("unreadable 201: %q", truncate(string(body), 200))
		}
		req.OrderID, req.OrderStatus = v.ID, v.Status
	case req.Op == opReadStock && req.Status == http.StatusOK:
		var l Level
		if err := json.Unmarshal(body, &l); err != nil {
			return fmt.Errorf("unreadable stock level: %q", truncate(string(body), 200))
		}
		req.Level = &l
	}
	return nil
}

// errorKind names why a request got no answer.
func errorKind(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, context.Canceled):
		return "cancelled"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "refused"
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "reset"
	default:
		return "connection: " + truncate(err.Error(), 120)
	}
}

// getOrder reads an order's view at the end (not recorded as a load request).
func (a *api) getOrder(ctx context.Context, n int, id string) View {
	ans, err := a.roundTrip(ctx, Request{Instance: n, Method: http.MethodGet, Path: "/orders/" + url.PathEscape(id)}, nil, nil)
	switch {
	case err != nil:
		return View{Error: errorKind(err)}
	case ans.code == http.StatusNotFound:
		return View{}
	case ans.code != http.StatusOK:
		return View{Error: fmt.Sprintf("HTTP %d: %s", ans.code, truncate(string(ans.body), 200))}
	}
	var v struct {
		Status string `json:"status"`
	}
	if err := json.Unmarshal(ans.body, &v); err != nil {
		return View{Error: "unreadable view: " + err.Error()}
	}
	return View{Found: true, Status: v.Status, Version: versionOfETag(ans.etag)}
}

// getStock reads a stock level at the end (not recorded as a load request).
func (a *api) getStock(ctx context.Context, n int, sku string) StockRead {
	s := StockRead{Instance: n, SKU: sku}
	ans, err := a.roundTrip(ctx, Request{Instance: n, Method: http.MethodGet, Path: "/stock/" + url.PathEscape(sku)}, nil, nil)
	switch {
	case err != nil:
		s.Error = errorKind(err)
	case ans.code != http.StatusOK:
		s.Error = fmt.Sprintf("HTTP %d: %s", ans.code, truncate(string(ans.body), 200))
	default:
		if err := json.Unmarshal(ans.body, &s.Level); err != nil {
			s.Error = "unreadable level: " + err.Error()
		}
	}
	return s
}

// recorder collects the requests and counts their outcomes for the progress line.
type recorder struct {
	seq  atomic.Int64
	mu   sync.Mutex
	reqs []Request

	accepted, rejected, failed, noAnswer atomic.Int64
}

func (r *recorder) next() int { return int(r.seq.Add(1)) }

func (r *recorder) add(req Request) {
	switch {
	case req.Status == 0:
		r.noAnswer.Add(1)
	case req.Status >= 500:
		r.failed.Add(1)
	case req.Status >= 400:
		r.rejected.Add(1)
	default:
		r.accepted.Add(1)
	}
	r.mu.Lock()
	r.reqs = append(r.reqs, req)
	r.mu.Unlock()
}

func (r *recorder) requests() []Request {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Request(nil), r.reqs...)
}

// versionOfETag reads an order's version from its ETag, "<version>.<refusals>[.<hash>]"
// (README: Waiting for an order's outcome): "3.0" -> 3.
func versionOfETag(etag string) int {
	etag = strings.Trim(strings.TrimPrefix(etag, "W/"), `"`)
	v, _, _ := strings.Cut(etag, ".")
	n, _ := strconv.Atoi(v)
	return n
}
