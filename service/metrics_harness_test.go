package service_test

import (
	"fmt"
	"maps"
	"math"
	"net/http"
	"slices"
	"strings"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// scrape reads the service's GET /metrics, as Prometheus would, by metric family.
func (h *harness) scrape() map[string]*dto.MetricFamily {
	h.t.Helper()
	code, body := h.do("GET", "/metrics", "", nil)
	if code != http.StatusOK {
		h.t.Fatalf("GET /metrics: %d %s", code, body)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		h.t.Fatalf("GET /metrics is not in the Prometheus text format: %v", err)
	}
	return families
}

// series names the samples of one family whose labels include labels.
type series struct {
	name   string
	labels map[string]string
}

func (s series) String() string {
	pairs := make([]string, 0, len(s.labels))
	for _, k := range slices.Sorted(maps.Keys(s.labels)) {
		pairs = append(pairs, fmt.Sprintf("%s=%q", k, s.labels[k]))
	}
	return s.name + "{" + strings.Join(pairs, ",") + "}"
}

// value sums the matching samples: a counter's or a gauge's value, a histogram's count.
// found is false when no sample matches.
func (s series) value(families map[string]*dto.MetricFamily) (sum float64, found bool) {
	f := families[s.name]
	if f == nil {
		return 0, false
	}
	for _, m := range f.GetMetric() {
		if !hasLabels(m, s.labels) {
			continue
		}
		found = true
		switch {
		case m.Counter != nil:
			sum += m.Counter.GetValue()
		case m.Gauge != nil:
			sum += m.Gauge.GetValue()
		case m.Histogram != nil:
			sum += float64(m.Histogram.GetSampleCount())
		case m.Untyped != nil:
			sum += m.Untyped.GetValue()
		}
	}
	return sum, found
}

func hasLabels(m *dto.Metric, want map[string]string) bool {
	n := 0
	for _, l := range m.GetLabel() {
		if v, ok := want[l.GetName()]; ok {
			if v != l.GetValue() {
				return false
			}
			n++
		}
	}
	return n == len(want)
}

// bound is the values a sample may show.
type bound struct{ min, max float64 }

func atLeast(n float64) bound { return bound{n, math.Inf(1)} }
func exactly(n float64) bound { return bound{n, n} }

func (b bound) holds(v float64) bool { return v >= b.min && v <= b.max }

func (b bound) String() string {
	if b.min == b.max {
		return fmt.Sprintf("== %g", b.min)
	}
	return fmt.Sprintf(">= %g", b.min)
}

// expectation is what a series must show: found, and a value within want.
type expectation struct {
	series
	want bound
}

func expect(name string, labels map[string]string, want bound) expectation {
	return expectation{series: series{name: name, labels: labels}, want: want}
}

// unmet lists the expectations a scrape does not meet, each with what it shows instead.
func unmet(families map[string]*dto.MetricFamily, exps []expectation) []string {
	var out []string
	for _, e := range exps {
		v, found := e.value(families)
		switch {
		case !found:
			out = append(out, fmt.Sprintf("%s missing, want %s", e.series, e.want))
		case !e.want.holds(v):
			out = append(out, fmt.Sprintf("%s = %g, want %s", e.series, v, e.want))
		}
	}
	return out
}

// waitMetrics scrapes until every expectation holds, or fails at the deadline naming those
// that do not.
func (h *harness) waitMetrics(what string, exps ...expectation) {
	h.t.Helper()
	h.eventually(30*time.Second, what, func() (bool, string) {
		missing := unmet(h.scrape(), exps)
		return len(missing) == 0, strings.Join(missing, "; ")
	})
}
