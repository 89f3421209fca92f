package http

import (
	"strconv"
	"strings"

	"github.com/go-json-experiment/json/jsontext"
)

// jsonInteger is an integer member of a request body. It reads a JSON number the way JSON
// Schema's "integer" (and so openapi.yaml) does: by its value, however it is written, so
// 2, 2.0 and 2e0 are all 2, and 1.5 is not an integer (a type error, 400). An integer too
// large for an int is still an integer: it is kept as written, so that validation answers
// "must be between" (422) for 1e23 as it does for 1001, instead of a decoding error.
type jsonInteger struct {
	value    int
	tooLarge bool   // the value does not fit an int; literal has it
	literal  string // the number as sent
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
	*n = jsonInteger{value: value, tooLarge: !fits, literal: lit}
	return nil
}

// within reports whether the integer lies in [lo, hi].
func (n jsonInteger) within(lo, hi int) bool {
	return !n.tooLarge && n.value >= lo && n.value <= hi
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
