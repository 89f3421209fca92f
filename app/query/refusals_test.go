package query_test

import (
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/example/orders-service/app/query"
)

func TestOrderViewAddRefusal(t *testing.T) {
	at := func(minute int) time.Time { return t0.Add(time.Duration(minute) * time.Minute) }
	msg1 := query.Refusal{CommandID: "msg-1", Command: "orders.ShipOrder.v1", Reason: "cannot ship order: it is pending", At: at(1)}
	// The same message handled again once the order had moved on.
	msg1Later := msg1
	msg1Later.Reason, msg1Later.At = "cannot ship order: it is cancelled", at(5)
	// Another message, refused alike.
	msg2 := msg1
	msg2.CommandID = "msg-2"
	// What msg1 says, without knowing its message.
	anon := msg1
	anon.CommandID = ""
	anonLater := anon
	anonLater.At = at(3)
	// anon's instant, in another zone: how a stored time may come back.
	anonElsewhere := anon
	anonElsewhere.At = anon.At.In(time.FixedZone("UTC+2", 2*60*60))

	full := make([]query.Refusal, query.MaxRefusals)
	for i := range full {
		full[i] = query.Refusal{CommandID: fmt.Sprint("full-", i), Command: "orders.ShipOrder.v1", Reason: "cannot ship", At: at(i)}
	}

	tests := []struct {
		name     string
		recorded []query.Refusal
		r        query.Refusal
		added    bool
		want     []query.Refusal
	}{
		{"the first refusal is recorded", nil, msg1, true, []query.Refusal{msg1}},
		{"a new refusal goes last", []query.Refusal{anon}, msg1, true, []query.Refusal{anon, msg1}},
		{"a message recorded before is ignored, however it was refused again", []query.Refusal{msg1}, msg1Later, false, []query.Refusal{msg1}},
		{"another message refused alike is recorded", []query.Refusal{msg1}, msg2, true, []query.Refusal{msg1, msg2}},
		{"without a CommandID an identical refusal is ignored", []query.Refusal{anon}, anon, false, []query.Refusal{anon}},
		{"an identical refusal is so at the same instant in another zone", []query.Refusal{anon}, anonElsewhere, false, []query.Refusal{anon}},
		{"without a CommandID a refusal at another time is recorded", []query.Refusal{anon}, anonLater, true, []query.Refusal{anon, anonLater}},
		{"a refusal without a CommandID is not the message's", []query.Refusal{msg1}, anon, true, []query.Refusal{msg1, anon}},
		{"a message's refusal is not an anonymous one's", []query.Refusal{anon}, msg1, true, []query.Refusal{anon, msg1}},
		{"past MaxRefusals the oldest is dropped", full, msg1, true, append(slices.Clone(full[1:]), msg1)},
		{"a full view ignores a recorded refusal and drops nothing", full, full[0], false, full},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := query.OrderView{ID: "o-1", Refusals: slices.Clone(tt.recorded)}
			before := v // shares v's array: what AddRefusal does must not show through it
			added := v.AddRefusal(tt.r)
			if added != tt.added {
				t.Errorf("AddRefusal(%+v) = %t, want %t", tt.r, added, tt.added)
			}
			if !reflect.DeepEqual(v.Refusals, tt.want) {
				t.Errorf("refusals after AddRefusal(%+v):\n got %+v\nwant %+v", tt.r, v.Refusals, tt.want)
			}
			if !reflect.DeepEqual(before.Refusals, tt.recorded) {
				t.Errorf("AddRefusal changed a copy of the view made before: %+v, want %+v", before.Refusals, tt.recorded)
			}
		})
	}
}
