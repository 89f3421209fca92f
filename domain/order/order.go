// Package order holds the Order aggregate: what an order is and which changes it allows.
package order

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Limits of one order; they bound the work a single message can cause.
const (
	MaxLines       = 50
	MinQuantity    = 1
	MaxQuantity    = 1000
	MaxIDLength    = 128  // bytes, of any ID: order, customer, SKU
	MaxReasonBytes = 1024 // bytes of a reason: one a person gives is refused above it, any other is cut

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

// Violation is one rule of an order that a value breaks, at the field that breaks it. The
// validators of an order's values (ValidateID, ValidateSKU, ValidateLineCount,
// ValidateQuantity, DistinctSKUs, ValidateReason) return one, wrapping ErrInvalidOrder, so
// that a port reports each broken rule at its field in the domain's words and states no
// rule again.
type Violation struct {
	Field string // the value's name, as the caller gave it: "customer_id", "items[2].sku"
	Rule  string // what the rule asks, worded to follow Field: "must be between 1 and 1000"
	Got   string // the value, when Rule does not quote it; a port may quote it as it was sent
}

func (v *Violation) Error() string {
	msg := ErrInvalidOrder.Error() + ": " + v.Field + " " + v.Rule
	if v.Got != "" {
		msg += ", got " + v.Got
	}
	return msg
}

func (v *Violation) Unwrap() error { return ErrInvalidOrder }

func violation(field, format string, args ...any) error {
	return &Violation{Field: field, Rule: fmt.Sprintf(format, args...)}
}

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
		return violation(what, "is required")
	case len(id) > MaxIDLength:
		return violation(what, "is longer than %d bytes", MaxIDLength)
	case !utf8.ValidString(id):
		return violation(what, "is not valid UTF-8")
	case strings.ContainsFunc(id, func(r rune) bool { return r <= ' ' || r == 0x7f }):
		return violation(what, "contains spaces or control characters")
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
		return violation(what, "must be letters, digits, '.', '_' and '-', starting with a letter or digit")
	}
	return nil
}

// ValidateLines checks the lines of an order, field by field in order (ValidateLineCount,
// DistinctSKUs, ValidateQuantity), and reports the first rule broken.
func ValidateLines(lines []Line) error {
	if err := ValidateLineCount(len(lines)); err != nil {
		return err
	}
	var skus DistinctSKUs
	for i, l := range lines {
		if err := skus.Validate(fmt.Sprintf("items[%d].sku", i), l.SKU); err != nil {
			return err
		}
		if err := ValidateQuantity(fmt.Sprintf("items[%d].quantity", i), l.Quantity); err != nil {
			return err
		}
	}
	return nil
}

// ValidateLineCount checks how many lines an order has: 1 to MaxLines.
func ValidateLineCount(n int) error {
	if n < 1 || n > MaxLines {
		return violation("items", "must hold 1 to %d items, has %d", MaxLines, n)
	}
	return nil
}

// ValidateQuantity checks the quantity of one line: MinQuantity to MaxQuantity.
func ValidateQuantity(what string, quantity int) error {
	if quantity < MinQuantity || quantity > MaxQuantity {
		return &Violation{Field: what, Rule: fmt.Sprintf("must be between %d and %d", MinQuantity, MaxQuantity), Got: strconv.Itoa(quantity)}
	}
	return nil
}

// DistinctSKUs checks the SKUs of one order's lines, line after line: each valid
// (ValidateSKU) and on one line only, so that a reservation per SKU is unambiguous.
// ValidateLines runs it over whole lines; a port that reads lines member by member, some
// of them missing, runs it over the SKUs it has. The zero value is ready to use.
type DistinctSKUs struct {
	seen map[string]bool
}

// Validate checks the SKU of the next line.
func (d *DistinctSKUs) Validate(what, sku string) error {
	if err := ValidateSKU(what, sku); err != nil {
		return err
	}
	if d.seen[sku] {
		return violation(what, "%q appears more than once; put the whole quantity on one item", sku)
	}
	if d.seen == nil {
		d.seen = make(map[string]bool)
	}
	d.seen[sku] = true
	return nil
}

// ValidateReason checks a reason a person gives for a change: at most MaxReasonBytes. It is
// refused where it is given, so that the person learns it is too long; reasons that come
// from elsewhere (a failed reservation) are cut to the bound instead.
func ValidateReason(what, reason string) error {
	if len(reason) > MaxReasonBytes {
		return violation(what, "must be at most %d bytes", MaxReasonBytes)
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
	if len(reason) > MaxReasonBytes {
		return strings.ToValidUTF8(reason[:MaxReasonBytes], "")
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
