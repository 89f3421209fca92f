package http

import (
	"errors"
	"net/http"
	"strings"

	"github.com/example/orders-service/domain/order"
)

// fieldErrors collects the rules a request body breaks, field by field, so that a client
// learns every one at once. The rules are the domain's: its validators say what is wrong
// (order.Violation), and this port only says where, and that a member is missing.
type fieldErrors []FieldError

// missing records a member that is absent or null.
func (f *fieldErrors) missing(field string) {
	*f = append(*f, FieldError{field, "is required"})
}

// add records the rule err breaks, if any.
func (f *fieldErrors) add(err error) {
	if err != nil {
		*f = append(*f, ruleBroken(err))
	}
}

// problem is the 422 of the rules broken; nil when none is.
func (f fieldErrors) problem() error {
	if len(f) == 0 {
		return nil
	}
	return validationProblem(f)
}

// brokenRules is the 422 of the rules errs break (a nil one breaks none); nil when none.
func brokenRules(errs ...error) error {
	var f fieldErrors
	for _, err := range errs {
		f.add(err)
	}
	return f.problem()
}

// ruleBroken is a domain validation error at its field, in the domain's words without its
// "invalid order:" prefix, since the field is reported beside them.
func ruleBroken(err error) FieldError {
	var v *order.Violation
	if !errors.As(err, &v) {
		return FieldError{Detail: err.Error()} // not expected: order's validators return Violations
	}
	detail := v.Rule
	if v.Got != "" {
		detail += ", got " + v.Got
	}
	return FieldError{Field: v.Field, Detail: detail}
}

func (f FieldError) String() string { return f.Field + " " + f.Detail }

func validationProblem(fields []FieldError) error {
	parts := make([]string, len(fields))
	for i, f := range fields {
		parts[i] = f.String()
	}
	return newProblem(http.StatusUnprocessableEntity, "invalid request: "+strings.Join(parts, "; "), fields...)
}
