package main

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// stallingBroker accepts one connection, answers its CONNECT with
// CONNECTED, reads what the client sends up to readLimit bytes and then
// neither reads nor writes again: a broker that stopped answering. ready
// is closed once CONNECTED was written.
func stallingBroker(t *testing.T, readLimit int) (addr string, ready <-chan struct{}, client <-chan int) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	r := make(chan struct{})
	port := make(chan int, 1)
	conns := make(chan net.Conn, 1)
	t.Cleanup(func() {
		_ = ln.Close()
		select {
		case c := <-conns:
			_ = c.Close()
		default:
		}
	})
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		conns <- c
		port <- c.RemoteAddr().(*net.TCPAddr).Port
		br := bufio.NewReader(c)
		if _, err := br.ReadString(0); err != nil { // CONNECT
			return
		}
		_, _ = c.Write([]byte("CONNECTED\nversion:1.2\nheart-beat:0,0\n\n\x00"))
		close(r)
		buf := make([]byte, 4096)
		n := 0
		for n < readLimit {
			k, err := br.Read(buf)
			if err != nil {
				return
			}
			n += k
		}
		// Stops reading: the socket's buffers fill, the client's writes block.
	}()
	return ln.Addr().String(), r, port
}

// socketTxQueue returns the bytes the client's socket (local port, to the
// broker's port) holds unsent, from /proc/net/tcp (-1: not found). Both
// ports are matched: another socket on the machine may share the
// client's local port (connect picks a port whose 4-tuple is unique).
func socketTxQueue(port, brokerPort int) int {
	b, err := os.ReadFile("/proc/net/tcp")
	if err != nil {
		return -1
	}
	want, remote := fmt.Sprintf(":%04X", port), fmt.Sprintf(":%04X", brokerPort)
	for _, line := range strings.Split(string(b), "\n")[1:] {
		f := strings.Fields(line)
		if len(f) < 5 || !strings.HasSuffix(f[1], want) || !strings.HasSuffix(f[2], remote) {
			continue
		}
		q := strings.SplitN(f[4], ":", 2)
		n, err := strconv.ParseInt(q[0], 16, 64)
		if err != nil {
			return -1
		}
		return int(n)
	}
	return -1
}

// waitSocketFull waits (bounded) until the client's socket holds
// unsent bytes that no longer grow between two looks 100 ms apart: the
// broker's window is closed and the client's send buffer full, so its
// writes block.
func waitSocketFull(t *testing.T, port, brokerPort int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	prev := -1
	for time.Now().Before(deadline) {
		<-tick.C
		n := socketTxQueue(port, brokerPort)
		if n > 0 && n == prev {
			return
		}
		prev = n
	}
	t.Fatalf("the client's socket did not fill (last tx_queue %d)", prev)
}

// README: "An interrupted send takes about 5 seconds at most, plus
// DisconnectTimeout" (5 s by default). Against a broker that stopped
// reading, a SIGINT must end the run within about 10 s, exit 130, with
// the "interrupted:" line.
func TestAnInterruptedSendToAStalledBrokerEndsWithinTheBound(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"plain", nil},
		{"transaction", []string{"--transaction", "tx1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			addr, ready, clientPort := stallingBroker(t, 1<<20)
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			args := append([]string{"send", "--server", addr, "--count", "100000000"}, tc.args...)
			args = append(args, "/queue/stalled", "x")
			cmd := exec.CommandContext(ctx, binary, args...)
			var errb syncBuffer
			cmd.Stderr = &errb
			require.NoError(t, cmd.Start())
			select {
			case <-ready:
			case <-time.After(10 * time.Second):
				t.Fatal("no CONNECT")
			}
			// The client keeps writing until the socket blocks.
			_, bp, err := net.SplitHostPort(addr)
			require.NoError(t, err)
			brokerPort, err := strconv.Atoi(bp)
			require.NoError(t, err)
			waitSocketFull(t, recvPort(t, clientPort), brokerPort)
			st := time.Now()
			require.NoError(t, cmd.Process.Signal(syscall.SIGINT))
			_ = cmd.Wait()
			took := time.Since(st)
			t.Logf("exit %d after %v; stderr %q", cmd.ProcessState.ExitCode(), took, errb.String())
			require.NoError(t, ctx.Err(), "hung past 60 s")
			require.Equal(t, exitInterrupted, cmd.ProcessState.ExitCode())
			require.Less(t, took, 12*time.Second, "README: about 5 s at most plus DisconnectTimeout (5 s)")
			require.Contains(t, errb.String(), "interrupted:")
		})
	}
}

func recvPort(t *testing.T, ch <-chan int) int {
	t.Helper()
	select {
	case p := <-ch:
		return p
	case <-time.After(10 * time.Second):
		t.Fatal("no connection")
	}
	return 0
}
