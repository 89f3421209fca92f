package service_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"go.yaml.in/yaml/v4"

	"github.com/example/orders-service/service"
)

// The dashboard and the alert rules live in observability/, next to the code whose metrics
// they read.
var (
	dashboardFiles = "../observability/grafana/dashboards/*.json"
	alertRulesFile = "../observability/prometheus/alerts.yml"
)

// scrapeSeries are added by Prometheus to every scrape, not served by the service.
var scrapeSeries = map[string]bool{"up": true}

// postgresOnly are the families only the PostgreSQL mode serves.
var postgresOnly = []string{"orders_outbox_", "orders_db_pool_"}

// The dashboard and the alert rules use only series a running service serves: a metric
// renamed in the code fails here, not as a blank panel or an alert that never fires.
func TestDashboardAndAlertsUseServedMetrics(t *testing.T) {
	used := map[string][]string{} // metric -> the panels and alerts using it
	for where, expr := range observabilityQueries(t) {
		names := metricNames(expr)
		if len(names) == 0 {
			t.Errorf("%s: found no metric in %q", where, expr)
		}
		for _, n := range names {
			used[n] = append(used[n], where)
		}
	}
	forEachMode(t, func(t *testing.T, mode map[string]string) {
		h := startService(t, withEnv(mode, metricsEnv), service.Options{})
		h.setStock("sku-d", 5)
		h.waitOrderStatus(h.placeOrder(nil, "cust-d", item{"sku-d", 1}).OrderID, "confirmed")
		h.waitMetrics("the lag read", expect("orders_kafka_consumer_group_lag", nil, atLeast(0)))
		families := h.scrape()
		for _, name := range slices.Sorted(func(yield func(string) bool) {
			for n := range used {
				if !yield(n) {
					return
				}
			}
		}) {
			pgOnly := slices.ContainsFunc(postgresOnly, func(p string) bool { return strings.HasPrefix(name, p) })
			if scrapeSeries[name] || (pgOnly && mode["DATABASE_URL"] == "") {
				continue
			}
			if !served(families, name) {
				t.Errorf("%s is used by %v but not served at /metrics", name, used[name])
			}
		}
	})
}

// served reports whether a query's metric name is a served family, or a histogram's or a
// summary's _bucket, _count or _sum series.
func served(families map[string]*dto.MetricFamily, name string) bool {
	if families[name] != nil {
		return true
	}
	for _, suffix := range []string{"_bucket", "_count", "_sum"} {
		if base, ok := strings.CutSuffix(name, suffix); ok {
			f := families[base]
			if f != nil && (f.GetType() == dto.MetricType_HISTOGRAM || f.GetType() == dto.MetricType_SUMMARY) {
				return true
			}
		}
	}
	return false
}

// observabilityQueries reads every PromQL expression of the dashboards and the alert rules,
// by where it is used. It also checks the rules' shape: what Prometheus would refuse.
func observabilityQueries(t *testing.T) map[string]string {
	t.Helper()
	queries := map[string]string{}
	dashboards, err := filepath.Glob(dashboardFiles)
	if err != nil || len(dashboards) == 0 {
		t.Fatalf("no dashboard at %s: %v", dashboardFiles, err)
	}
	for _, path := range dashboards {
		var dash map[string]any
		if err := json.Unmarshal(readFile(t, path), &dash); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		collectExprs(dash, filepath.Base(path), queries)
	}

	var rules struct {
		Groups []struct {
			Name  string
			Rules []struct {
				Alert       string
				Expr        string
				For         string
				Annotations map[string]string
			}
		}
	}
	if err := yaml.Unmarshal(readFile(t, alertRulesFile), &rules); err != nil {
		t.Fatalf("%s: %v", alertRulesFile, err)
	}
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			where := "alert " + r.Alert
			if r.Alert == "" || r.Expr == "" || r.Annotations["summary"] == "" {
				t.Errorf("%s: an alert needs a name, an expr and a summary: %+v", alertRulesFile, r)
			}
			if _, err := time.ParseDuration(r.For); r.For != "" && err != nil {
				t.Errorf("%s: for %q: %v", where, r.For, err)
			}
			queries[where] = r.Expr
		}
	}
	for where, expr := range queries {
		if strings.Count(expr, "(") != strings.Count(expr, ")") || strings.Count(expr, "{") != strings.Count(expr, "}") {
			t.Errorf("%s: unbalanced brackets in %q", where, expr)
		}
	}
	return queries
}

