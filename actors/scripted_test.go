package actors

import (
	"bufio"
	"net"
	"strings"
	"testing"
	"testing/iotest"
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

func newScriptedServer(t testing.TB, script func(conn net.Conn, r *bufio.Reader)) *scriptedServer {
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

// readFrame reads one frame from the client, skipping heart-beats. It reads
// one byte at a time from r so that the decoder never buffers bytes of the
// next frame, which a later readFrame on the same r must still see.
func readFrame(r *bufio.Reader) (*frames.Frame, error) {
	d := frames.NewDecoder(iotest.OneByteReader(r), frames.V12, frames.Limits{})
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

// peer is the server's side of a scripted broker: every frame it reads is
// also passed to the test on got.
type peer struct {
	conn net.Conn
	r    *bufio.Reader
	got  chan *frames.Frame
}

// read reads the next frame and hands a copy to the test.
func (p *peer) read() (*frames.Frame, error) {
	f, err := readFrame(p.r)
	if err != nil {
		return nil, err
	}
	p.got <- f
	return f, nil
}

// write sends raw bytes; errors are the client's business (it hung up).
func (p *peer) write(s string) { _, _ = p.conn.Write([]byte(s)) }

// drain reads and discards until the client hangs up, so that the close
// the script makes is a FIN and not a reset.
func (p *peer) drain() {
	for {
		if _, err := p.read(); err != nil {
			return
		}
	}
}

// newBroker starts a scripted server that answers CONNECT with connected,
// then reads frames until the client hangs up, passing each to the test
// (on the returned channel) and then to react, which may answer. react
// returning false ends the script, which closes the connection. A nil
// react only reads.
func newBroker(t testing.TB, connected string, react func(p *peer, f *frames.Frame) bool) (*scriptedServer, chan *frames.Frame) {
	got := make(chan *frames.Frame, 4096)
	srv := newScriptedServer(t, func(conn net.Conn, r *bufio.Reader) {
		p := &peer{conn: conn, r: r, got: got}
		if _, err := p.read(); err != nil {
			return
		}
		p.write(connected)
		for {
			f, err := p.read()
			if err != nil {
				return
			}
			if react != nil && !react(p, f) {
				return
			}
		}
	})
	return srv, got
}

// connectedFrame builds a CONNECTED frame; version "" leaves the header
// out (a STOMP 1.0 server). kv are extra header pairs.
func connectedFrame(version string, kv ...string) string {
	var b strings.Builder
	b.WriteString("CONNECTED\n")
	if version != "" {
		b.WriteString("version:" + version + "\n")
	}
	b.WriteString("server:scripted/1\nsession:sess-1\n")
	for i := 0; i+1 < len(kv); i += 2 {
		b.WriteString(kv[i] + ":" + kv[i+1] + "\n")
	}
	b.WriteString("\n\x00")
	return b.String()
}

// rawFrame builds wire bytes for a server frame from header pairs and a
// body, without escaping.
func rawFrame(cmd string, body string, kv ...string) string {
	var b strings.Builder
	b.WriteString(cmd + "\n")
	for i := 0; i+1 < len(kv); i += 2 {
		b.WriteString(kv[i] + ":" + kv[i+1] + "\n")
	}
	b.WriteString("\n" + body + "\x00")
	return b.String()
}

// receiptFor answers a frame's receipt header, if it has one.
func receiptFor(p *peer, f *frames.Frame) {
	if id, ok := f.Headers.Get(frames.HdrReceipt); ok {
		p.write(rawFrame("RECEIPT", "", "receipt-id", id))
	}
}

// politeBroker answers every receipt and closes after DISCONNECT.
func politeBroker(p *peer, f *frames.Frame) bool {
	receiptFor(p, f)
	return f.Command != frames.CmdDisconnect
}
