package repositorytest

import (
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/example/orders-service/app/query"
)

// stored stands for a stored type with a field of every kind fill and diff handle.
type stored struct {
	Name  string
	Count int
	Small int8
	Ratio float64
	Flag  bool
	At    time.Time
	Lines []query.Refusal
	Tags  map[string]int
	Next  *query.Refusal
	Fixed [2]uint16
	View  query.OrderView
}

func TestFilledSetsEveryField(t *testing.T) {
	a, b := filled[stored](t, nil), filled[stored](t, nil)
	var zeros []string
	walkZero("", reflect.ValueOf(a), &zeros)
	if len(zeros) > 0 {
		t.Errorf("filled left zero: %v", zeros)
	}
	if a.Name == b.Name || a.Count == b.Count || a.At.Equal(b.At) {
		t.Errorf("two fixtures share values: %+v and %+v", a, b)
	}
}

// walkZero appends the paths of zero values in v.
func walkZero(path string, v reflect.Value, zeros *[]string) {
	if v.IsZero() {
		*zeros = append(*zeros, path)
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		if v.Type() == timeType {
			return
		}
		for i := range v.NumField() {
			walkZero(path+"."+v.Type().Field(i).Name, v.Field(i), zeros)
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			walkZero(path+"[]", v.Index(i), zeros)
		}
	case reflect.Pointer:
		walkZero(path, v.Elem(), zeros)
	}
}

func TestDiff(t *testing.T) {
	want := filled[stored](t, nil)
	same := want
	same.At = want.At.UTC() // the instant, as PostgreSQL hands it back
	same.Lines = slices.Clone(want.Lines)
	dropped := want
	dropped.View.Reason = ""
	emptied := want
	emptied.Lines = []query.Refusal{}
	later := want
	later.Lines = slices.Clone(want.Lines)
	later.Lines[1].At = later.Lines[1].At.Add(time.Microsecond)

	tests := []struct {
		name string
		got  stored
		want []string
	}{
		{"equal but for the zone", same, nil},
		{"a dropped field", dropped, []string{`View.Reason: got "", want "` + want.View.Reason + `"`}},
		{"an empty slice for a full one", emptied, []string{"Lines: got 0 elements, want 2 elements"}},
		{"another instant", later, []string{"Lines[1].At: got " + later.Lines[1].At.String() + ", want " + want.Lines[1].At.String()}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			diff(&got, "", reflect.ValueOf(tt.got), reflect.ValueOf(want))
			if !slices.Equal(got, tt.want) {
				t.Errorf("diff =\n %q\nwant\n %q", got, tt.want)
			}
		})
	}
	var got []string
	diff(&got, "", reflect.ValueOf([]int(nil)), reflect.ValueOf([]int{}))
	if !slices.Equal(got, []string{"value: got nil, want non-nil with 0 elements"}) {
		t.Errorf("diff of nil and empty = %q", got)
	}
}
