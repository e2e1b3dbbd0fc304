package complexity

import (
	"bufio"
	"cmp"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// limit is STYLE rule 20: a function stays small enough to read at once.
const limit = 15

// modulePath names the repository's root module; nested modules
// (conformance/gosdk, conformance/gohttp, tools/goreleaser) are walked
// from it like any other directory.
const modulePath = "github.com/cloudbase-mcp/cloudbase-mcp"

// skipDirs are never walked: dependencies, fixtures, build output, git.
var skipDirs = map[string]bool{"node_modules": true, "testdata": true, "dist": true, ".git": true, "vendor": true}

// TestNoFunctionOverLimit parses every non-test Go file under the module
// root and fails listing each function over the limit.
func TestNoFunctionOverLimit(t *testing.T) {
	t.Parallel()
	root := moduleRoot(t)
	tree := analyzeTree(t, root)

	require.Contains(t, tree.moduleDirs, ".")
	for _, dir := range tree.moduleDirs {
		t.Logf("module %s: %d files analyzed", dir, tree.filesUnder(dir))
	}

	var over []string
	for _, f := range tree.funcs {
		if f.complexity > limit {
			over = append(over, f.String())
		}
	}
	assert.Empty(t, over, "functions over cyclomatic complexity %d (split them into named helpers):\n%s",
		limit, strings.Join(over, "\n"))

}

// TestComplexityCounts pins the counter to gocyclo's rules: 1, plus one per
// if, for, range, non-default case and comm clause, && and ||; function
// literals count toward the function around them; a package-level
// var/const bound to a function literal is a function of its own.
func TestComplexityCounts(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, src string
		want      map[string]int
	}{
		{"straight line", `func f() { g(); h() }`, map[string]int{"f": 1}},
		{"if else if else", `func f(a int) { if a > 0 {} else if a < 0 {} else {} }`, map[string]int{"f": 3}},
		{"for and range", `func f(xs []int) { for i := 0; i < 3; i++ {}; for range xs {}; for {} }`,
			map[string]int{"f": 4}},
		{"switch: default is free", `func f(a int) { switch a { case 1, 2: case 3: default: } }`,
			map[string]int{"f": 3}},
		{"type switch", `func f(a any) { switch a.(type) { case int: case string, bool: default: } }`,
			map[string]int{"f": 3}},
		{"select: default is free", `func f(c chan int) { select { case <-c: case c <- 1: default: } }`,
			map[string]int{"f": 3}},
		{"boolean operators", `func f(a, b, c bool) bool { return a && b || !c && (a || b) }`,
			map[string]int{"f": 5}},
		{"comparison is free", `func f(a, b int) bool { return a == b }`, map[string]int{"f": 1}},
		{"literal counts toward its function", `func f() { g := func(a bool) { if a {} }; if true { g(true) } }`,
			map[string]int{"f": 3}},
		{"package-level literal", `var v = func(a bool) { if a && a {} }`, map[string]int{"v": 3}},
		{"literal in a table is not a function", `var m = map[string]func(){"a": func() { if true {} }}`,
			map[string]int{}},
		{"methods", `type T[K any] struct{}
func (T[K]) a() {}
func (t *T[K]) b() { for {} }
func (*T[K]) c() {}`, map[string]int{"(T).a": 1, "(*T).b": 2, "(*T).c": 1}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fset := token.NewFileSet()
			f, err := parser.ParseFile(fset, "x.go", "package p\n"+tc.src, parser.SkipObjectResolution)
			require.NoError(t, err)
			got := map[string]int{}
			for _, fn := range fileFuncs(fset, f, "x.go") {
				got[fn.name] = fn.complexity
			}
			assert.Equal(t, tc.want, got)
		})
	}
}

// function is one analyzed function.
type function struct {
	file       string // slash path from the module root
	line       int
	pkg, name  string
	complexity int
}

func (f function) String() string {
	return fmt.Sprintf("%s:%d: %d %s %s", f.file, f.line, f.complexity, f.pkg, f.name)
}

type analyzed struct {
	funcs      []function
	files      []string // analyzed files, slash paths from the root
	moduleDirs []string // directories holding a go.mod, "." for the root
}

// filesUnder counts the analyzed files below dir (nested modules included).
func (a analyzed) filesUnder(dir string) int {
	n := 0
	for _, f := range a.files {
		if dir == "." || strings.HasPrefix(f, dir+"/") {
			n++
		}
	}
	return n
}

