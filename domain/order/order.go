// Package order holds the Order aggregate: what an order is and which changes it allows.
package order

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"
)

// Limits of one order; they bound the work a single message can cause.
const (
	MaxLines       = 50
	MinQuantity    = 1
	MaxQuantity    = 1000
	MaxIDLength    = 128 // bytes, of any ID: order, customer, SKU
	maxReasonBytes = 1024
)

// SKUPattern is the alphabet of a SKU (ValidateSKU also bounds it to MaxIDLength). It is
// ASCII so that a SKU has one spelling: it is the same in a path, percent-encoded or not,
// and in a JSON body, and a byte is a character, so the length bound reads the same in
// bytes and in characters. It starts with a letter or digit so that no SKU is "." or "..",
// which clients and proxies resolve away in a path. The OpenAPI document repeats it, and a
// test holds the two together.
const SKUPattern = `^[A-Za-z0-9][A-Za-z0-9._-]*$`

var skuPattern = regexp.MustCompile(SKUPattern)

// Status is where an order is in its life cycle.
type Status string

const (
	StatusPending   Status = "pending"
	StatusConfirmed Status = "confirmed"
	StatusRejected  Status = "rejected"
	StatusCancelled Status = "cancelled"
	StatusShipped   Status = "shipped"
)

// IsFinal reports whether no further automatic step will change the order.
// Shipped, rejected and cancelled orders are final; a confirmed order is final for
// the placing saga but can still be shipped or cancelled by a person.
func (s Status) IsFinal() bool {
	return s == StatusRejected || s == StatusCancelled || s == StatusShipped
}

// ParseStatus turns an external string into a Status.
func ParseStatus(s string) (Status, error) {
	switch st := Status(s); st {
	case StatusPending, StatusConfirmed, StatusRejected, StatusCancelled, StatusShipped:
		return st, nil
	}
	return "", fmt.Errorf("unknown order status %q", s)
}

// Line is one SKU and how many of it the customer wants: the one item type of the service,
// in the domain and on the wire (orders, reservations, read models).
type Line struct {
	SKU      string `json:"sku"`
	Quantity int    `json:"quantity"`
}

// ErrInvalidOrder is wrapped by every validation error of a new order.
var ErrInvalidOrder = errors.New("invalid order")

// TransitionError says that a change is not allowed from the order's current status.
// It is a business outcome, not a failure: handlers record it and carry on.
type TransitionError struct {
	OrderID string
	Action  string
	From    Status
}

func (e *TransitionError) Error() string {
	return fmt.Sprintf("cannot %s order %s: it is %s", e.Action, e.OrderID, e.From)
}

// Order is the aggregate. Its fields are unexported so every change goes through a rule.
type Order struct {
	id         string
	customerID string
	lines      []Line
	status     Status
	reason     string
	version    int
	createdAt  time.Time
	updatedAt  time.Time
}

// New places an order, and returns it with the event of its placement. It validates
// everything a command can get wrong.
func New(id, customerID string, lines []Line, now time.Time) (*Order, OrderPlaced, error) {
	if err := ValidateID("order id", id); err != nil {
		return nil, OrderPlaced{}, err
	}
	if err := ValidateID("customer id", customerID); err != nil {
		return nil, OrderPlaced{}, err
	}
	if err := ValidateLines(lines); err != nil {
		return nil, OrderPlaced{}, err
	}
	o := &Order{
		id:         id,
		customerID: customerID,
		lines:      append([]Line(nil), lines...),
		status:     StatusPending,
		version:    1,
		createdAt:  now,
		updatedAt:  now,
	}
	return o, o.placed(), nil
}

// ValidateID checks an identifier: non-empty, bounded, valid UTF-8, printable without
// spaces. Invalid UTF-8 is refused rather than repaired: JSON would turn every invalid byte
// into U+FFFD on the way to Kafka, so different IDs would silently become one.
func ValidateID(what, id string) error {
	switch {
	case strings.TrimSpace(id) == "":
		return fmt.Errorf("%w: %s is required", ErrInvalidOrder, what)
	case len(id) > MaxIDLength:
		return fmt.Errorf("%w: %s is longer than %d bytes", ErrInvalidOrder, what, MaxIDLength)
	case !utf8.ValidString(id):
		return fmt.Errorf("%w: %s is not valid UTF-8", ErrInvalidOrder, what)
	case strings.ContainsFunc(id, func(r rune) bool { return r <= ' ' || r == 0x7f }):
		return fmt.Errorf("%w: %s contains spaces or control characters", ErrInvalidOrder, what)
	}
	return nil
}

// ValidateSKU checks a SKU: an ID (ValidateID) made of SKUPattern's alphabet. Every SKU the
// API takes (an order's items, a stock path) is checked with it, so a SKU that can be
// stocked can be ordered and the other way round.
func ValidateSKU(what, sku string) error {
	if err := ValidateID(what, sku); err != nil {
		return err
	}
	if !skuPattern.MatchString(sku) {
		return fmt.Errorf("%w: %s must be letters, digits, '.', '_' and '-', starting with a letter or digit", ErrInvalidOrder, what)
	}
	return nil
}

