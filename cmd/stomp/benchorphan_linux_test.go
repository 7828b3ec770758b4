package main

import (
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stompactor/stompactor/sim"
)

// childrenOf lists the processes whose parent is pid (from /proc).
func childrenOf(pid int) []int {
	var out []int
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		n, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...
		s := string(b)
		f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		if len(f) > 1 && f[1] == strconv.Itoa(pid) {
			out = append(out, n)
		}
	}
	return out
}

func alive(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	return len(f) > 0 && f[0] != "Z"
}

// `stomp bench --peer-process` against a broker (--server) measures the
// connections scenario in a child `stomp bench conns`. When the bench
// process is killed (SIGKILL, the OOM killer, a CI step's timeout), the
// child ends with it: it runs with --until-stdin-closed and its stdin is
// a pipe the bench process holds, which the kernel closes. Before, it
// kept its connections open and measured on to its own --timeout (here,
// a broker whose writes are slow: about 20 s; against RabbitMQ with 1500
// connections it lived on 26 s).
func TestBenchConnsChildEndsWithAKilledBench(t *testing.T) {
	b, err := sim.NewBroker()
	require.NoError(t, err)
	defer b.Close()
	px, err := sim.NewProxy(b.Addr(), sim.Plan{{Name: "slow", Kind: sim.DelayWrites, Delay: 200 * time.Millisecond}})
	require.NoError(t, err)
	defer px.Close()
	cmd := exec.Command(binary, "bench", "--peer-process", "--server", "stomp://"+px.Addr(),
		"--scenario", "connections", "--connections", "20", "--fanout", "100", "--timeout", "60s")
	require.NoError(t, cmd.Start())
	var child int
	deadline := time.Now().Add(20 * time.Second)
	for child == 0 && time.Now().Before(deadline) {
		for _, c := range childrenOf(cmd.Process.Pid) {
			if cl, _ := os.ReadFile("/proc/" + strconv.Itoa(c) + "/cmdline"); strings.Contains(string(cl), "conns") {
				child = c
			}
		}
		if child == 0 {
			time.Sleep(20 * time.Millisecond) // polling, bounded by deadline
		}
	}
	if child == 0 {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		t.Fatal("no `bench conns` child appeared")
	}
	require.NoError(t, cmd.Process.Kill())
	_ = cmd.Wait()
	killed := time.Now()
	for alive(child) && time.Since(killed) < 5*time.Second {
		time.Sleep(20 * time.Millisecond) // polling, bounded
	}
	stillAlive := alive(child)
	if stillAlive {
		if p, err := os.FindProcess(child); err == nil {
			_ = p.Kill() // the child this test started, by its id
		}
	}
	assert.False(t, stillAlive, "the `bench conns` child (pid %d) still ran 5 s after its bench process was killed", child)
}
