package app_test

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/example/orders-service/adapters/memory"
	"github.com/example/orders-service/app"
	"github.com/example/orders-service/app/bus"
)

// The routing table is checked against the code itself, so that forgetting its line fails
// here, in well under a second, rather than as a poisoned message in a component test. The
// code is read with go/parser: the message types are the types with a MessageName method
// (commands in app/command, events anywhere under domain/), and the handlers are the
// exported methods of app/command and app/event that take (context.Context, a message).

const commandDir, eventDir, domainDir = "command", "event", "../domain"

func table(t *testing.T) []bus.Route {
	t.Helper()
	routes := app.New(memory.NewAdapters()).Routes
	if err := bus.CheckRoutes(routes); err != nil {
		t.Fatalf("the routing table (app/routes.go) is inconsistent:\n%v", err)
	}
	return routes
}

// Every command has exactly one handler, and every command handler its route.
func TestEveryCommandHasOneRoute(t *testing.T) {
	routes := table(t)
	for _, typ := range messageTypes(t, commandDir) {
		var handlers []string
		for _, r := range routes {
			if r.Type.Name() == typ && strings.HasSuffix(r.Type.PkgPath(), "/app/command") {
				if r.Kind != bus.KindCommand {
					t.Errorf("command %s is routed as an event (%s): route it with bus.Command", typ, r.Handler)
				}
				handlers = append(handlers, r.Handler)
			}
		}
		if len(handlers) != 1 {
			t.Errorf("command %s has %d handlers in the routing table (app/routes.go) %v, want exactly one: add its bus.Command line", typ, len(handlers), handlers)
		}
	}
}

// Every event type has a consumer here, or is declared published for consumers elsewhere.
func TestEveryEventIsConsumedOrDeclaredPublished(t *testing.T) {
	routes := table(t)
	for _, pkg := range domainPackages(t) {
		for _, typ := range messageTypes(t, filepath.Join(domainDir, pkg)) {
			found := false
			for _, r := range routes {
				if r.Type.Name() == typ && strings.HasSuffix(r.Type.PkgPath(), "/domain/"+pkg) {
					found = true
					if r.Kind != bus.KindEvent {
						t.Errorf("event %s.%s is routed as a command (%s): route it with bus.Event", pkg, typ, r.Handler)
					}
				}
			}
			if !found {
				t.Errorf("event %s.%s has no consumer and is not declared published: add a bus.Event line for its handler, or bus.Published[%s.%s]() to the routing table (app/routes.go)", pkg, typ, pkg, typ)
			}
		}
	}
}

// Every handler written in app/command and app/event is in the table: a handler without its
// line would never run.
func TestEveryHandlerIsRouted(t *testing.T) {
	routes := table(t)
	routed := map[string]bool{}
	for _, r := range routes {
		routed[r.Handler] = true
	}
	for _, dir := range []string{commandDir, eventDir} {
		for _, h := range handlerMethods(t, dir) {
			if !routed[h] {
				t.Errorf("handler %s is not in the routing table (app/routes.go): add its bus.Command or bus.Event line", h)
			}
		}
	}
}

// messageTypes lists the types of the package in dir that have a MessageName method.
func messageTypes(t *testing.T, dir string) []string {
	t.Helper()
	var types []string
	for _, fn := range funcDecls(t, dir) {
		if fn.Recv != nil && fn.Name.Name == "MessageName" {
			types = append(types, receiverType(fn))
		}
	}
	if len(types) == 0 && dir == commandDir {
		t.Fatalf("no message types found in %s: the check reads nothing", dir)
	}
	slices.Sort(types)
	return slices.Compact(types)
}

// handlerMethods lists "pkg.Type.Method" for the exported methods of the package in dir
// that take (context.Context, one value) and return error: the shape of a handler.
func handlerMethods(t *testing.T, dir string) []string {
	t.Helper()
	var handlers []string
	pkg := filepath.Base(dir)
	for _, fn := range funcDecls(t, dir) {
		if fn.Recv == nil || !fn.Name.IsExported() || !isHandlerSignature(fn.Type) {
			continue
		}
		handlers = append(handlers, fmt.Sprintf("%s.%s.%s", pkg, receiverType(fn), fn.Name.Name))
	}
	if len(handlers) == 0 {
		t.Fatalf("no handlers found in %s: the check reads nothing", dir)
	}
	return handlers
}

func isHandlerSignature(f *ast.FuncType) bool {
	if f.Params == nil || len(f.Params.List) != 2 || f.Results == nil || len(f.Results.List) != 1 {
		return false
	}
	for _, p := range f.Params.List {
		if len(p.Names) > 1 {
			return false
		}
	}
	ctx, ok := f.Params.List[0].Type.(*ast.SelectorExpr)
	if !ok || ctx.Sel.Name != "Context" {
		return false
	}
	res, ok := f.Results.List[0].Type.(*ast.Ident)
	return ok && res.Name == "error"
}

func receiverType(fn *ast.FuncDecl) string {
	typ := fn.Recv.List[0].Type
	if star, ok := typ.(*ast.StarExpr); ok {
		typ = star.X
	}
	if id, ok := typ.(*ast.Ident); ok {
		return id.Name
	}
	return fmt.Sprintf("%T", typ)
}

// funcDecls parses the non-test Go files of dir.
func funcDecls(t *testing.T, dir string) []*ast.FuncDecl {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	var decls []*ast.FuncDecl
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatalf("parsing %s: %v", name, err)
		}
		for _, d := range f.Decls {
			if fn, ok := d.(*ast.FuncDecl); ok {
				decls = append(decls, fn)
			}
		}
	}
	return decls
}

// domainPackages lists the packages under domain/, relative to it.
func domainPackages(t *testing.T) []string {
	t.Helper()
	var pkgs []string
	err := filepath.WalkDir(domainDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() || path == domainDir {
			return err
		}
		rel, err := filepath.Rel(domainDir, path)
		pkgs = append(pkgs, filepath.ToSlash(rel))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(pkgs) == 0 {
		t.Fatal("no packages under domain/: the check reads nothing")
	}
	return pkgs
}