// ValidateLines checks the 1..MaxLines lines of an order, each with a quantity in range.
// A SKU may appear once only, so a reservation per SKU is unambiguous.
func ValidateLines(lines []Line) error {
	if len(lines) == 0 {
		return fmt.Errorf("%w: at least one item is required", ErrInvalidOrder)
	}
	if len(lines) > MaxLines {
		return fmt.Errorf("%w: %d items, at most %d allowed", ErrInvalidOrder, len(lines), MaxLines)
	}
	seen := make(map[string]struct{}, len(lines))
	for i, l := range lines {
		if err := ValidateSKU(fmt.Sprintf("items[%d].sku", i), l.SKU); err != nil {
			return err
		}
		if _, dup := seen[l.SKU]; dup {
			return fmt.Errorf("%w: items[%d].sku %q appears more than once", ErrInvalidOrder, i, l.SKU)
		}
		seen[l.SKU] = struct{}{}
		if l.Quantity < MinQuantity || l.Quantity > MaxQuantity {
			return fmt.Errorf("%w: items[%d].quantity %d is outside %d..%d", ErrInvalidOrder, i, l.Quantity, MinQuantity, MaxQuantity)
		}
	}
	return nil
}

func (o *Order) ID() string           { return o.id }
func (o *Order) CustomerID() string   { return o.customerID }
func (o *Order) Lines() []Line        { return append([]Line(nil), o.lines...) }
func (o *Order) Status() Status       { return o.status }
func (o *Order) Reason() string       { return o.reason }
func (o *Order) Version() int         { return o.version }
func (o *Order) CreatedAt() time.Time { return o.createdAt }
func (o *Order) UpdatedAt() time.Time { return o.updatedAt }

// SameAs reports whether a repeated placement describes this very order, which makes a
// redelivered PlaceOrder a harmless duplicate rather than a conflict.
func (o *Order) SameAs(customerID string, lines []Line) bool {
	if o.customerID != customerID || len(o.lines) != len(lines) {
		return false
	}
	for i := range lines {
		if o.lines[i] != lines[i] {
			return false
		}
	}
	return true
}

// Each change below returns the event it caused, carrying the version of that change; a
// refused change returns a *TransitionError and changes nothing.

// Confirm marks a pending order as confirmed once its stock is reserved.
func (o *Order) Confirm(now time.Time) (OrderConfirmed, error) {
	if o.status != StatusPending {
		return OrderConfirmed{}, o.refuse("confirm")
	}
	o.change(StatusConfirmed, "", now)
	return OrderConfirmed{Header: header(o)}, nil
}

// Reject marks a pending order as rejected, keeping why.
func (o *Order) Reject(reason string, now time.Time) (OrderRejected, error) {
	if o.status != StatusPending {
		return OrderRejected{}, o.refuse("reject")
	}
	o.change(StatusRejected, boundReason(reason, "rejected"), now)
	return OrderRejected{Header: header(o), Reason: o.reason}, nil
}

// Cancel stops a pending or confirmed order.
func (o *Order) Cancel(reason string, now time.Time) (OrderCancelled, error) {
	if o.status != StatusPending && o.status != StatusConfirmed {
		return OrderCancelled{}, o.refuse("cancel")
	}
	o.change(StatusCancelled, boundReason(reason, "cancelled by request"), now)
	return OrderCancelled{Header: header(o), Reason: o.reason}, nil
}

// Ship sends a confirmed order.
func (o *Order) Ship(now time.Time) (OrderShipped, error) {
	if o.status != StatusConfirmed {
		return OrderShipped{}, o.refuse("ship")
	}
	o.change(StatusShipped, "", now)
	return OrderShipped{Header: header(o)}, nil
}

func (o *Order) refuse(action string) error {
	return &TransitionError{OrderID: o.id, Action: action, From: o.status}
}

func (o *Order) change(to Status, reason string, now time.Time) {
	o.status = to
	o.reason = reason
	o.version++
	if now.After(o.updatedAt) {
		o.updatedAt = now
	}
}

func boundReason(reason, fallback string) string {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return fallback
	}
	if len(reason) > maxReasonBytes {
		return strings.ToValidUTF8(reason[:maxReasonBytes], "")
	}
	return reason
}

// Snapshot is the order's full state, for repositories that store and restore it.
type Snapshot struct {
	ID         string
	CustomerID string
	Lines      []Line
	Status     Status
	Reason     string
	Version    int
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// Snapshot copies the state out.
func (o *Order) Snapshot() Snapshot {
	return Snapshot{
		ID: o.id, CustomerID: o.customerID, Lines: o.Lines(), Status: o.status, Reason: o.reason,
		Version: o.version, CreatedAt: o.createdAt, UpdatedAt: o.updatedAt,
	}
}

// FromSnapshot restores an order a repository stored; it trusts the stored state.
func FromSnapshot(s Snapshot) *Order {
	return &Order{
		id: s.ID, customerID: s.CustomerID, lines: append([]Line(nil), s.Lines...), status: s.Status,
		reason: s.Reason, version: s.Version, createdAt: s.CreatedAt, updatedAt: s.UpdatedAt,
	}
}
