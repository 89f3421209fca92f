package http

import (
	"reflect"
	"testing"
)

// TestEnvServesEveryQuery checks that the tests' server has every query of the application:
// one left unwired would answer 500 in whichever test reached it, far from the cause.
func TestEnvServesEveryQuery(t *testing.T) {
	queries := reflect.ValueOf(newEnv(t).server.queries)
	for i := range queries.NumField() {
		if queries.Field(i).IsZero() {
			t.Errorf("query %s is not wired", queries.Type().Field(i).Name)
		}
	}
}
