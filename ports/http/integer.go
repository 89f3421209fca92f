package http

import (
	"errors"
	"math"
	"strconv"
	"strings"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/example/orders-service/domain/order"
)

// jsonInteger is an integer member of a request body. It reads a JSON number the way JSON
// Schema's "integer" (and so openapi.yaml) does: by its value, however it is written, so
// 2, 2.0 and 2e0 are all 2, and 1.5 is not an integer (a type error, 400). An integer too
// large for an int is still an integer: it is read as the nearest int, beyond every bound
// a rule sets, so that validation answers "must be between" (422) for 1e23 as it does for
// 1001, instead of a decoding error; problems quote it as written.
type jsonInteger struct {
	value   int    // the integer, or the nearest int when it does not fit one
	literal string // the number as sent
}

// notIntegerError is a value where an integer is required: another JSON type, or a number
// with a fractional part.
type notIntegerError struct{ got string }

func (e *notIntegerError) Error() string { return "must be an integer, got " + e.got }

// UnmarshalJSON is only called for a value that is not null: a null member leaves the
// *jsonInteger nil, which validation reports as missing.
func (n *jsonInteger) UnmarshalJSON(b []byte) error {
	v := jsontext.Value(b)
	if v.Kind() != '0' {
		return &notIntegerError{got: truncate(string(b), 40)}
	}
	lit := string(b)
	value, fits, integral := parseInteger(lit)
	if !integral {
		return &notIntegerError{got: truncate(lit, 40)}
	}
	if !fits {
		value = math.MaxInt
		if strings.HasPrefix(lit, "-") {
			value = math.MinInt
		}
	}
	*n = jsonInteger{value: value, literal: lit}
	return nil
}

// check applies a domain rule to the integer. The rule's violation quotes the integer as it
// was sent (2.0, 1e23), not as the rule read it.
func (n jsonInteger) check(what string, rule func(what string, value int) error) error {
	err := rule(what, n.value)
	var v *order.Violation
	if errors.As(err, &v) && v.Got != "" {
		quoted := *v
		quoted.Got = n.String()
		return &quoted
	}
	return err
}

// String is the integer as it was sent, shortened: what a problem detail quotes.
func (n jsonInteger) String() string { return truncate(n.literal, 40) }

// parseInteger reads a JSON number literal (valid JSON syntax) exactly, in decimal, with no
// rounding through float64: integral says whether its value is an integer, and fits
// whether that integer fits an int, which is then value.
func parseInteger(lit string) (value int, fits, integral bool) {
	s := lit
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	mantissa, exponent := s, ""
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		mantissa, exponent = s[:i], s[i+1:]
	}
	whole, frac, _ := strings.Cut(mantissa, ".")
	// Past this magnitude the exponent decides alone: the value is a non-zero integer with
	// more digits than any int, or has a non-zero digit below the units; so it need not
	// (and, unbounded in JSON, must not) be computed with as it is.
	exp := parseExponent(exponent, len(lit)+20)

	// The value is digits * 10^scale.
	digits := strings.TrimLeft(whole+frac, "0")
	scale := exp - len(frac)
	if digits == "" {
		return 0, true, true
	}
	trimmed := strings.TrimRight(digits, "0")
	scale += len(digits) - len(trimmed)
	digits = trimmed
	if scale < 0 {
		return 0, false, false // its last non-zero digit is below the units
	}
	if len(digits)+scale > len(strconv.Itoa(int(^uint(0)>>1))) {
		return 0, false, true // more digits than the largest int has
	}
	text := digits + strings.Repeat("0", scale)
	if neg {
		text = "-" + text
	}
	v, err := strconv.Atoi(text)
	if err != nil {
		return 0, false, true // as many digits as the largest int, and larger
	}
	return v, true, true
}

// parseExponent reads the exponent of a JSON number ("", "5", "+5", "-5"), bounded by
// bound in magnitude.
func parseExponent(s string, bound int) int {
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimLeft(strings.TrimLeft(s, "+-"), "0")
	e := bound
	if len(s) <= len(strconv.Itoa(bound)) {
		if n, err := strconv.Atoi("0" + s); err == nil { // digits only: JSON syntax was checked
			e = min(n, bound)
		}
	}
	if neg {
		return -e
	}
	return e
}
