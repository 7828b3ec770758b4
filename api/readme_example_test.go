package api

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// firstProgram is the Go program of README.md's "A first program".
func firstProgram(t *testing.T) string {
	t.Helper()
	readme, err := os.ReadFile("../README.md")
	require.NoError(t, err)
	s := string(readme)
	i := strings.Index(s, "## A first program")
	require.True(t, i >= 0, "README.md has no section \"A first program\"")
	s = s[i:]
	if next := strings.Index(s[1:], "\n## "); next >= 0 {
		s = s[:next+1]
	}
	i = strings.Index(s, "```go\n")
	require.True(t, i >= 0, "\"A first program\" shows no Go code")
	j := strings.Index(s[i+6:], "```")
	require.True(t, j >= 0)
	return s[i+6 : i+6+j]
}

// TestReadmeFirstProgramRuns builds the first program of README.md as it
// is written, in a directory of this module, and runs it against the
// simulator: it must print the message it sent itself. Pointed at a port
// where no broker listens, it must fail with a message, not hang.
func TestReadmeFirstProgramRuns(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a program")
	}
	src := firstProgram(t)
	root, err := filepath.Abs("..")
	require.NoError(t, err)
	// "_" keeps the directory out of ./... patterns while it exists.
	dir, err := os.MkdirTemp(root, "_readme-first-program-")
	require.NoError(t, err)
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	require.NoError(t, os.WriteFile(filepath.Join(dir, "main.go"), []byte(src), 0o644))
	bin := filepath.Join(t.TempDir(), "first")

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	for _, args := range [][]string{{"vet", "./" + filepath.Base(dir)}, {"build", "-o", bin, "./" + filepath.Base(dir)}} {
		cmd := exec.CommandContext(ctx, "go", args...)
		cmd.Dir = root
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "go %s: README.md's first program does not build:\n%s", args[0], out)
	}

	run := func(addr string) (stdout, stderr string, err error) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, bin)
		cmd.Env = append(os.Environ(), "STOMP_ADDR="+addr)
		var o, e bytes.Buffer
		cmd.Stdout, cmd.Stderr = &o, &e
		err = cmd.Run()
		return o.String(), e.String(), err
	}

	b := newBroker(t)
	stdout, stderr, err := run(b.Addr())
	require.NoError(t, err, "stderr: %s", stderr)
	assert.Equal(t, "/queue/greetings: Hello, world!\n", stdout)
	assert.Empty(t, stderr)

	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	require.NoError(t, err)
	closed := ln.Addr().String()
	require.NoError(t, ln.Close())
	stdout, stderr, err = run(closed)
	var exit *exec.ExitError
	require.True(t, errors.As(err, &exit), "want a non-zero exit, got %v", err)
	assert.Equal(t, 1, exit.ExitCode())
	assert.Empty(t, stdout)
	assert.Contains(t, stderr, "stomp: ")
}
