//go:build linux

package main

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stompactor/stompactor/sim"
)

// peakRSS samples the high-water mark of cmd's resident memory (VmHWM
// in /proc/PID/status, in bytes) until done closes, and sends the
// highest it read. Not the rusage of the ended process: Linux carries
// over into a child's ru_maxrss, across exec, the high-water mark of the
// memory it shared with its parent (Go starts children with vfork, so
// that is the test process's, 60 MB and more under -race), which would
// hide the child's own. VmHWM only grows, and the peak measured here is
// held until --timeout ends the run, so a sample a few milliseconds
// apart sees it.
func peakRSS(pid int, done <-chan struct{}) <-chan int64 {
	out := make(chan int64, 1)
	go func() {
		var peak int64
		tick := time.NewTicker(2 * time.Millisecond)
		defer tick.Stop()
		for {
			if b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status"); err == nil {
				for _, line := range strings.Split(string(b), "\n") {
					if f := strings.Fields(line); len(f) == 3 && f[0] == "VmHWM:" && f[2] == "kB" {
						if kb, err := strconv.ParseInt(f[1], 10, 64); err == nil && kb<<10 > peak {
							peak = kb << 10
						}
					}
				}
			}
			select {
			case <-done:
				out <- peak
				return
			case <-tick.C:
			}
		}
	}()
	return out
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
		done := make(chan struct{})
		peak := peakRSS(cmd.Process.Pid, done)
		_ = cmd.Wait()
		close(done)
		rss[w] = <-peak
		hung := ctx.Err()
		cancel()
		require.NoError(t, hung, "hung; stderr %s", errb.String())
		assert.Equal(t, exitFailure, cmd.ProcessState.ExitCode(), errb.String())
		require.NotZero(t, rss[w], "no VmHWM read")
	}
	t.Logf("peak RSS: --window 1 %d MB, --window 256 (the default) %d MB", rss["1"]>>20, rss["256"]>>20)
	const bound = 16 << 20 // --window-bytes' default, as documented
	assert.Less(t, rss["256"], rss["1"]+bound+16<<20,
		"the default window holds more than --window-bytes of 1 MB bodies in flight")
}
