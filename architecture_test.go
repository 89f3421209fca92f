package main_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// goPackage is the part of `go list -json` output the dependency rule needs.
type goPackage struct {
	ImportPath string
	Standard   bool
	Imports    []string
	Deps       []string
	Module     *struct {
		Path string
		Main bool
	}
	Error *struct{ Err string }
}

// layerRule says what the packages of one layer may depend on, transitively. allowed gets
// the dependency's path relative to the module root, or ok=false for a package outside the
// module; the standard library is always allowed and never reaches it.
type layerRule struct {
	layer   string // packages under this directory of the module
	rule    string // how a violation is reported
	allowed func(rel string, inModule bool) bool
}

func under(rel, dir string) bool { return rel == dir || strings.HasPrefix(rel, dir+"/") }

// dependencyRules is the dependency rule (README.md, Layout): domain <- app <- ports, adapters <-
// service <- main. For one package and one dependency, the first rule that fails is reported.
var dependencyRules = []layerRule{
	{"domain", "domain must not import service/", func(rel string, in bool) bool { return !in || !under(rel, "service") }},
	{"app", "app must not import service/", func(rel string, in bool) bool { return !in || !under(rel, "service") }},
	{"domain", "domain may import only the standard library and domain/", func(rel string, in bool) bool {
		return in && under(rel, "domain")
	}},
	{"app", "app may import only the standard library, domain/ and app/", func(rel string, in bool) bool {
		return in && (under(rel, "domain") || under(rel, "app"))
	}},
	{"ports", "ports must not import adapters/", func(rel string, in bool) bool { return !in || !under(rel, "adapters") }},
	{"adapters", "adapters must not import ports/", func(rel string, in bool) bool { return !in || !under(rel, "ports") }},
}

// checkDependencyRule returns one line per package of module and dependency that breaks a
// rule, naming the import chain that brings the dependency in. Dependencies reached only
// through another offending one (a forbidden library's own imports) are not repeated.
func checkDependencyRule(module string, pkgs []goPackage) []string {
	byPath := make(map[string]goPackage, len(pkgs))
	for _, p := range pkgs {
		byPath[p.ImportPath] = p
	}
	relative := func(path string) (string, bool) {
		if path == module {
			return "", true
		}
		rel, ok := strings.CutPrefix(path, module+"/")
		return rel, ok
	}
	standard := func(path string) bool {
		if p, ok := byPath[path]; ok {
			return p.Standard
		}
		first, _, _ := strings.Cut(path, "/")
		return !strings.Contains(first, ".") // not listed: judge by the path, as the go command does
	}
	var violations []string
	for _, p := range pkgs {
		rel, in := relative(p.ImportPath)
		if !in || p.Standard {
			continue
		}
		broken := make(map[string]string) // dependency -> the rule it breaks
		for _, dep := range p.Deps {
			if standard(dep) {
				continue
			}
			depRel, depIn := relative(dep)
			for _, r := range dependencyRules {
				if under(rel, r.layer) && !r.allowed(depRel, depIn) {
					broken[dep] = r.rule
					break
				}
			}
		}
		for dep, rule := range broken {
			chain := importChain(byPath, p.ImportPath, dep)
			// Report where the chain first leaves the allowed set, not everything behind it.
			if slices.ContainsFunc(chain[1:len(chain)-1], func(c string) bool { _, bad := broken[c]; return bad }) {
				continue
			}
			violations = append(violations, fmt.Sprintf("%s imports %s (%s): %s", p.ImportPath, dep, strings.Join(chain, " -> "), rule))
		}
	}
	slices.Sort(violations)
	return violations
}

// importChain is the shortest path of imports from one package to a dependency of it.
func importChain(pkgs map[string]goPackage, from, to string) []string {
	prev := map[string]string{from: ""}
	queue := []string{from}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		if cur == to {
			var chain []string
			for p := to; p != ""; p = prev[p] {
				chain = append(chain, p)
			}
			slices.Reverse(chain)
			return chain
		}
		for _, next := range pkgs[cur].Imports {
			if _, seen := prev[next]; !seen {
				prev[next] = cur
				queue = append(queue, next)
			}
		}
	}
	return []string{from, "...", to}
}

// listPackages runs `go list -deps -json ./...` in the module root: the module's packages and
// everything they depend on, each with its transitive Deps and whether it is standard.
func listPackages(t *testing.T) (module string, pkgs []goPackage) {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("the dependency rule needs the go command, which is not on PATH")
	}
	cmd := exec.CommandContext(t.Context(), goBin, "list", "-e", "-deps", "-json", "./...")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p goPackage
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("decoding go list output: %v", err)
		}
		if p.Module != nil && p.Module.Main {
			module = p.Module.Path
			if p.Error != nil {
				t.Errorf("go list %s: %s", p.ImportPath, p.Error.Err)
			}
		}
		pkgs = append(pkgs, p)
	}
	if module == "" {
		t.Fatal("go list named no package of the main module")
	}
	return module, pkgs
}

