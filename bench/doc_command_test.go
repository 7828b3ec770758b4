package bench

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// One operation of a fleet benchmark is a whole fleet of clients losing
// its broker and coming back: seconds. The package documentation's go
// test command, meant for the facade benchmarks, must leave every fleet
// benchmark out (with -benchtime 20000x one would run for days) and keep
// every other one; and every go test command of doc.go or README.md that
// does select a fleet benchmark must run it once (-benchtime 1x).
func TestDocumentedBenchCommandsRunFleetsOnce(t *testing.T) {
	fleets, others := benchmarksOfPackage(t)
	require.NotEmpty(t, fleets, "no benchmark of this package calls fleetRestart")
	require.NotEmpty(t, others)

	doc, err := os.ReadFile("doc.go")
	require.NoError(t, err)
	facade := regexp.MustCompile(`(?m)measure the facade alone[^\n]*\n(?://[^\n]*\n)*?//\t(go test [^\n]*)`).FindSubmatch(doc)
	require.NotNil(t, facade, "doc.go gives no go test command for the facade benchmarks")
	cmd := string(facade[1])
	for _, name := range fleets {
		assert.False(t, selectsBenchmark(t, cmd, name), "%q (doc.go) runs %s, whose one operation is a fleet reconnecting", cmd, name)
	}
	for _, name := range others {
		assert.True(t, selectsBenchmark(t, cmd, name), "%q (doc.go) leaves out %s", cmd, name)
	}

	readme, err := os.ReadFile("../README.md")
	require.NoError(t, err)
	var cmds []string
	for _, m := range regexp.MustCompile(`(?m)^//\t(go test [^\n]*\./bench)$`).FindAllSubmatch(doc, -1) {
		cmds = append(cmds, string(m[1]))
	}
	for _, m := range regexp.MustCompile("`(go test [^`]*\\./bench)`").FindAllSubmatch(readme, -1) {
		cmds = append(cmds, strings.Join(strings.Fields(string(m[1])), " "))
	}
	require.NotEmpty(t, cmds)
	for _, c := range cmds {
		for _, name := range fleets {
			if selectsBenchmark(t, c, name) {
				assert.Equal(t, "1x", flagValue(t, c, "-benchtime"), "%q runs %s, whose one operation is a fleet reconnecting, more than once", c, name)
			}
		}
	}
}

// benchmarksOfPackage parses this package's test files and sorts its
// benchmarks into those whose operation is a fleet (their body calls
// fleetRestart) and the others.
func benchmarksOfPackage(t *testing.T) (fleets, others []string) {
	t.Helper()
	files, err := filepath.Glob("*_test.go")
	require.NoError(t, err)
	fset := token.NewFileSet()
	for _, file := range files {
		f, err := parser.ParseFile(fset, file, nil, parser.SkipObjectResolution)
		require.NoError(t, err)
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Recv != nil || !strings.HasPrefix(fn.Name.Name, "Benchmark") {
				continue
			}
			fleet := false
			ast.Inspect(fn, func(n ast.Node) bool {
				if id, ok := n.(*ast.Ident); ok && id.Name == "fleetRestart" {
					fleet = true
				}
				return !fleet
			})
			if fleet {
				fleets = append(fleets, fn.Name.Name)
			} else {
				others = append(others, fn.Name.Name)
			}
		}
	}
	return fleets, others
}

// commandArgs splits a shell command line written with single quotes.
func commandArgs(t *testing.T, cmd string) []string {
	t.Helper()
	var (
		args   []string
		cur    strings.Builder
		quoted bool
		inArg  bool
	)
	for _, r := range cmd {
		switch {
		case r == '\'':
			quoted = !quoted
			inArg = true
		case r == ' ' && !quoted:
			if inArg {
				args = append(args, cur.String())
				cur.Reset()
				inArg = false
			}
		default:
			cur.WriteRune(r)
			inArg = true
		}
	}
	require.False(t, quoted, "%q: unbalanced quote", cmd)
	if inArg {
		args = append(args, cur.String())
	}
	return args
}

// flagValue is the value of go test's flag name in cmd ("" when absent),
// written "-flag value" or "-flag=value".
func flagValue(t *testing.T, cmd, name string) string {
	t.Helper()
	args := commandArgs(t, cmd)
	value := ""
	for i, a := range args {
		a = strings.TrimPrefix(a, "-test.")
		if !strings.HasPrefix(a, "-") {
			a = "-" + a
		}
		switch {
		case a == name && i+1 < len(args):
			value = args[i+1]
		case strings.HasPrefix(a, name+"="):
			value = strings.TrimPrefix(a, name+"=")
		}
	}
	return value
}

// selectsBenchmark says whether cmd runs the top-level benchmark name, as
// go test's -bench and -skip select it: the first element of the -bench
// pattern (split at "/") must match it, and a -skip pattern of one
// element must not (one of more elements skips sub-benchmarks only).
func selectsBenchmark(t *testing.T, cmd, name string) bool {
	t.Helper()
	bench := flagValue(t, cmd, "-bench")
	if bench == "" {
		return false
	}
	first, _, _ := strings.Cut(bench, "/")
	if !regexp.MustCompile(first).MatchString(name) {
		return false
	}
	if skip := flagValue(t, cmd, "-skip"); skip != "" && !strings.Contains(skip, "/") {
		if regexp.MustCompile(skip).MatchString(name) {
			return false
		}
	}
	return true
}
