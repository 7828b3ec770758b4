package api

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Every Go block of README.md compiles against the current API: the
// first program on its own (TestReadmeFirstProgramRuns builds and runs
// it), the Prometheus fragment inside a main that has a client.
func TestReadmeGoBlocksCompile(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles programs")
	}
	readme, err := os.ReadFile("../README.md")
	require.NoError(t, err)
	blocks := regexp.MustCompile("(?s)```go\n(.*?)```").FindAllStringSubmatch(string(readme), -1)
	require.Len(t, blocks, 2, "README.md's Go blocks changed: say here how each one is compiled")
	require.Equal(t, strings.TrimSpace(firstProgram(t)), strings.TrimSpace(blocks[0][1]), "the first Go block is the first program")
	fragment := blocks[1][1]
	require.Contains(t, fragment, "metrics.NewCollector")

	root, err := filepath.Abs("..")
	require.NoError(t, err)
	// "_" keeps the directory out of ./... patterns while it exists.
	dir, err := os.MkdirTemp(root, "_readme-blocks-")
	require.NoError(t, err)
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	src := `package main

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/stompactor/stompactor/api"
	"github.com/stompactor/stompactor/api/metrics"
)

func main() {
	client := api.NewSTOMP()
	defer client.Close()
` + fragment + `}
`
	require.NoError(t, os.WriteFile(filepath.Join(dir, "main.go"), []byte(src), 0o644))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "vet", "./"+filepath.Base(dir))
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	assert.NoError(t, err, "README.md's Prometheus fragment does not compile:\n%s\n%s", out, src)
}
