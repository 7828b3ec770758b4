package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The connections scenario runs its simulator by running "this program"
// again. When the file at the program's path is no longer the running
// program (an upgrade in place: `go install`, a package manager, a CI
// cache restore, while a long bench runs), the bench still runs its own
// image as the peer (on Linux /proc/self/exe), not whatever is at the
// path now: here a script, which would record that it ran with the
// bench's arguments and STOMPACTOR_BENCH_SELF_PEER=1, and leave the
// connections scenario without a peer (exit 1).
func TestBenchSelfPeerRunsTheRunningImage(t *testing.T) {
	dir := t.TempDir()
	exe := filepath.Join(dir, "stomp")
	b, err := os.ReadFile(binary)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(exe, b, 0o755))
	marker := filepath.Join(dir, "ran")
	script := filepath.Join(dir, "other")
	require.NoError(t, os.WriteFile(script, []byte("#!/bin/sh\necho \"SELF_PEER=$STOMPACTOR_BENCH_SELF_PEER $*\" > "+marker+"\nexit 3\n"), 0o755))

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, exe, "bench", "--scenario", "publish,connections", "--size", "128",
		"--duration", "1s", "--connections", "20", "--timeout", "10s")
	var out, errb syncBuffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	require.NoError(t, cmd.Start())
	// Once the process runs the image, replace the file at its path (an
	// upgrade in place: rename over it).
	eventually(t, "the bench running its executable", func() bool {
		l, err := os.Readlink("/proc/" + strconv.Itoa(cmd.Process.Pid) + "/exe")
		return err == nil && l == exe
	})
	require.NoError(t, os.Rename(script, exe))
	_ = cmd.Wait()
	require.NoError(t, ctx.Err(), "hung: %s", errb.String())
	ran, _ := os.ReadFile(marker)
	t.Logf("exit %d\nstdout:\n%s\nstderr:\n%s\nthe other program: %s", cmd.ProcessState.ExitCode(), out.String(), errb.String(), ran)
	assert.Empty(t, string(ran), "the bench ran another program as its peer")
	assert.Equal(t, 0, cmd.ProcessState.ExitCode(), "the connections scenario failed: %s", errb.String())
}
