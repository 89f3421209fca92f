package service_test

import (
	"strings"
	"testing"
	"time"

	"github.com/example/orders-service/service"
)

func TestMetricsLagInterval(t *testing.T) {
	for _, tc := range []struct {
		value string
		want  time.Duration // 0: refused, naming the variable
	}{
		{"", 15 * time.Second},
		{"100ms", 100 * time.Millisecond},
		{"1m", time.Minute},
		{"99ms", 0},
		{"0s", 0},
		{"often", 0},
	} {
		env := map[string]string{}
		if tc.value != "" {
			env["METRICS_LAG_INTERVAL"] = tc.value
		}
		cfg, err := service.ConfigFromMap(env)
		switch {
		case tc.want == 0 && (err == nil || !strings.Contains(err.Error(), "METRICS_LAG_INTERVAL")):
			t.Errorf("METRICS_LAG_INTERVAL=%q: error %v, want one naming the variable", tc.value, err)
		case tc.want != 0 && (err != nil || cfg.MetricsLagInterval != tc.want):
			t.Errorf("METRICS_LAG_INTERVAL=%q: %s, %v; want %s", tc.value, cfg.MetricsLagInterval, err, tc.want)
		}
	}
}
