package service

import (
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

// TestREADMEConfigurationTableMatchesConfig keeps the README true: its configuration table
// lists exactly the variables Config reads, each with the default Config applies.
func TestREADMEConfigurationTableMatchesConfig(t *testing.T) {
	documented := map[string]string{}
	for name, row := range readmeConfigTable(t) {
		documented[name] = strings.Trim(row.defaultValue, "`")
	}

	defaults := map[string]string{}
	for f := range reflect.TypeFor[Config]().Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("env"), ",")
		if name != "" {
			defaults[name] = f.Tag.Get("envDefault")
		}
	}
	for name, def := range defaults {
		doc, ok := documented[name]
		if !ok {
			t.Errorf("README's configuration table lacks %s", name)
			continue
		}
		if def == "" {
			def = "empty"
		}
		if doc != def {
			t.Errorf("README documents %s with default %q; Config uses %q", name, doc, def)
		}
	}
	for name := range documented {
		if _, ok := defaults[name]; !ok {
			t.Errorf("README documents %s, which Config does not read", name)
		}
	}
}

// configRow is one row of README.md's configuration table, as written.
type configRow struct{ defaultValue, meaning string }

// readmeConfigTable reads the configuration table of README.md, by variable.
func readmeConfigTable(t *testing.T) map[string]configRow {
	t.Helper()
	readme, err := os.ReadFile(filepath.Join(repoRoot(t), "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(readme), "\n## Configuration\n")
	if !ok {
		t.Fatal("README has no Configuration section")
	}
	section, _, _ = strings.Cut(section, "\n## ")
	row := regexp.MustCompile("(?m)^\\| `([A-Z0-9_]+)` \\| ([^|]*) \\| (.*) \\|$")
	rows := map[string]configRow{}
	for _, m := range row.FindAllStringSubmatch(section, -1) {
		rows[m[1]] = configRow{defaultValue: strings.TrimSpace(m[2]), meaning: strings.TrimSpace(m[3])}
	}
	return rows
}
