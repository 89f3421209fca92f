package service_test

import (
	"encoding/json"
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
