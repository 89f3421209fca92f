package observability

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

var testDesc = prometheus.NewDesc("test_value", "A value read.", nil, nil)

// A scrape gets the last samples read; a failed read keeps them and is counted.
func TestPeriodicServesTheLastSuccessfulRead(t *testing.T) {
	reads := []struct {
		value float64
		err   error
	}{{1, nil}, {0, errors.New("broker away")}, {3, nil}}
	i := 0
	p := NewPeriodic("test", []*prometheus.Desc{testDesc}, func(context.Context) ([]prometheus.Metric, error) {
		r := reads[i]
		i++
		if r.err != nil {
			return nil, r.err
		}
		return []prometheus.Metric{prometheus.MustNewConstMetric(testDesc, prometheus.GaugeValue, r.value)}, nil
	})
	reg := prometheus.NewRegistry()
	reg.MustRegister(p)
	if n, err := testutil.GatherAndCount(reg, "test_value", "orders_metrics_refresh_timestamp_seconds"); err != nil || n != 0 {
		t.Fatalf("before any read: %d samples (%v), want none", n, err)
	}
	for _, want := range []struct {
		value, failures float64
		readFails       bool
	}{{1, 0, false}, {1, 1, true}, {3, 1, false}} {
		if err := p.Refresh(context.Background()); (err != nil) != want.readFails {
			t.Fatalf("read %d: error %v", i, err)
		}
		expected := `
# HELP orders_metrics_refresh_failures_total Reads of this source's samples that failed; the last samples read stay.
# TYPE orders_metrics_refresh_failures_total counter
orders_metrics_refresh_failures_total{source="test"} ` + ftoa(want.failures) + `
# HELP test_value A value read.
# TYPE test_value gauge
test_value ` + ftoa(want.value) + "\n"
		if err := testutil.GatherAndCompare(reg, strings.NewReader(expected), "test_value", "orders_metrics_refresh_failures_total"); err != nil {
			t.Errorf("after read %d: %v", i, err)
		}
		if n, _ := testutil.GatherAndCount(reg, "orders_metrics_refresh_timestamp_seconds"); n != 1 {
			t.Errorf("after read %d: %d refresh timestamps, want 1", i, n)
		}
	}
}

func ftoa(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }
