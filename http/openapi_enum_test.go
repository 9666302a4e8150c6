package http_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// goStringConsts returns the values of the root package's string constants
// whose names start with prefix, sorted: the one list of audit actions (or
// of any other enum) that the code writes.
func goStringConsts(t *testing.T, prefix string) []string {
	t.Helper()
	fset := token.NewFileSet()
	dir, err := os.ReadDir("..")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, fi := range dir {
		if fi.IsDir() || !strings.HasSuffix(fi.Name(), ".go") || strings.HasSuffix(fi.Name(), "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join("..", fi.Name()), nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		if f.Name.Name != "zhengzhao" {
			continue
		}
		for _, d := range f.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || g.Tok != token.CONST {
				continue
			}
			for _, sp := range g.Specs {
				vs := sp.(*ast.ValueSpec)
				for i, n := range vs.Names {
					if !strings.HasPrefix(n.Name, prefix) || i >= len(vs.Values) {
						continue
					}
					if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
						v, _ := strconv.Unquote(lit.Value)
						out = append(out, v)
					}
				}
			}
		}
	}
	slices.Sort(out)
	return out
}

// TestOpenAPIAuditActions checks that the audit entry's action enum is
// exactly the set of zhengzhao.Action… constants, so that a new action
// cannot reach /v1/audit/entries undocumented.
func TestOpenAPIAuditActions(t *testing.T) {
	doc := loadOpenAPI(t)
	want := goStringConsts(t, "Action")
	if len(want) < 10 {
		t.Fatalf("found only %d Action constants: %q", len(want), want)
	}
	var got []string
	for _, v := range get(doc, "components", "schemas", "AuditEntryMembers", "properties", "action", "enum").([]any) {
		got = append(got, v.(string))
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Fatalf("AuditEntryMembers.action enum:\n got %q\nwant %q (the zhengzhao.Action constants)", got, want)
	}
}

// TestOpenAPIEnums checks the document's other enums against the Go
// constants that the code writes into those members.
func TestOpenAPIEnums(t *testing.T) {
	doc := loadOpenAPI(t)
	for _, c := range []struct {
		path   []string
		prefix string
		except []string // constants that never appear in this member
	}{
		{[]string{"Role"}, "Role", nil},
		{[]string{"Level"}, "Level", nil},
		{[]string{"SigningAlg"}, "Alg", nil},
		{[]string{"FieldSpec", "properties", "type"}, "Field", nil},
		{[]string{"License", "properties", "status"}, "Status", []string{"unknown"}}, // unknown: only a verdict of verify
		{[]string{"Holder", "properties", "kind"}, "Holder", nil},
	} {
		t.Run(strings.Join(c.path, "."), func(t *testing.T) {
			want := slices.DeleteFunc(goStringConsts(t, c.prefix), func(v string) bool { return slices.Contains(c.except, v) })
			schema := doc.resolve(get(doc, append([]string{"components", "schemas"}, c.path...)...))
			var got []string
			enum, _ := get(schema, "enum").([]any)
			for _, v := range enum {
				got = append(got, v.(string))
			}
			slices.Sort(got)
			if !slices.Equal(got, want) {
				t.Fatalf("enum:\n got %q\nwant %q (the zhengzhao.%s… constants)", got, want, c.prefix)
			}
		})
	}
}