// moduleRoot walks up from the working directory to the go.mod that
// declares modulePath.
func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	require.NoError(t, err)
	for {
		if declaresModule(t, filepath.Join(dir, "go.mod"), modulePath) {
			return dir
		}
		parent := filepath.Dir(dir)
		require.NotEqual(t, dir, parent, "no go.mod declaring module %s above the working directory", modulePath)
		dir = parent
	}
}

func declaresModule(t *testing.T, gomod, path string) bool {
	f, err := os.Open(gomod)
	if os.IsNotExist(err) {
		return false
	}
	require.NoError(t, err)
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "module "); ok {
			return strings.Trim(strings.TrimSpace(rest), `"`) == path
		}
	}
	require.NoError(t, sc.Err())
	return false
}

// analyzeTree parses every non-test .go file under root, outside skipDirs.
func analyzeTree(t *testing.T, root string) analyzed {
	t.Helper()
	var a analyzed
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		switch {
		case d.IsDir() && skipDirs[d.Name()]:
			return filepath.SkipDir
		case d.IsDir():
			return nil
		case d.Name() == "go.mod":
			a.moduleDirs = append(a.moduleDirs, filepath.ToSlash(filepath.Dir(rel)))
		case strings.HasSuffix(d.Name(), ".go") && !strings.HasSuffix(d.Name(), "_test.go"):
			f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
			if err != nil {
				return err
			}
			a.files = append(a.files, rel)
			a.funcs = append(a.funcs, fileFuncs(fset, f, rel)...)
		}
		return nil
	})
	require.NoError(t, err)
	require.NotEmpty(t, a.files, "no Go files found under %s", root)
	slices.SortFunc(a.funcs, func(x, y function) int {
		return cmp.Or(cmp.Compare(y.complexity, x.complexity), cmp.Compare(x.file, y.file), cmp.Compare(x.line, y.line))
	})
	return a
}

// fileFuncs are the functions gocyclo sees in a file: every function and
// method declaration, and every package-level var or const whose value is a
// function literal (named after the spec's first name, as gocyclo does).
func fileFuncs(fset *token.FileSet, f *ast.File, rel string) []function {
	var out []function
	add := func(node ast.Node, name string) {
		out = append(out, function{file: rel, line: fset.Position(node.Pos()).Line, pkg: f.Name.Name,
			name: name, complexity: cyclomatic(node)})
	}
	for _, decl := range f.Decls {
		switch d := decl.(type) {
		case *ast.FuncDecl:
			add(d, funcName(d))
		case *ast.GenDecl:
			for _, spec := range d.Specs {
				vs, ok := spec.(*ast.ValueSpec)
				if !ok {
					continue
				}
				for _, v := range vs.Values {
					if lit, ok := v.(*ast.FuncLit); ok {
						add(lit, vs.Names[0].Name)
					}
				}
			}
		}
	}
	return out
}

// cyclomatic is 1 plus the decision points in node, function literals
// inside it included.
func cyclomatic(node ast.Node) int {
	n := 1
	ast.Inspect(node, func(x ast.Node) bool {
		switch x := x.(type) {
		case *ast.IfStmt, *ast.ForStmt, *ast.RangeStmt:
			n++
		case *ast.CaseClause:
			if x.List != nil { // default
				n++
			}
		case *ast.CommClause:
			if x.Comm != nil { // default
				n++
			}
		case *ast.BinaryExpr:
			if x.Op == token.LAND || x.Op == token.LOR {
				n++
			}
		}
		return true
	})
	return n
}

// funcName is "Name", or "(T).Name" / "(*T).Name" for a method (type
// parameters dropped), as gocyclo prints it.
func funcName(d *ast.FuncDecl) string {
	if d.Recv == nil || d.Recv.NumFields() == 0 {
		return d.Name.Name
	}
	return "(" + recvString(d.Recv.List[0].Type) + ")." + d.Name.Name
}

func recvString(e ast.Expr) string {
	switch t := e.(type) {
	case *ast.Ident:
		return t.Name
	case *ast.StarExpr:
		return "*" + recvString(t.X)
	case *ast.IndexExpr:
		return recvString(t.X)
	case *ast.IndexListExpr:
		return recvString(t.X)
	}
	return "BADRECV"
}
