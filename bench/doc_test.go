package bench

import (
	"os"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The package documentation names every built-in scenario and every way a
// Report writes itself (it had fallen behind: no latency-pull, no
// connections, no WriteMarkdown).
func TestPackageDocNamesEveryScenarioAndWriter(t *testing.T) {
	doc, err := os.ReadFile("doc.go")
	require.NoError(t, err)
	for _, s := range builtin() {
		assert.Regexp(t, `[ (]`+regexp.QuoteMeta(s.Name)+`[,)]`, string(doc), s.Name)
	}
	for _, w := range []string{"WriteTable", "WriteMarkdown", "WriteJSON", "WriteCharts"} {
		assert.Contains(t, string(doc), w)
	}
}
