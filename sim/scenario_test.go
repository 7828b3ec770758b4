package sim

import (
	"errors"
	"io"
	"net"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// transcript is what a client saw of one connection, to compare runs.
type transcript struct {
	reads  []int    // sizes of the reads that returned data, in order
	bytes  string   // every byte received
	frames []string // every frame received, raw
	end    string   // how the connection ended: "eof" or an error
	events []FaultEvent
}

// recConn records the size of each read that returns data.
type recConn struct {
	net.Conn
	mu    sync.Mutex
	reads []int
	data  []byte
}

func (r *recConn) Read(p []byte) (int, error) {
	n, err := r.Conn.Read(p)
	if n > 0 {
		r.mu.Lock()
		r.reads = append(r.reads, n)
		r.data = append(r.data, p[:n]...)
		r.mu.Unlock()
	}
	return n, err
}

// step is one request of a lockstep scenario and what ends its answer: the
// receipt-id of a RECEIPT, or "*" for any frame.
type step struct{ frame, until string }

// lockstep sends one frame at a time and reads its answer before the next,
// so every write of the broker holds a known set of frames and byte-level
// faults cut the same stream the same way on every run.
var lockstep = []step{
	{"CONNECT\naccept-version:1.2\nhost:/\n\n\x00", "*"},
	{"SUBSCRIBE\nid:0\ndestination:/queue/f\nack:client-individual\nreceipt:s\n\n\x00", "s"},
	{"SEND\ndestination:/queue/f\ncontent-type:text/plain\nreceipt:p1\n\none\x00", "p1"},
	{"SEND\ndestination:/queue/f\ncontent-type:text/plain\nreceipt:p2\n\ntwo\x00", "p2"},
	{"SEND\ndestination:/queue/f\ncontent-type:text/plain\nreceipt:p3\n\nthree\x00", "p3"},
	{"DISCONNECT\nreceipt:bye\n\n\x00", "bye"},
}

// pipelined is the same conversation sent in one write, for frame faults,
// whose effect on the sequence of frames does not depend on how the bytes
// are cut.
var pipelined = func() string {
	s := ""
	for _, st := range lockstep {
		s += st.frame
	}
	return s
}()

// runLockstep runs the lockstep scenario on a fresh broker with plan.
func runLockstep(t *testing.T, plan Plan, opts ...Option) transcript {
	t.Helper()
	b := newBroker(t, append(opts, WithPlan(plan))...)
	nc, err := b.ServePipe()
	require.NoError(t, err)
	rec := &recConn{Conn: nc}
	c := newClient(t, rec)
	tr := transcript{}
	for _, st := range lockstep {
		if _, err := io.WriteString(nc, st.frame); err != nil {
			tr.end = "write: " + err.Error()
			break
		}
		if !c.readUntil(&tr, st.until) {
			break
		}
	}
	c.readToEnd(&tr)
	tr.reads, tr.bytes = rec.reads, string(rec.data)
	require.NoError(t, b.Close())
	tr.events = b.FaultEvents()
	return tr
}

// runPipelined sends the pipelined scenario from a goroutine and reads
// every frame until the connection ends.
func runPipelined(t *testing.T, plan Plan, opts ...Option) transcript {
	t.Helper()
	b := newBroker(t, append(opts, WithPlan(plan))...)
	nc, err := b.ServePipe()
	require.NoError(t, err)
	c := newClient(t, nc)
	werr := make(chan error, 1)
	go func() {
		_, err := io.WriteString(nc, pipelined)
		werr <- err
	}()
	tr := transcript{}
	c.readToEnd(&tr)
	_ = nc.Close()
	<-werr
	require.NoError(t, b.Close())
	tr.events = b.FaultEvents()
	return tr
}

// readUntil reads frames into tr until one matches until. It returns false
// when the connection ended or an ERROR came first.
func (c *client) readUntil(tr *transcript, until string) bool {
	for {
		f, err := c.readFrame()
		if err != nil {
			tr.end = endOf(err)
			return false
		}
		tr.frames = append(tr.frames, f.raw)
		if f.cmd == "ERROR" {
			return false // the conversation stops at an ERROR
		}
		if until == "*" || (f.cmd == "RECEIPT" && f.get("receipt-id") == until) {
			return true
		}
	}
}

// readToEnd reads frames into tr until the connection ends.
func (c *client) readToEnd(tr *transcript) {
	if tr.end != "" {
		return
	}
	for {
		f, err := c.readFrame()
		if err != nil {
			tr.end = endOf(err)
			return
		}
		tr.frames = append(tr.frames, f.raw)
	}
}

func endOf(err error) string {
	switch {
	case errors.Is(err, io.EOF):
		return "eof"
	case isTimeout(err):
		return "timeout"
	}
	return err.Error()
}

// twice runs a scenario twice and checks both runs saw the same thing.
func twice(t *testing.T, run func(*testing.T, Plan, ...Option) transcript, plan Plan, opts ...Option) transcript {
	t.Helper()
	a := run(t, plan, opts...)
	b := run(t, plan, opts...)
	require.Equal(t, a.frames, b.frames, "frames differ between runs (ends %q, %q)", a.end, b.end)
	require.Equal(t, a.reads, b.reads, "read boundaries differ between runs")
	require.Equal(t, a.bytes, b.bytes, "bytes differ between runs")
	require.Equal(t, a.end, b.end)
	require.Equal(t, a.events, b.events, "fault events differ between runs")
	return a
}

// commands returns the command line of each raw frame.
func commands(frames []string) []string {
	out := make([]string, len(frames))
	for i, f := range frames {
		for j := 0; j < len(f); j++ {
			if f[j] == '\n' {
				out[i] = f[:j]
				break
			}
		}
	}
	return out
}
