package main

import (
	"bufio"
	"context"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stompactor/stompactor/frames"
)

// startBroker runs `stomp broker` with faults and returns its stomp://
// URL; the broker is interrupted when the test ends.
func startBroker(t *testing.T, faults ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	args := []string{"broker", "--listen", "127.0.0.1:0", "--user", "guest:guest"}
	for _, f := range faults {
		args = append(args, "--fault", f)
	}
	cmd := exec.CommandContext(ctx, binary, args...)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		_ = cmd.Wait()
		cancel()
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	require.NoError(t, err)
	go func() { _, _ = bufio.NewReader(stdout).WriteTo(discard{}) }() // fault lines
	fields := strings.Fields(line)
	require.GreaterOrEqual(t, len(fields), 4, line)
	return "stomp://guest:guest@" + fields[3]
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

// A broker that sends a non-fatal ERROR and keeps the socket open:
// subscribe prints it (message header and body) as it arrives and exits 1
// instead of waiting forever.
func TestSubscribePrintsAServerErrorAndExits(t *testing.T) {
	srv := startBroker(t, "send-error,after=200ms,message=resource alarm")
	r := stomp(t, "", "subscribe", "--server", srv, "/queue/quiet")
	assert.Equal(t, exitFailure, r.code, r.stderr)
	assert.Contains(t, r.stderr, "stomp: server ERROR: resource alarm\n")
	assert.Contains(t, r.stderr, "    fault fault-1 (SendError) injected this ERROR frame\n", "the body, indented")
	assert.Empty(t, r.stdout)
}

// The same for send, whether the ERROR comes while it sends (with
// receipts) or just before DISCONNECT's RECEIPT.
func TestSendPrintsAServerErrorAndExits(t *testing.T) {
	t.Run("while sending", func(t *testing.T) {
		srv := startBroker(t, "send-error,on=receipt,message=not now")
		r := stomp(t, "", "send", "--server", srv, "--receipt", "--count", "3", "/queue/e", "x")
		assert.Equal(t, exitFailure, r.code, r.stderr)
		assert.Contains(t, r.stderr, "stomp: server ERROR: not now\n")
	})
	t.Run("before DISCONNECT's receipt", func(t *testing.T) {
		srv := startBroker(t, "send-error,on=receipt,message=late")
		r := stomp(t, "", "send", "--server", srv, "/queue/e", "x")
		assert.Equal(t, exitFailure, r.code, r.stderr)
		assert.Contains(t, r.stderr, "stomp: server ERROR: late\n")
	})
	t.Run("in place of a receipt", func(t *testing.T) {
		srv := startBroker(t, "send-error,receipt-of=2,message=queue full")
		r := stomp(t, "", "send", "--server", srv, "--receipt", "--count", "3", "/queue/e", "x")
		assert.Equal(t, exitFailure, r.code, r.stderr)
		assert.Contains(t, r.stderr, "stomp: server ERROR: queue full\n")
	})
	t.Run("fatal", func(t *testing.T) {
		srv := startBroker(t, "send-error,on=receipt,fatal=true,message=gone")
		r := stomp(t, "", "send", "--server", srv, "--receipt", "/queue/e", "x")
		assert.Equal(t, exitFailure, r.code, r.stderr)
		assert.Contains(t, r.stderr, "stomp: server ERROR: gone\n")
	})
}

// silentOnDisconnect is a broker that answers CONNECT and SUBSCRIBE (with
// one MESSAGE) but never DISCONNECT, and keeps the socket open until the
// client closes it.
func silentOnDisconnect(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	done := make(chan struct{})
	go func() {
		defer close(done)
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		d := frames.NewDecoder(conn, frames.V12, frames.Limits{})
		for {
			f, err := d.Decode()
			if err != nil {
				return
			}
			switch f.Command {
			case frames.CmdConnect, frames.CmdStomp:
				_, _ = conn.Write([]byte("CONNECTED\nversion:1.2\n\n\x00"))
			case frames.CmdSubscribe:
				_, _ = conn.Write([]byte("MESSAGE\nsubscription:" + f.Header("id") + "\nmessage-id:1\ndestination:/queue/s\n\nonly one\x00"))
			case frames.CmdAck:
				if id, ok := f.Headers.Get(frames.HdrReceipt); ok {
					_, _ = conn.Write([]byte("RECEIPT\nreceipt-id:" + id + "\n\n\x00"))
				}
			}
		}
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		<-done
	})
	return "stomp://" + ln.Addr().String()
}

// A broker that never answers DISCONNECT holds `subscribe --count 1` for
// DisconnectTimeout (5 s by default), not for --timeout: run with a
// --timeout longer than the test's own bound on the command, it still
// exits 0, with the message printed (its ACK confirmed by its RECEIPT) and
// a warning.
func TestSubscribeLeavesABrokerThatNeverAnswersDisconnect(t *testing.T) {
	srv := silentOnDisconnect(t)
	r := stomp(t, "", "subscribe", "--server", srv, "--timeout", "10m", "--count", "1", "/queue/s")
	assert.Equal(t, exitOK, r.code, r.stderr)
	assert.Equal(t, "only one\n", r.stdout)
	assert.Contains(t, r.stderr, "warning: the broker did not confirm DISCONNECT within 5s")
}
