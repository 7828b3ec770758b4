package actors

import (
	"bufio"
	"net"
	"testing"
	"time"

	"github.com/stompactor/stompactor/frames"
	"github.com/stretchr/testify/require"
)

// scriptedServer accepts one connection and hands it to script, which
// speaks raw bytes. It is for hostile and exact-wire tests.
type scriptedServer struct {
	ln   net.Listener
	done chan struct{}
}

func newScriptedServer(t *testing.T, script func(conn net.Conn, r *bufio.Reader)) *scriptedServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	s := &scriptedServer{ln: ln, done: make(chan struct{})}
	go func() {
		defer close(s.done)
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		script(conn, bufio.NewReader(conn))
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		select {
		case <-s.done:
		case <-time.After(10 * time.Second):
			t.Error("scripted server did not finish")
		}
	})
	return s
}

func (s *scriptedServer) addr() string { return s.ln.Addr().String() }

// readFrame reads one frame from the client, skipping heart-beats.
func readFrame(r *bufio.Reader) (*frames.Frame, error) {
	d := frames.NewDecoder(r, frames.V12, frames.Limits{})
	for {
		f, err := d.Decode()
		if err != nil {
			return nil, err
		}
		if f.Command != frames.Heartbeat {
			return f.Clone(), nil
		}
	}
}
