package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// silentAfterDropBroker is a broker that reads everything and never
// answers a SEND. With drop, its first connection takes one SEND and is
// then closed (the client reconnects and sends it again) and asks for no
// heart-beats; every other connection asks for the client's heart-beats
// (hb ms, "0": none). sends gets the connection number of every SEND read.
func silentAfterDropBroker(t *testing.T, hb string, drop bool) (addr string, sends <-chan int) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ch := make(chan int, 64)
	var wg sync.WaitGroup
	t.Cleanup(func() {
		_ = ln.Close()
		wg.Wait()
	})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for n := 1; ; n++ {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func(n int, c net.Conn) {
				defer wg.Done()
				defer c.Close()
				br := bufio.NewReader(c)
				for {
					cmd, headers, err := readFrameHead(br)
					if err != nil {
						return
					}
					k, _ := strconv.Atoi(headers["content-length"])
					if _, err := br.Discard(k); err != nil {
						return
					}
					if b, err := br.ReadByte(); err != nil || b != 0 {
						return
					}
					switch cmd {
					case "CONNECT", "STOMP":
						beat := "0,0"
						if n > 1 || !drop {
							beat = "0," + hb
						}
						_, _ = c.Write([]byte("CONNECTED\nversion:1.2\nheart-beat:" + beat + "\n\n\x00"))
					case "SEND":
						ch <- n
						if n == 1 && drop {
							return // lost: the client sends it again
						}
					case "DISCONNECT":
						_, _ = c.Write([]byte("RECEIPT\nreceipt-id:" + headers["receipt"] + "\n\n\x00"))
						return
					}
				}
			}(n, c)
		}
	}()
	return ln.Addr().String(), ch
}

// send --reconnect --receipt --window: a message the broker never
// confirms times out after --timeout (plus a quarter), whatever the
// heart-beats, also after a reconnect. The run places the messages in
// flight again after a reconnect; placed from the bytes written when it
// next looked (by when the outbox had written them again), each one's
// "least end" lay a whole body past any byte written for it, and every
// heart-beat read as progress of the oldest message's write: the run never
// timed out while heart-beats flowed (4000 bytes of body, a heart-beat
// each 100 ms: 400 s). The other two cases are controls.
func TestSendWindowTimesOutAfterReconnectWhileHeartbeatsFlow(t *testing.T) {
	body := filepath.Join(t.TempDir(), "body")
	require.NoError(t, os.WriteFile(body, bytes.Repeat([]byte("x"), 4000), 0o644))
	for _, tt := range []struct {
		name, hb string
		drop     bool
	}{{"reconnect, no heart-beats", "0", true}, {"no reconnect, heart-beats", "100", false}, {"reconnect, heart-beats", "100", true}} {
		t.Run(tt.name, func(t *testing.T) {
			addr, sends := silentAfterDropBroker(t, tt.hb, tt.drop)
			ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, binary, "send", "--server", "stomp://"+addr, "--reconnect", "--receipt",
				"--window", "4", "--timeout", "1s", "--heartbeat", "100,0", "--file", body, "/queue/window-hb")
			var errb bytes.Buffer
			cmd.Stderr = &errb
			start := time.Now()
			err := cmd.Run()
			took := time.Since(start)
			var got []int
			for len(sends) > 0 {
				got = append(got, <-sends)
			}
			if tt.drop {
				require.Contains(t, got, 2, "the message was sent again on the second connection (sends %v)", got)
			}
			require.NoError(t, ctx.Err(), "send hung %v: the unconfirmed message never timed out; stderr:\n%s", took, errb.String())
			var ee *exec.ExitError
			require.True(t, errors.As(err, &ee), "exit: %v; stderr:\n%s", err, errb.String())
			assert.Equal(t, exitFailure, ee.ExitCode(), errb.String())
			assert.Contains(t, errb.String(), "no RECEIPT within 1s")
			assert.Less(t, took, 6*time.Second, "--timeout 1s plus a quarter, a reconnect and a DISCONNECT")
		})
	}
}
