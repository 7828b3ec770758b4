package api

// A scripted hostile (or buggy) broker driven by a byte program,
// interleaved with calls of the api facade, with invariants checked after
// every step (hostile_broker_run_test.go): the program is a byte string,
// from a seed's math/rand (TestRandomHostileBrokerPrograms) or from the
// fuzzer (FuzzHostileBroker); the steps are in
// hostile_broker_steps_test.go. What it found is pinned by short tests of
// its own: early_receipt_test.go, connected_again_test.go,
// disconnect_partial_frame_test.go.

import (
	"bufio"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stompactor/stompactor/frames"
)

// fzProg reads the program: zero once exhausted.
type fzProg struct {
	data []byte
	i    int
}

func (p *fzProg) done() bool { return p.i >= len(p.data) }
func (p *fzProg) b() byte {
	if p.i >= len(p.data) {
		return 0
	}
	c := p.data[p.i]
	p.i++
	return c
}
func (p *fzProg) n(k int) int { return int(p.b()) % k }
func (p *fzProg) bytes(max int) []byte {
	n := p.n(max + 1)
	out := make([]byte, 0, n)
	for range n {
		if p.done() {
			break
		}
		out = append(out, p.b())
	}
	return out
}

// fzBroker is a one-client TCP broker that answers CONNECT, records what
// the client sends, answers receipts when autoReceipt is set, and writes
// what the program tells it.
type fzBroker struct {
	ln          net.Listener
	host        string
	port        int
	connected   atomic.Value // string: the CONNECTED frame
	autoReceipt atomic.Bool
	wg          sync.WaitGroup

	mu           sync.Mutex
	conn         net.Conn
	conns        []net.Conn
	wmu          sync.Mutex
	trace        []string
	sendReceipt  map[string][]string // SEND body -> its receipt headers (one a SEND)
	receiptCmd   map[string]string   // receipt header -> command
	receiptsSent map[string]int      // RECEIPT receipt-ids written (before the write)
	receipts     []string            // receipt headers seen, in order
	subs         []string            // SUBSCRIBE ids seen
	unsubs       map[string]bool
	// guessed are the RECEIPT ids written before the broker had a frame
	// asking for them: a guess (the ids are predictable), which may
	// confirm the frame if the client reads it after the frame's write
	// began; a client cannot tell it from an honest answer.
	guessed map[string]bool
	msgs    int
	// arrived is closed, and replaced, each time a frame is recorded.
	arrived chan struct{}
}

func newFzBroker(tb testing.TB) *fzBroker {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	b := &fzBroker{ln: ln, sendReceipt: map[string][]string{}, receiptCmd: map[string]string{},
		receiptsSent: map[string]int{}, unsubs: map[string]bool{}, guessed: map[string]bool{}, arrived: make(chan struct{})}
	h, p, _ := net.SplitHostPort(ln.Addr().String())
	b.host = h
	b.port, _ = strconv.Atoi(p)
	b.connected.Store("CONNECTED\nversion:1.2\n\n\x00")
	b.autoReceipt.Store(true)
	b.wg.Add(1)
	go b.accept()
	return b
}

func (b *fzBroker) note(format string, args ...any) {
	b.mu.Lock()
	b.trace = append(b.trace, fmt.Sprintf(format, args...))
	b.mu.Unlock()
}

func (b *fzBroker) accept() {
	defer b.wg.Done()
	for {
		c, err := b.ln.Accept()
		if err != nil {
			return
		}
		b.mu.Lock()
		b.conns = append(b.conns, c)
		b.mu.Unlock()
		b.wg.Add(1)
		go b.serve(c)
	}
}

func (b *fzBroker) serve(c net.Conn) {
	defer b.wg.Done()
	defer c.Close()
	d := frames.NewDecoder(bufio.NewReader(c), frames.V12, frames.Limits{MaxFrame: 64 << 20, MaxBody: 64 << 20})
	f, err := readFrame(d)
	if err != nil {
		return
	}
	b.note("C> %s", f.Command)
	b.wmu.Lock()
	_, err = c.Write([]byte(b.connected.Load().(string)))
	b.wmu.Unlock()
	if err != nil {
		return
	}
	b.mu.Lock()
	b.conn = c
	b.mu.Unlock()
	for {
		f, err := readFrame(d)
		if err != nil {
			return
		}
		r := f.Header("receipt")
		b.mu.Lock()
		b.trace = append(b.trace, fmt.Sprintf("C> %s receipt=%q id=%q sub=%q body=%q", f.Command, r, f.Header("id"), f.Header("subscription"), f.Body))
		if r != "" {
			b.receipts = append(b.receipts, r)
			b.receiptCmd[r] = f.Command.String()
		}
		switch f.Command {
		case frames.CmdSend:
			b.sendReceipt[string(f.Body)] = append(b.sendReceipt[string(f.Body)], r)
		case frames.CmdSubscribe:
			b.subs = append(b.subs, f.Header("id"))
		case frames.CmdUnsubscribe:
			b.unsubs[f.Header("id")] = true
		}
		close(b.arrived)
		b.arrived = make(chan struct{})
		b.mu.Unlock()
		if r != "" && b.autoReceipt.Load() {
			b.write(c, "RECEIPT\nreceipt-id:"+r+"\n\n\x00", nil)
		}
		if f.Command == frames.CmdDisconnect {
			return
		}
	}
}

// write writes s to c (the current connection when nil) in the chunks
// cuts says, noting the RECEIPT ids it carries before the first byte.
func (b *fzBroker) write(c net.Conn, s string, cuts []int) {
	b.mu.Lock()
	if c == nil {
		c = b.conn
	}
	for _, line := range strings.Split(s, "\n") {
		// Only a RECEIPT written after the broker got the frame that
		// carries the id counts as answering it.
		if id, ok := strings.CutPrefix(line, "receipt-id:"); ok && strings.Contains(s, "RECEIPT") {
			if b.receiptCmd[id] != "" {
				b.receiptsSent[id]++
			} else {
				b.guessed[id] = true
			}
		}
	}
	b.trace = append(b.trace, fmt.Sprintf("B< %q cuts=%v", s, cuts))
	b.mu.Unlock()
	if c == nil {
		return
	}
	b.wmu.Lock()
	defer b.wmu.Unlock()
	prev := 0
	for _, k := range cuts {
		if k <= prev || k >= len(s) {
			continue
		}
		if _, err := c.Write([]byte(s[prev:k])); err != nil {
			return
		}
		prev = k
	}
	_, _ = c.Write([]byte(s[prev:]))
}

func (b *fzBroker) closeConn() {
	b.mu.Lock()
	c := b.conn
	b.conn = nil
	b.trace = append(b.trace, "B: close")
	b.mu.Unlock()
	if c != nil {
		_ = c.Close()
	}
}

func (b *fzBroker) close(tb testing.TB) {
	_ = b.ln.Close()
	b.mu.Lock()
	for _, c := range b.conns {
		_ = c.Close()
	}
	b.mu.Unlock()
	done := make(chan struct{})
	go func() { b.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(wait):
		tb.Error("fz broker did not finish")
	}
}

func (b *fzBroker) traceText() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return strings.Join(b.trace, "\n")
}
