package repositorytest

import (
	"reflect"
	"testing"
)

// filled returns a T whose every field, through every level, holds a non-zero value no
// other fixture of this process holds, then lets set fix what the contract constrains (an
// ID, a version). Round-tripping it and comparing whole with assertSame is how the suite
// covers a field added to a stored type without being edited: the fixture sets the new
// field too, and an adapter that forgets to store it hands back a zero.
//
// Strings are unique IDs named after their field, numbers count up, times are distinct
// instants at microsecond precision in a non-UTC zone, slices get two elements, maps one
// entry and pointers a value.
func filled[T any](t *testing.T, set func(*T)) T {
	t.Helper()
	var v T
	fill(t, "value", reflect.ValueOf(&v).Elem())
	if set != nil {
		set(&v)
	}
	return v
}

func fill(t *testing.T, name string, v reflect.Value) {
	t.Helper()
	if v.Type() == timeType {
		v.Set(reflect.ValueOf(at(int(counter.Add(1)))))
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		for i := range v.NumField() {
			f := v.Type().Field(i)
			if !f.IsExported() {
				t.Fatalf("repositorytest: cannot fill unexported field %s.%s of a stored type", v.Type(), f.Name)
			}
			fill(t, f.Name, v.Field(i))
		}
	case reflect.String:
		v.SetString(uniqueID(name))
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(small(v))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(uint64(small(v)))
	case reflect.Float32, reflect.Float64:
		v.SetFloat(float64(counter.Add(1)) + 0.25)
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 2, 2))
		for i := range v.Len() {
			fill(t, name, v.Index(i))
		}
	case reflect.Array:
		for i := range v.Len() {
			fill(t, name, v.Index(i))
		}
	case reflect.Map:
		k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
		fill(t, name, k)
		fill(t, name, e)
		v.Set(reflect.MakeMapWithSize(v.Type(), 1))
		v.SetMapIndex(k, e)
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fill(t, name, v.Elem())
	default:
		t.Fatalf("repositorytest: cannot fill %s of kind %s: not a stored type", name, v.Kind())
	}
}

// small returns the next count, or a small positive number where the count would not fit
// v (an int8). Counts stay far below what a SQL integer holds.
func small(v reflect.Value) int64 {
	n := counter.Add(1)
	if (v.CanInt() && v.OverflowInt(n)) || (v.CanUint() && v.OverflowUint(uint64(n))) {
		n = 1 + n%100
	}
	return n
}