// collectExprs gathers the "expr" of every target in a Grafana dashboard, nested rows
// included, by panel title.
func collectExprs(node any, where string, into map[string]string) {
	switch v := node.(type) {
	case map[string]any:
		if title, ok := v["title"].(string); ok {
			where = title
		}
		if expr, ok := v["expr"].(string); ok {
			ref, _ := v["refId"].(string)
			into["panel "+where+" "+ref] = expr
		}
		for _, child := range v {
			collectExprs(child, where, into)
		}
	case []any:
		for _, child := range v {
			collectExprs(child, where, into)
		}
	}
}

var (
	promString   = regexp.MustCompile(`"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|` + "`[^`]*`")
	promMatchers = regexp.MustCompile(`\{[^}]*\}`)
	promRange    = regexp.MustCompile(`\[[^\]]*\]`)
	promGrouping = regexp.MustCompile(`\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)`)
	promIdent    = regexp.MustCompile(`[A-Za-z_:][A-Za-z0-9_:]*`)
	promKeywords = map[string]bool{
		"and": true, "or": true, "unless": true, "bool": true, "offset": true, "inf": true, "nan": true,
		"group_left": true, "group_right": true, // without a label list
	}
)

// metricNames lists the metrics a PromQL expression selects: what is left of it without
// strings, label matchers, ranges and grouping clauses, that is neither a function (an
// identifier before a parenthesis) nor a keyword.
func metricNames(expr string) []string {
	s := promString.ReplaceAllString(expr, `""`)
	s = promMatchers.ReplaceAllString(s, " ")
	s = promRange.ReplaceAllString(s, " ")
	s = promGrouping.ReplaceAllString(s, " ")
	var names []string
	for _, loc := range promIdent.FindAllStringIndex(s, -1) {
		name := s[loc[0]:loc[1]]
		if promKeywords[strings.ToLower(name)] || strings.HasPrefix(strings.TrimSpace(s[loc[1]:]), "(") {
			continue
		}
		if loc[0] > 0 && (s[loc[0]-1] == '$' || s[loc[0]-1] == '.' || (s[loc[0]-1] >= '0' && s[loc[0]-1] <= '9')) {
			continue // a Grafana variable, or part of a number
		}
		if !slices.Contains(names, name) {
			names = append(names, name)
		}
	}
	return names
}

func TestMetricNames(t *testing.T) {
	for _, tc := range []struct {
		expr string
		want []string
	}{
		{`up{job="orders-service"} == 0`, []string{"up"}},
		{`sum by (topic, handler) (increase(orders_poison_messages_total[5m])) > 0`, []string{"orders_poison_messages_total"}},
		{`histogram_quantile(0.99, sum by (le, route) (rate(orders_http_request_duration_seconds_bucket{wait="false"}[$__rate_interval])))`,
			[]string{"orders_http_request_duration_seconds_bucket"}},
		{`max by (group) (deriv(a_lag[5m])) > 0 and max by (group) (a_lag) > 1e3`, []string{"a_lag"}},
		{`time() - max by (instance) (refreshed{source="kafka or not"}) > 120`, []string{"refreshed"}},
		{`sum(rate(x_total{code=~"2.."}[1m])) / ignoring(code) group_left sum(y)`, []string{"x_total", "y"}},
	} {
		if got := metricNames(tc.expr); !slices.Equal(got, tc.want) {
			t.Errorf("metricNames(%q) = %v, want %v", tc.expr, got, tc.want)
		}
	}
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
