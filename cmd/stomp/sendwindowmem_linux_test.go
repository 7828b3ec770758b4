//go:build linux

package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stompactor/stompactor/sim"
)

// maxRSS is the peak resident memory of an ended process, in bytes.
func maxRSS(t *testing.T, cmd *exec.Cmd) int64 {
	ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	require.True(t, ok)
	return ru.Maxrss * 1024 // kilobytes on Linux
}

// `send --receipt --count N --file BIG` against a broker slow to confirm
// (here: it stops reading after CONNECT) holds the bodies in flight, one
// copy each in the library's outbox until its outcome. The window is
// bounded in bytes (--window-bytes, 16 MiB by default) as well as in
// messages, so with 1 MB bodies the default window (256 messages) holds
// about 16 of them: its peak stays within the byte bound (plus 16 MiB of
// headroom for the collector's slack) of one at a time's. Before the
// bound it held one copy per message in flight: 282 MB against 26 MB.
func TestSendWindowMemoryIsBoundedInBytes(t *testing.T) {
	_, srv := simBroker(t, sim.WithPlan(sim.Plan{{Name: "stop", Kind: sim.StopReading, AfterBytes: 200}}))
	body := strings.Repeat("b", 1<<20)
	file := filepath.Join(t.TempDir(), "body")
	require.NoError(t, os.WriteFile(file, []byte(body), 0o600))
	rss := map[string]int64{}
	for _, w := range []string{"1", "256"} {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		cmd, _, errb := startSend(ctx, t, "send", "--server", srv, "--receipt", "--window", w, "--timeout", "2s",
			"--count", "300", "--file", file, "/queue/w-big")
		_ = cmd.Wait()
		hung := ctx.Err()
		cancel()
		require.NoError(t, hung, "hung; stderr %s", errb.String())
		assert.Equal(t, exitFailure, cmd.ProcessState.ExitCode(), errb.String())
		rss[w] = maxRSS(t, cmd)
	}
	t.Logf("peak RSS: --window 1 %d MB, --window 256 (the default) %d MB", rss["1"]>>20, rss["256"]>>20)
	assert.Less(t, rss["256"], rss["1"]+defaultWindowBytes+16<<20,
		"the default window holds more than --window-bytes of 1 MB bodies in flight")
}
