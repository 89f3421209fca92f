package repositorytest

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

var timeType = reflect.TypeFor[time.Time]()

// assertSame fails the test when got and want differ anywhere, listing every difference by
// its path (Items[1].Quantity, Refusals[0].At). Values are compared whole, field by field
// through every level, so a field added to a stored type is compared without editing the
// suite: an adapter that drops it fails here.
//
// The one normalisation is the one storage may make: times are compared as instants
// (Equal), since PostgreSQL keeps the instant, not the zone. Fixtures use microsecond
// precision, so no rounding is needed. A nil slice and an empty one differ: the adapters
// return the same, and a caller may tell them apart.
func assertSame[T any](t *testing.T, what string, got, want T) {
	t.Helper()
	var diffs []string
	diff(&diffs, "", reflect.ValueOf(got), reflect.ValueOf(want))
	if len(diffs) > 0 {
		t.Fatalf("%s differs:\n\t%s\ngot  %+v\nwant %+v", what, strings.Join(diffs, "\n\t"), got, want)
	}
}

// diff appends to diffs a line for each place where got and want differ.
func diff(diffs *[]string, path string, got, want reflect.Value) {
	report := func(msg string) { *diffs = append(*diffs, orRoot(path)+": "+msg) }
	differ := func(g, w string) { report("got " + g + ", want " + w) }
	switch {
	case !got.IsValid() || !want.IsValid():
		if got.IsValid() != want.IsValid() {
			differ(show(got), show(want))
		}
		return
	case got.Type() != want.Type(): // behind an interface
		differ("a "+got.Type().String(), "a "+want.Type().String())
		return
	case !got.CanInterface():
		// Stored types are plain data with exported fields (order.Snapshot exists for
		// that); the suite must say it cannot compare a field rather than skip it.
		report("an unexported field the suite cannot compare")
		return
	case got.Type() == timeType:
		if g, w := got.Interface().(time.Time), want.Interface().(time.Time); !g.Equal(w) {
			differ(g.String(), w.String())
		}
		return
	}
	switch got.Kind() {
	case reflect.Struct:
		for i := range got.NumField() {
			diff(diffs, path+"."+got.Type().Field(i).Name, got.Field(i), want.Field(i))
		}
	case reflect.Slice:
		if got.IsNil() != want.IsNil() {
			differ(nilOrEmpty(got), nilOrEmpty(want))
			return
		}
		fallthrough
	case reflect.Array:
		if got.Len() != want.Len() {
			differ(fmt.Sprintf("%d elements", got.Len()), fmt.Sprintf("%d elements", want.Len()))
		}
		for i := range min(got.Len(), want.Len()) {
			diff(diffs, fmt.Sprintf("%s[%d]", path, i), got.Index(i), want.Index(i))
		}
	case reflect.Map:
		if got.IsNil() != want.IsNil() || got.Len() != want.Len() {
			differ(show(got), show(want))
			return
		}
		for _, k := range want.MapKeys() {
			diff(diffs, fmt.Sprintf("%s[%v]", path, k), got.MapIndex(k), want.MapIndex(k))
		}
	case reflect.Pointer, reflect.Interface:
		if got.IsNil() || want.IsNil() {
			if got.IsNil() != want.IsNil() {
				differ(show(got), show(want))
			}
			return
		}
		diff(diffs, path, got.Elem(), want.Elem())
	case reflect.String, reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Complex64, reflect.Complex128:
		if !got.Equal(want) {
			differ(show(got), show(want))
		}
	default:
		// Channels and functions are not state a repository stores: a type holding one is
		// not a stored type, and the suite must say so rather than pass it.
		report("a " + got.Kind().String() + " the suite cannot compare")
	}
}

func show(v reflect.Value) string {
	switch {
	case !v.IsValid():
		return "absent"
	case v.Kind() == reflect.String:
		return fmt.Sprintf("%q", v.String())
	}
	return fmt.Sprintf("%+v", v)
}

func nilOrEmpty(v reflect.Value) string {
	if v.IsNil() {
		return "nil"
	}
	return fmt.Sprintf("non-nil with %d elements", v.Len())
}

func orRoot(path string) string {
	if path == "" {
		return "value"
	}
	return strings.TrimPrefix(path, ".")
}
