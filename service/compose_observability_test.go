package service

import (
	"encoding/json"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/types"
	"go.yaml.in/yaml/v4"
)

const observabilityProfile = "observability"

// hostPath is where a path inside a service's container comes from on the host, through
// the service's bind mounts; "" when no bind mount holds it.
func hostPath(s types.ServiceConfig, inContainer string) string {
	for _, v := range s.Volumes {
		if v.Type != types.VolumeTypeBind {
			continue
		}
		if rest, ok := strings.CutPrefix(inContainer, v.Target); ok && (rest == "" || strings.HasPrefix(rest, "/")) {
			return filepath.Join(v.Source, rest)
		}
	}
	return ""
}

// flagValue is the value of --name=value in a service's command.
func flagValue(s types.ServiceConfig, name string) (string, bool) {
	for _, arg := range s.Command {
		if v, ok := strings.CutPrefix(arg, "--"+name+"="); ok {
			return v, true
		}
	}
	return "", false
}

func publishes(s types.ServiceConfig, target string) bool {
	return slices.ContainsFunc(s.Ports, func(p types.ServicePortConfig) bool {
		return strconv.FormatUint(uint64(p.Target), 10) == target && p.Published != ""
	})
}

func readYAML(t *testing.T, path string, into any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading %s: %v", path, err)
	}
	if err := yaml.Unmarshal(b, into); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// TestComposeObservability checks the observability profile as far as it can be without
