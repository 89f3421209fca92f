package order

import (
	"errors"
	"fmt"
)

// The checks a consumer applies to an order event before acting on it. An event from a
// foreign or broken producer that fails one is rejected where it arrives, with the reason,
// instead of carrying its fault one hop further (an OrderPlaced without an order ID would
// otherwise reserve stock for nobody).

// Validate checks what every order event carries.
func (h Header) Validate() error {
	if err := ValidateID("order_id", h.OrderID); err != nil {
		return err
	}
	if h.Version < 1 {
		return fmt.Errorf("%w: version %d is below 1", ErrInvalidOrder, h.Version)
	}
	return nil
}

func (e OrderPlaced) Validate() error {
	return errors.Join(e.Header.Validate(), ValidateID("customer_id", e.CustomerID), ValidateLines(e.Items))
}

func (e OrderRejected) Validate() error {
	return errors.Join(e.Header.Validate(), validateReason(e.Reason))
}

func (e OrderCancelled) Validate() error {
	return errors.Join(e.Header.Validate(), validateReason(e.Reason))
}

func (e OrderCommandRefused) Validate() error {
	return errors.Join(ValidateID("order_id", e.OrderID), ValidateID("command", e.Command), validateReason(e.Reason))
}

func validateReason(reason string) error {
	if len(reason) > maxReasonBytes {
		return fmt.Errorf("%w: reason is longer than %d bytes", ErrInvalidOrder, maxReasonBytes)
	}
	return nil
}
