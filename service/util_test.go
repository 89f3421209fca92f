package service_test

import (
	"encoding/json"
	"errors"
	"os/exec"
	"testing"
)

func decodeAccepted(t *testing.T, body string) accepted {
	t.Helper()
	var a accepted
	if err := json.Unmarshal([]byte(body), &a); err != nil {
		t.Errorf("decoding %q: %v", body, err)
	}
	return a
}

func asExitError(err error, target **exec.ExitError) bool { return errors.As(err, target) }
