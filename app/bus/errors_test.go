package bus_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/example/orders-service/app/bus"
)

func TestPermanentAndUnavailable(t *testing.T) {
	boom := errors.New("boom")
	tests := []struct {
		name                   string
		err                    error
		permanent, unavailable bool
	}{
		{"plain", boom, false, false},
		{"permanent", bus.Permanent(boom), true, false},
		{"unavailable", bus.Unavailable(boom), false, true},
		{"wrapped unavailable", fmt.Errorf("sending: %w", bus.Unavailable(boom)), false, true},
		{"a permanent error stays permanent", bus.Unavailable(fmt.Errorf("encoding: %w", bus.Permanent(boom))), true, false},
		{"nil stays nil", bus.Unavailable(nil), false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := errors.Is(tt.err, bus.ErrPermanent); got != tt.permanent {
				t.Errorf("permanent = %v, want %v", got, tt.permanent)
			}
			if got := errors.Is(tt.err, bus.ErrUnavailable); got != tt.unavailable {
				t.Errorf("unavailable = %v, want %v", got, tt.unavailable)
			}
			if tt.err != nil && !errors.Is(tt.err, boom) {
				t.Errorf("%v lost its cause", tt.err)
			}
		})
	}
}