// TestDependencyRule enforces the layering on the real tree.
func TestDependencyRule(t *testing.T) {
	t.Parallel()
	module, pkgs := listPackages(t)
	layers := make(map[string]int)
	for _, p := range pkgs {
		if rel, ok := strings.CutPrefix(p.ImportPath, module+"/"); ok {
			layer, _, _ := strings.Cut(rel, "/")
			layers[layer]++
		}
	}
	// Guard against a rule that silently checks nothing (a renamed module or layer).
	for _, layer := range []string{"domain", "app", "ports", "adapters", "service"} {
		if layers[layer] == 0 {
			t.Errorf("go list found no package under %s/ of %s", layer, module)
		}
	}
	for _, v := range checkDependencyRule(module, pkgs) {
		t.Error(v)
	}
}

// TestCheckDependencyRule proves the checker reports what it must, on a made-up module.
func TestCheckDependencyRule(t *testing.T) {
	t.Parallel()
	const m = "example.com/shop"
	std := func(path string) goPackage { return goPackage{ImportPath: path, Standard: true} }
	own := func(path string, imports []string, deps ...string) goPackage {
		p := goPackage{ImportPath: m + path, Imports: imports, Deps: deps}
		p.Module = &struct {
			Path string
			Main bool
		}{m, true}
		return p
	}
	foreign := func(path string, imports ...string) goPackage { return goPackage{ImportPath: path, Imports: imports} }
	pkgs := []goPackage{
		std("context"), std("fmt"), std("net/http"),
		foreign("github.com/ThreeDotsLabs/watermill"),
		foreign("github.com/labstack/echo/v4", "net/http"),
		foreign("github.com/lib/pq"),
		// Allowed: domain on itself and the standard library.
		own("/domain/order", []string{"fmt", m + "/domain/money"}, "fmt", m+"/domain/money"),
		own("/domain/money", []string{"fmt"}, "fmt"),
		// A transport library reached through another domain package.
		own("/domain/stock", []string{m + "/domain/leaky"}, m+"/domain/leaky", "github.com/ThreeDotsLabs/watermill"),
		own("/domain/leaky", []string{"github.com/ThreeDotsLabs/watermill"}, "github.com/ThreeDotsLabs/watermill"),
		// app may use domain and app, not adapters, ports, service or a database driver.
		own("/app", []string{m + "/app/command"}, m+"/app/command", m+"/domain/order", m+"/domain/money", "fmt"),
		own("/app/command", []string{m + "/domain/order"}, m+"/domain/order", m+"/domain/money", "fmt"),
		own("/app/query", []string{m + "/adapters/postgres"}, m+"/adapters/postgres", "github.com/lib/pq"),
		own("/app/event", []string{m + "/service"}, m+"/service"),
		// ports and adapters stay apart; both may use app, domain and libraries.
		own("/ports/http", []string{"github.com/labstack/echo/v4", m + "/app", m + "/adapters/memory"},
			"github.com/labstack/echo/v4", "net/http", m+"/app", m+"/adapters/memory"),
		own("/adapters/memory", []string{m + "/domain/order"}, m+"/domain/order"),
		own("/adapters/postgres", []string{"github.com/lib/pq", m + "/ports/messaging"}, "github.com/lib/pq", m+"/ports/messaging"),
		own("/ports/messaging", []string{"github.com/ThreeDotsLabs/watermill"}, "github.com/ThreeDotsLabs/watermill"),
		// The composition root and main may import everything.
		own("/service", []string{m + "/ports/http", m + "/adapters/postgres"}, m+"/ports/http", m+"/adapters/postgres"),
		own("", []string{m + "/service"}, m+"/service"),
	}
	got := checkDependencyRule(m, pkgs)
	want := []string{
		m + "/adapters/postgres imports " + m + "/ports/messaging (" + m + "/adapters/postgres -> " + m + "/ports/messaging): adapters must not import ports/",
		m + "/app/event imports " + m + "/service (" + m + "/app/event -> " + m + "/service): app must not import service/",
		m + "/app/query imports " + m + "/adapters/postgres (" + m + "/app/query -> " + m + "/adapters/postgres): app may import only the standard library, domain/ and app/",
		m + "/domain/leaky imports github.com/ThreeDotsLabs/watermill (" + m + "/domain/leaky -> github.com/ThreeDotsLabs/watermill): domain may import only the standard library and domain/",
		m + "/domain/stock imports github.com/ThreeDotsLabs/watermill (" + m + "/domain/stock -> " + m + "/domain/leaky -> github.com/ThreeDotsLabs/watermill): domain may import only the standard library and domain/",
		m + "/ports/http imports " + m + "/adapters/memory (" + m + "/ports/http -> " + m + "/adapters/memory): ports must not import adapters/",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("violations:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// A clean module has none.
	clean := slices.DeleteFunc(slices.Clone(pkgs), func(p goPackage) bool {
		return strings.HasSuffix(p.ImportPath, "/domain/stock") || strings.HasSuffix(p.ImportPath, "/domain/leaky") ||
			strings.HasSuffix(p.ImportPath, "/app/query") || strings.HasSuffix(p.ImportPath, "/app/event") ||
			p.ImportPath == m+"/ports/http" || p.ImportPath == m+"/adapters/postgres"
	})
	if v := checkDependencyRule(m, clean); len(v) != 0 {
		t.Fatalf("clean module reported:\n%s", strings.Join(v, "\n"))
	}
}