// Docker: Prometheus scrapes the app where it listens and loads rule files that exist,
// Grafana's data source is that Prometheus and its dashboards are the repository's, and
// Jaeger takes OTLP over HTTP.
func TestComposeObservability(t *testing.T) {
	t.Parallel()
	byDefault := loadCompose(t)
	for _, name := range []string{"prometheus", "grafana", "jaeger"} {
		if slices.Contains(byDefault.ServiceNames(), name) {
			t.Errorf("service %q starts by default; put it under profiles: [%q]", name, observabilityProfile)
		}
	}
	project := loadCompose(t, observabilityProfile)
	app := mustService(t, project, appService)
	prometheus := mustService(t, project, "prometheus")
	grafana := mustService(t, project, "grafana")
	jaeger := mustService(t, project, "jaeger")

	cfg, err := ConfigFromMap(serviceEnv(app))
	if err != nil {
		t.Fatal(err)
	}
	_, appPort, _ := net.SplitHostPort(cfg.HTTPAddr)
	promPort := "9090"
	if addr, ok := flagValue(prometheus, "web.listen-address"); ok {
		_, promPort, _ = net.SplitHostPort(addr)
	}

	t.Run("prometheus scrapes the app and loads its rules", func(t *testing.T) {
		configPath, ok := flagValue(prometheus, "config.file")
		if !ok {
			t.Fatal("prometheus has no --config.file")
		}
		file := hostPath(prometheus, configPath)
		if file == "" {
			t.Fatalf("prometheus reads %s, which no bind mount of the repository provides", configPath)
		}
		var promCfg struct {
			RuleFiles     []string `yaml:"rule_files"`
			ScrapeConfigs []struct {
				MetricsPath   string `yaml:"metrics_path"`
				StaticConfigs []struct {
					Targets []string
				} `yaml:"static_configs"`
			} `yaml:"scrape_configs"`
		}
		readYAML(t, file, &promCfg)
		want := net.JoinHostPort(appService, appPort)
		scraped := false
		for _, sc := range promCfg.ScrapeConfigs {
			for _, st := range sc.StaticConfigs {
				if slices.Contains(st.Targets, want) && (sc.MetricsPath == "" || sc.MetricsPath == "/metrics") {
					scraped = true
				}
			}
		}
		if !scraped {
			t.Errorf("%s scrapes no %s/metrics, where the app serves its metrics (HTTP_ADDR %s)", file, want, cfg.HTTPAddr)
		}
		if len(promCfg.RuleFiles) == 0 {
			t.Errorf("%s loads no alert rules", file)
		}
		for _, rf := range promCfg.RuleFiles {
			if p := hostPath(prometheus, rf); p == "" || !fileExists(p) {
				t.Errorf("prometheus loads rule file %s, which is not in the repository (mounted as %q)", rf, p)
			}
		}
		if !publishes(prometheus, promPort) {
			t.Errorf("prometheus publishes no host port for %s", promPort)
		}
	})

	t.Run("grafana shows the repository's dashboards from that prometheus", func(t *testing.T) {
		provisioning := hostPath(grafana, "/etc/grafana/provisioning")
		if provisioning == "" {
			t.Fatal("grafana has no provisioning mounted at /etc/grafana/provisioning")
		}
		uids := map[string]bool{}
		sources, _ := filepath.Glob(filepath.Join(provisioning, "datasources", "*.yml"))
		for _, f := range sources {
			var ds struct {
				Datasources []struct{ UID, Type, URL string }
			}
			readYAML(t, f, &ds)
			for _, d := range ds.Datasources {
				u, err := url.Parse(d.URL)
				if d.Type == "prometheus" && (err != nil || u.Hostname() != "prometheus" || u.Port() != promPort) {
					t.Errorf("%s: data source %s points at %s, not the prometheus service on port %s", f, d.UID, d.URL, promPort)
				}
				uids[d.UID] = true
			}
		}
		if len(uids) == 0 {
			t.Fatalf("no data source provisioned under %s/datasources", provisioning)
		}
		providers, _ := filepath.Glob(filepath.Join(provisioning, "dashboards", "*.yml"))
		dashboards := 0
		for _, f := range providers {
			var dp struct {
				Providers []struct {
					Options struct{ Path string }
				}
			}
			readYAML(t, f, &dp)
			for _, p := range dp.Providers {
				dir := hostPath(grafana, p.Options.Path)
				files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
				if dir == "" || len(files) == 0 {
					t.Errorf("%s: dashboards at %s come from no repository directory with dashboards (%q)", f, p.Options.Path, dir)
				}
				for _, df := range files {
					dashboards++
					for _, uid := range datasourceUIDs(t, df) {
						if !uids[uid] {
							t.Errorf("%s uses data source %q, which is not provisioned (%v)", df, uid, uids)
						}
					}
				}
			}
		}
		if dashboards == 0 {
			t.Error("grafana provisions no dashboard")
		}
		if home := serviceEnv(grafana)["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"]; home != "" && !fileExists(hostPath(grafana, home)) {
			t.Errorf("grafana's home dashboard %s is not a mounted file", home)
		}
	})

	t.Run("jaeger takes OTLP over HTTP", func(t *testing.T) {
		repo, _ := imageRepoTag(jaeger.Image)
		if repo != "jaegertracing/jaeger" && repo != "jaegertracing/all-in-one" {
			t.Errorf("jaeger image %q is not Jaeger's all-in-one", jaeger.Image)
		}
		for _, port := range []string{"4318", "16686"} {
			if !publishes(jaeger, port) {
				t.Errorf("jaeger publishes no host port for %s", port)
			}
		}
		// Compose sets no variable by profile, so the app's OTLP endpoint, when set, is
		// jaeger's wherever the profile is off too: it must at least name jaeger's port.
		if endpoint := serviceEnv(app)["OTEL_EXPORTER_OTLP_ENDPOINT"]; endpoint != "" {
			u, err := url.Parse(endpoint)
			if err != nil || u.Hostname() != "jaeger" || u.Port() != "4318" {
				t.Errorf("app OTEL_EXPORTER_OTLP_ENDPOINT=%q is not jaeger's OTLP/HTTP receiver (http://jaeger:4318)", endpoint)
			}
		}
	})
}

// datasourceUIDs lists the data source uids a Grafana dashboard refers to.
func datasourceUIDs(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var dash any
	if err := json.Unmarshal(b, &dash); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var uids []string
	var walk func(any)
	walk = func(n any) {
		switch v := n.(type) {
		case map[string]any:
			if ds, ok := v["datasource"].(map[string]any); ok {
				if uid, ok := ds["uid"].(string); ok && !slices.Contains(uids, uid) {
					uids = append(uids, uid)
				}
			}
			for _, c := range v {
				walk(c)
			}
		case []any:
			for _, c := range v {
				walk(c)
			}
		}
	}
	walk(dash)
	return uids
}

func fileExists(path string) bool {
	st, err := os.Stat(path)
	return err == nil && !st.IsDir()
}

// The ui profile's Kafka UI is kafbat's maintained fork: provectuslabs/kafka-ui is no
// longer released.
func TestComposeKafkaUIIsKafbat(t *testing.T) {
	t.Parallel()
	ui := mustService(t, loadCompose(t, uiProfile), uiService)
	if repo, tag := imageRepoTag(ui.Image); repo != "kafbat/kafka-ui" || tag == "" || tag == "latest" {
		t.Errorf("kafka-ui image %q: want kafbat/kafka-ui at a pinned release", ui.Image)
	}
}
