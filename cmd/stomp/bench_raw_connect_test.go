package main

import (
	"bytes"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestBenchRefusesALoginThatWouldSmuggleAFrame: `stomp bench --server`
// whose login, passcode or vhost (percent-decoded from the URL, or from
// --passcode) holds a line feed or a NUL is a usage error (exit 2), and
// nothing reaches the broker: the raw reference side writes its CONNECT
// by hand and would otherwise put an extra header, or a whole second
// frame, on the wire. The error does not quote the value.
func TestBenchRefusesALoginThatWouldSmuggleAFrame(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	var mu sync.Mutex
	var got bytes.Buffer
	var wg sync.WaitGroup
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				_ = c.SetDeadline(time.Now().Add(20 * time.Second))
				buf := make([]byte, 4096)
				for {
					n, err := c.Read(buf)
					mu.Lock()
					got.Write(buf[:n])
					mu.Unlock()
					if err != nil {
						return
					}
					if bytes.IndexByte(buf[:n], 0) >= 0 {
						// Answer nothing useful: an ERROR ends the run.
						_, _ = io.WriteString(c, "ERROR\nmessage:bye\n\n\x00")
						return
					}
				}
			}()
		}
	}()
	t.Cleanup(func() { _ = ln.Close(); wg.Wait() })

	srv := "stomp://bob%00SEND%0Adestination%3A%2Fqueue%2Fevil%0Ax-injected%3A1%0A%0Aboom:pw@" + ln.Addr().String() + "/"
	r := stomp(t, "", "bench", "--server", srv, "--scenario", "publish", "--size", "0", "--count", "1", "--timeout", "5s")
	t.Logf("exit %d, stderr:\n%s", r.code, r.stderr)
	mu.Lock()
	wire := got.String()
	mu.Unlock()
	assert.NotContains(t, wire, "x-injected:1", "a user value became a header (or a frame) on the wire: %q", wire)
	assert.Equal(t, exitUsage, r.code, "a login holding NUL and line feeds should be a usage error; stderr: %s", r.stderr)
	assert.NotContains(t, r.stderr, "x-injected")

	for _, args := range [][]string{
		{"--server", "stomp://bob:pw%0Ax-injected%3A1@" + ln.Addr().String() + "/"},
		{"--server", "stomp://bob:pw@" + ln.Addr().String() + "/vh%0Ax-injected%3A1"},
		{"--server", "stomp://" + ln.Addr().String() + "/", "--passcode", "pw\nx-injected:1\n"},
	} {
		r := stomp(t, "", append([]string{"bench", "--scenario", "publish", "--size", "0", "--count", "1", "--timeout", "5s"}, args...)...)
		assert.Equal(t, exitUsage, r.code, "%v: %s", args, r.stderr)
		assert.NotContains(t, r.stderr, "x-injected", "%v", args)
	}
	mu.Lock()
	wire = got.String()
	mu.Unlock()
	assert.Empty(t, wire, "something was dialed and written")
}
