// Package stock holds stock levels per SKU and the reservations orders make against them.
package stock

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/example/orders-service/domain/order"
)

// MaxLevel bounds a stock level so sums of reservations cannot overflow.
const MaxLevel = 1_000_000_000

// ErrInvalidLevel is wrapped by every invalid stock level.
var ErrInvalidLevel = errors.New("invalid stock level")

// Level is the stock of one SKU: the units on hand, and how many of them are held for
// orders. Storing on-hand rather than available is what makes setting a level idempotent:
// a stock count redelivered after a reservation was made still leaves the reservation
// counted, where "set available" would hand the reserved units out a second time.
//
// CountID names the count the on-hand figure starts from. Counts are applied in the order
// of their IDs (time-ordered, chosen where the count is taken), so a count delivered again,
// or an older one delivered after a newer, changes nothing: shipments made since the count
// stay taken out.
type Level struct {
	SKU      string
	OnHand   int
	Reserved int
	CountID  string
}

// Available is what orders can still reserve. It is never negative: a count below what is
// already reserved leaves nothing available until reservations are released.
func (l Level) Available() int { return max(0, l.OnHand-l.Reserved) }

// SetOnHand records a stock count; reservations already held stay held.
func (l *Level) SetOnHand(quantity int) error {
	if err := ValidateOnHand(quantity); err != nil {
		return err
	}
	l.OnHand = quantity
	return nil
}

// Count records the stock count countID of quantity units on hand, unless the level starts
// from that count or a later one already; it reports whether it did. A count without an ID
// is applied whatever came before: a sender that does not name its counts cannot be kept in
// order.
func (l *Level) Count(countID string, quantity int) (bool, error) {
	if countID != "" && countID <= l.CountID {
		return false, ValidateOnHand(quantity)
	}
	if err := l.SetOnHand(quantity); err != nil {
		return false, err
	}
	if countID != "" {
		l.CountID = countID
	}
	return true, nil
}

// ValidateOnHand checks a stock count: 0 to MaxLevel units.
func ValidateOnHand(quantity int) error {
	if quantity < 0 || quantity > MaxLevel {
		return fmt.Errorf("%w: quantity %d is outside 0..%d", ErrInvalidLevel, quantity, MaxLevel)
	}
	return nil
}

// ReservationStatus is what happened to an order's request for stock.
type ReservationStatus string

const (
	// ReservationNone means no request for this order was seen yet.
	ReservationNone     ReservationStatus = ""
	ReservationHeld     ReservationStatus = "held"
	ReservationFailed   ReservationStatus = "failed"
	ReservationReleased ReservationStatus = "released"
	// ReservationShipped means the held units left the warehouse with the order.
	ReservationShipped ReservationStatus = "shipped"
)

// Reservation is one order's claim on stock. Keeping it, including failures and releases,
// is what makes reserve and release idempotent per order and immune to reordering: a release
// that arrives before its reserve leaves a tombstone the reserve then respects.
type Reservation struct {
	OrderID string
	Lines   []order.Line
	Status  ReservationStatus
	Reason  string
}

// Levels are the stock levels a reservation touches, by SKU. A SKU never stocked is absent.
type Levels map[string]*Level

func (ls Levels) level(sku string) *Level {
	l, ok := ls[sku]
	if !ok {
		l = &Level{SKU: sku}
		ls[sku] = l
	}
	return l
}

// Outcome says whether a call changed anything. Unchanged means the same request was seen
// before; the caller may re-announce the stored result but must not act twice.
type Outcome int

const (
	Changed Outcome = iota
	Unchanged
)

// Reserve takes all lines from the levels, or none when any SKU is short.
func (r *Reservation) Reserve(orderID string, lines []order.Line, levels Levels) (Outcome, error) {
	if r.Status != ReservationNone {
		return Unchanged, nil
	}
	if err := validateLines(lines); err != nil {
		return Unchanged, err
	}
	r.OrderID = orderID
	r.Lines = append([]order.Line(nil), lines...)
	var short []string
	for _, l := range lines {
		lv := levels.level(l.SKU)
		if lv.Available() < l.Quantity {
			short = append(short, fmt.Sprintf("%s (requested %d, available %d)", l.SKU, l.Quantity, lv.Available()))
		}
	}
	if len(short) > 0 {
		r.Status = ReservationFailed
		r.Reason = "insufficient stock: " + strings.Join(short, ", ")
		return Changed, nil
	}
	for _, l := range lines {
		lv := levels.level(l.SKU)
		lv.Reserved += l.Quantity
	}
	r.Status = ReservationHeld
	return Changed, nil
}

// Release gives a held reservation back. Releasing before any reserve leaves a tombstone;
// releasing a failed reservation changes nothing as nothing was taken.
func (r *Reservation) Release(orderID string, levels Levels) Outcome {
	switch r.Status {
	case ReservationHeld:
		for _, l := range r.Lines {
			lv := levels.level(l.SKU)
			lv.Reserved -= l.Quantity
		}
		r.Status = ReservationReleased
		return Changed
	case ReservationNone:
		r.OrderID = orderID
		r.Status = ReservationReleased
		r.Reason = "released before it was reserved"
		return Changed
	default:
		return Unchanged
	}
}

// Ship takes a held reservation's units out of stock: they leave both on-hand and reserved,
// so what is available does not change. Anything but a held reservation is left as it is;
// shipping twice ships once.
func (r *Reservation) Ship(levels Levels) Outcome {
	if r.Status != ReservationHeld {
		return Unchanged
	}
	for _, l := range r.Lines {
		lv := levels.level(l.SKU)
		lv.Reserved -= l.Quantity
		lv.OnHand = max(0, lv.OnHand-l.Quantity)
	}
	r.Status = ReservationShipped
	return Changed
}

// SKUs lists the SKUs of lines, sorted, so storage can lock them in one global order and
// concurrent reservations cannot deadlock.
func SKUs(lines []order.Line) []string {
	skus := make([]string, 0, len(lines))
	for _, l := range lines {
		skus = append(skus, l.SKU)
	}
	sort.Strings(skus)
	return skus
}

func validateLines(lines []order.Line) error {
	if len(lines) == 0 {
		return errors.New("a reservation needs at least one line")
	}
	seen := make(map[string]bool, len(lines))
	for _, l := range lines {
		if l.SKU == "" || l.Quantity <= 0 {
			return fmt.Errorf("invalid reservation line %q x %d", l.SKU, l.Quantity)
		}
		if seen[l.SKU] {
			return fmt.Errorf("sku %q appears twice in one reservation", l.SKU)
		}
		seen[l.SKU] = true
	}
	return nil
}
