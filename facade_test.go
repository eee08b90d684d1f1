package scv_test

import (
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/scv-go/scv"
)

// innerPackages are the packages whose types must not appear in the
// root package's API: a caller of scv learns scv, identity, crypto and
// match, never how profiles are resolved and stored.
var innerPackages = map[string]bool{"store": true, "merge": true}

// TestClosedFacade reads the root package's source and lists every
// exported declaration whose type, fields, parameters, results or value
// name a type or value of an inner package: an alias, a field, a
// signature or a constant that would make a caller learn package store or
// merge. None may.
func TestClosedFacade(t *testing.T) {
	fset := token.NewFileSet()
	names, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	var files []*ast.File
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	var leaks []string
	uses := func(where string, n ast.Node) {
		if n == nil {
			return
		}
		ast.Inspect(n, func(n ast.Node) bool {
			if sel, ok := n.(*ast.SelectorExpr); ok {
				if id, ok := sel.X.(*ast.Ident); ok && innerPackages[id.Name] {
					leaks = append(leaks, where+": "+id.Name+"."+sel.Sel.Name)
				}
			}
			return true
		})
	}
	for _, f := range files {
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				if !d.Name.IsExported() || (d.Recv != nil && !exportedRecv(d.Recv)) {
					continue
				}
				uses(d.Name.Name, d.Type)
			case *ast.GenDecl:
				for _, s := range d.Specs {
					switch s := s.(type) {
					case *ast.TypeSpec:
						if !s.Name.IsExported() {
							continue
						}
						if st, ok := s.Type.(*ast.StructType); ok {
							for _, fl := range st.Fields.List {
								if len(fl.Names) == 0 || fl.Names[0].IsExported() {
									uses(s.Name.Name, fl.Type)
								}
							}
							continue
						}
						uses(s.Name.Name, s.Type)
					case *ast.ValueSpec:
						for i, n := range s.Names {
							if !n.IsExported() {
								continue
							}
							uses(n.Name, s.Type)
							if i < len(s.Values) {
								uses(n.Name, s.Values[i])
							}
						}
					}
				}
			}
		}
	}
	sort.Strings(leaks)
	if diff := cmp.Diff([]string(nil), leaks); diff != "" {
		t.Errorf("exported declarations of scv that name store or merge (-want +got):\n%s", diff)
	}
}

// exportedRecv reports whether a method's receiver is an exported type.
func exportedRecv(recv *ast.FieldList) bool {
	typ := recv.List[0].Type
	if star, ok := typ.(*ast.StarExpr); ok {
		typ = star.X
	}
	id, ok := typ.(*ast.Ident)
	return ok && id.IsExported()
}

// TestErrorsThroughDB checks the root package's errors as a caller meets
// them: sentinels of this package, and its error types with errors.As.
func TestErrorsThroughDB(t *testing.T) {
	ctx := t.Context()
	dir, keyFile, otherKey := t.TempDir(), filepath.Join(t.TempDir(), "a.key"), filepath.Join(t.TempDir(), "b.key")
	for _, k := range []string{keyFile, otherKey} {
		if err := os.WriteFile(k, scv.GenerateKey(), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	db, err := scv.Open(dir, scv.Options{KeyFile: keyFile})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.ByPhone(ctx, "13912345601"); !errors.Is(err, scv.ErrNotFound) {
		t.Errorf("ByPhone of no one's number: %v, want ErrNotFound", err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Stats(ctx); !errors.Is(err, scv.ErrClosed) {
		t.Errorf("Stats after Close: %v, want ErrClosed", err)
	}
	if _, err := scv.Open(dir, scv.Options{KeyFile: otherKey}); !errors.Is(err, scv.ErrWrongKey) {
		t.Errorf("Open with another key: %v, want ErrWrongKey", err)
	}
	_, err = scv.Open(dir, scv.Options{KeyFile: keyFile, Merge: scv.MergeOptions{Stage: scv.StageRules{LoyalOrders: 2}}})
	var re *scv.RulesError
	if !errors.Is(err, scv.ErrRulesChanged) || !errors.As(err, &re) {
		t.Fatalf("Open under other rules: %v, want a *RulesError", err)
	}
	if diff := cmp.Diff([]scv.RuleDiff{{Field: "Stage.LoyalOrders", Given: "2"}}, re.Fields); diff != "" {
		t.Errorf("RulesError.Fields (-want +got):\n%s", diff)
	}
}
