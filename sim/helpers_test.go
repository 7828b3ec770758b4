package sim

import (
	"bufio"
	"errors"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// wait is the generous deadline of every wait in these tests.
const wait = 10 * time.Second

// newBroker starts a broker that the test closes at its end.
func newBroker(t testing.TB, opts ...Option) *Broker {
	t.Helper()
	b, err := NewBroker(opts...)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, b.Close()) })
	return b
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	require.Eventually(t, cond, wait, 2*time.Millisecond, "waiting for %s", what)
}

// client speaks raw STOMP bytes written by the tests and parses what comes
// back with a parser of its own, so the frames package is not what checks
// itself.
type client struct {
	t          testing.TB
	conn       net.Conn
	r          *bufio.Reader
	heartbeats int        // EOLs skipped between frames
	stash      []rawFrame // frames read while waiting for a RECEIPT
	receipts   int
}

func pipeClient(t testing.TB, b *Broker) *client {
	t.Helper()
	nc, err := b.ServePipe()
	require.NoError(t, err)
	return newClient(t, nc)
}

func tcpClient(t testing.TB, addr string) *client {
	t.Helper()
	nc, err := net.DialTimeout("tcp", addr, wait)
	require.NoError(t, err)
	return newClient(t, nc)
}

func newClient(t testing.TB, nc net.Conn) *client {
	t.Cleanup(func() { _ = nc.Close() })
	return &client{t: t, conn: nc, r: bufio.NewReaderSize(nc, 64<<10)}
}

// send writes raw bytes.
func (c *client) send(raw string) {
	c.t.Helper()
	require.NoError(c.t, c.conn.SetWriteDeadline(time.Now().Add(wait)))
	_, err := io.WriteString(c.conn, raw)
	require.NoError(c.t, err)
}

// rawFrame is a frame as the test parser saw it: header values are left
// escaped, exactly as on the wire.
type rawFrame struct {
	cmd     string
	headers [][2]string
	body    string
	raw     string // every byte of the frame, from command to NUL
}

func (f rawFrame) get(k string) string {
	v, _ := f.lookup(k)
	return v
}

func (f rawFrame) lookup(k string) (string, bool) {
	for _, h := range f.headers {
		if h[0] == k {
			return h[1], true
		}
	}
	return "", false
}

// readFrame reads the next frame, skipping and counting heart-beats.
func (c *client) readFrame() (rawFrame, error) {
	// A pipe refuses deadlines once closed, even with data still buffered
	// here: the reads below report the real state.
	_ = c.conn.SetReadDeadline(time.Now().Add(wait))
	var raw strings.Builder
	var line string
	for {
		l, err := c.r.ReadString('\n')
		if err != nil {
			return rawFrame{}, err
		}
		if l == "\n" || l == "\r\n" {
			c.heartbeats++
			continue
		}
		line = l
		break
	}
	raw.WriteString(line)
	f := rawFrame{cmd: strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")}
	for {
		l, err := c.r.ReadString('\n')
		if err != nil {
			return rawFrame{}, err
		}
		raw.WriteString(l)
		l = strings.TrimSuffix(strings.TrimSuffix(l, "\n"), "\r")
		if l == "" {
			break
		}
		k, v, ok := strings.Cut(l, ":")
		if !ok {
			return rawFrame{}, errors.New("header line without colon: " + l)
		}
		f.headers = append(f.headers, [2]string{k, v})
	}
	if cl, ok := f.lookup("content-length"); ok {
		n, err := strconv.Atoi(cl)
		if err != nil {
			return rawFrame{}, err
		}
		body := make([]byte, n+1)
		if _, err := io.ReadFull(c.r, body); err != nil {
			return rawFrame{}, err
		}
		if body[n] != 0 {
			return rawFrame{}, errors.New("body not followed by NUL")
		}
		f.body = string(body[:n])
		raw.Write(body)
	} else {
		b, err := c.r.ReadString(0)
		if err != nil {
			return rawFrame{}, err
		}
		f.body = b[:len(b)-1]
		raw.WriteString(b)
	}
	f.raw = raw.String()
	return f, nil
}

// read returns the next frame (stashed ones first) and fails the test on
// an error.
func (c *client) read() rawFrame {
	c.t.Helper()
	if len(c.stash) > 0 {
		f := c.stash[0]
		c.stash = c.stash[1:]
		return f
	}
	f, err := c.readFrame()
	require.NoError(c.t, err)
	return f
}

// expect reads the next frame and checks its command.
func (c *client) expect(cmd string) rawFrame {
	c.t.Helper()
	f := c.read()
	require.Equal(c.t, cmd, f.cmd, "frame: %q", f.raw)
	return f
}

// expectClosed reads until the connection ends, failing on any frame but
// heart-beats.
func (c *client) expectClosed() {
	c.t.Helper()
	f, err := c.readFrame()
	require.Error(c.t, err, "expected the connection to close, got %q", f.raw)
	require.False(c.t, isTimeout(err), "timed out waiting for the connection to close")
}

// connect sends CONNECT for the given accept-version ("" for none) and
// expects CONNECTED.
func (c *client) connect(versions string) rawFrame {
	c.t.Helper()
	if versions == "" {
		c.send("CONNECT\n\n\x00")
	} else {
		c.send("CONNECT\naccept-version:" + versions + "\nhost:/\n\n\x00")
	}
	return c.expect("CONNECTED")
}

// sendSync sends a frame with a receipt header added and waits for the
// RECEIPT, stashing the frames that come before it for read.
func (c *client) sendSync(cmd string, headers ...string) {
	c.t.Helper()
	c.receipts++
	id := "sync-" + strconv.Itoa(c.receipts)
	var b strings.Builder
	b.WriteString(cmd + "\n")
	for _, h := range headers {
		b.WriteString(h + "\n")
	}
	b.WriteString("receipt:" + id + "\n\n\x00")
	c.send(b.String())
	for {
		f, err := c.readFrame()
		require.NoError(c.t, err)
		if f.cmd == "RECEIPT" && f.get("receipt-id") == id {
			return
		}
		require.NotEqual(c.t, "ERROR", f.cmd, "frame: %q", f.raw)
		c.stash = append(c.stash, f)
	}
}

// internals returns how many sessions the owner holds and how many
// connections the broker tracks, to check that ended ones are forgotten.
func internals(b *Broker) (sessions, conns int) {
	b.do(func(st *state) { sessions = len(st.sessions) })
	b.connsMu.Lock()
	conns = len(b.conns)
	b.connsMu.Unlock()
	return sessions, conns
}
