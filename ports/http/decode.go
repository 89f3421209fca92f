package http

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strconv"
	"strings"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// decodeStrict reads exactly one JSON object into v with the strictness of JSON v2: field
// names match exactly (case-sensitive), unknown and duplicate fields, trailing data and type
// mismatches are errors, each reported with the path of the offending field so a client
// learns exactly what to fix.
//
// The API's rule, which openapi.yaml states: what makes a body unreadable as the object
// asked for is 400 (not JSON, a value of the wrong JSON type, a fraction where an integer
// is required, unknown or duplicate members, a body that is no object); decodeStrict
// answers those. A value of the right type that breaks a rule (out of range, too long, a
// member missing or null) is 422, which the decoders answer after it.
func decodeStrict(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return newProblem(http.StatusBadRequest, "request body is empty; a JSON object is expected")
	}
	if err := json.Unmarshal(body, v, json.RejectUnknownMembers(true)); err != nil {
		return jsonProblem(err)
	}
	// JSON null unmarshals into a struct without error, as if it were {}; but a null body
	// is no object, so it is a type error like [] or "x", not an object missing members.
	if jsontext.Value(bytes.TrimSpace(body)).Kind() == 'n' {
		return newProblem(http.StatusBadRequest, "request body must be an object, got null")
	}
	return nil
}

// decodeRequest reads a body as the request type R, strictly (decodeStrict: 400 when it
// cannot). No body, for a request type whose body is optional, reads as R's zero value.
func decodeRequest[R any](body []byte) (R, error) {
	var req R
	if _, optional := any(req).(optionalBody); optional && len(bytes.TrimSpace(body)) == 0 {
		return req, nil
	}
	if err := decodeStrict(body, &req); err != nil {
		var zero R
		return zero, err
	}
	return req, nil
}

// optionalBody is a request type whose body may be left out (requestBody.required: false in
// openapi.yaml): no body, or only blanks, reads as {}.
type optionalBody interface{ bodyIsOptional() }

func jsonProblem(err error) error {
	var syntax *jsontext.SyntacticError
	var semantic *json.SemanticError
	switch {
	case errors.As(err, &syntax):
		detail := fmt.Sprintf("malformed JSON at byte %d: %v", syntax.ByteOffset, syntax.Err)
		if errors.Is(syntax.Err, jsontext.ErrDuplicateName) {
			field := fieldPath(syntax.JSONPointer)
			return newProblem(http.StatusBadRequest, fmt.Sprintf("field %s appears more than once", field), FieldError{Field: field, Detail: "appears more than once"})
		}
		return newProblem(http.StatusBadRequest, detail)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return newProblem(http.StatusBadRequest, "malformed JSON: the body ends early")
	case errors.As(err, &semantic):
		field := fieldPath(semantic.JSONPointer)
		if errors.Is(semantic.Err, json.ErrUnknownName) {
			return newProblem(http.StatusBadRequest, fmt.Sprintf("unknown field %s", field), FieldError{Field: field, Detail: "unknown field"})
		}
		want := jsonKind(semantic.GoType)
		got := semantic.JSONKind.String()
		if semantic.JSONValue != nil {
			got = truncate(string(semantic.JSONValue), 40)
		}
		var notInteger *notIntegerError
		if errors.As(semantic.Err, &notInteger) {
			want, got = "an integer", notInteger.got
		}
		if field == "" {
			return newProblem(http.StatusBadRequest, fmt.Sprintf("request body must be %s, got %s", want, got))
		}
		return newProblem(http.StatusBadRequest, fmt.Sprintf("%s must be %s, got %s", field, want, got),
			FieldError{Field: field, Detail: fmt.Sprintf("must be %s, got %s", want, got)})
	}
	return newProblem(http.StatusBadRequest, "malformed JSON: "+err.Error())
}

// fieldPath turns a JSON pointer ("/items/0/quantity") into the form used in problem
// details ("items[0].quantity").
func fieldPath(p jsontext.Pointer) string {
	var b strings.Builder
	for tok := range p.Tokens() {
		if _, err := strconv.Atoi(tok); err == nil && b.Len() > 0 {
			b.WriteString("[" + tok + "]")
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(tok)
	}
	return b.String()
}

func jsonKind(t reflect.Type) string {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil {
		return "a JSON value of another type"
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int64, reflect.Int32:
		return "an integer"
	case reflect.String:
		return "a string"
	case reflect.Slice:
		return "an array"
	case reflect.Struct, reflect.Map:
		return "an object"
	}
	return t.Kind().String()
}
