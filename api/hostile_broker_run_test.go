package api

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stompactor/stompactor/actors"
	"go.uber.org/goleak"
)

// fzRun is one run: a client, a broker, the program.
type fzRun struct {
	tb      testing.TB
	p       *fzProg
	b       *fzBroker
	s       *STOMP
	eng     *actors.Engine
	timeout time.Duration
	slack   time.Duration
	alo     bool // at-least-once: a send's nil means queued

	mu          sync.Mutex
	violations  []string
	closed      atomic.Bool
	connectedOK int
	disconnects int
	manual      []*MessageInEvent
	lastStats   Stats
	async       sync.WaitGroup
	asyncDone   atomic.Int64
	asyncCalls  atomic.Int64
	bodySeq     int
	steps       []string
}

func (r *fzRun) violate(format string, args ...any) {
	r.mu.Lock()
	r.violations = append(r.violations, fmt.Sprintf(format, args...))
	r.mu.Unlock()
}

// checkErr: every error is an *Error of the api's vocabulary.
func (r *fzRun) checkErr(what string, err error) {
	if err == nil {
		return
	}
	var e *Error
	if !errors.As(err, &e) {
		r.violate("%s: error %T %v is not an *api.Error", what, err, err)
		return
	}
	if e.Code == CodeOther {
		r.violate("%s: error with CodeOther: %v", what, err)
	}
}

// call runs f and checks its bound and its error.
func (r *fzRun) call(what string, bound time.Duration, f func() error) error {
	start := time.Now()
	err := f()
	el := time.Since(start)
	r.mu.Lock()
	r.steps = append(r.steps, fmt.Sprintf("%s -> %v (%v)", what, err, el.Round(time.Millisecond)))
	r.mu.Unlock()
	if el > bound+r.slack {
		r.violate("%s took %v, bound %v: %v", what, el, bound, err)
	}
	r.checkErr(what, err)
	return err
}

func (r *fzRun) checkStats() {
	st := r.s.Stats()
	prev := r.lastStats
	mono := []struct {
		name     string
		now, was int64
	}{
		{"FramesIn", st.FramesIn, prev.FramesIn}, {"FramesOut", st.FramesOut, prev.FramesOut},
		{"BytesIn", st.BytesIn, prev.BytesIn}, {"BytesOut", st.BytesOut, prev.BytesOut},
		{"MessagesIn", st.MessagesIn, prev.MessagesIn}, {"MessagesOut", st.MessagesOut, prev.MessagesOut},
		{"Acks", st.Acks, prev.Acks}, {"Nacks", st.Nacks, prev.Nacks},
		{"HeartbeatsIn", st.HeartbeatsIn, prev.HeartbeatsIn}, {"Dropped", st.Dropped, prev.Dropped},
		{"Connects", st.Connects, prev.Connects}, {"Disconnects", st.Disconnects, prev.Disconnects},
		{"Panics", st.Panics, prev.Panics}, {"ReceiptsLate", st.ReceiptsLate, prev.ReceiptsLate},
	}
	for _, m := range mono {
		if m.now < m.was {
			r.violate("Stats.%s went down: %d -> %d", m.name, m.was, m.now)
		}
	}
	if st.ReceiptsPending < 0 || st.Outbox < 0 {
		r.violate("Stats gauge negative: %+v", st)
	}
	if st.Disconnects > st.Connects {
		r.violate("Stats.Disconnects %d > Connects %d", st.Disconnects, st.Connects)
	}
	if st.Panics != 0 {
		r.violate("Stats.Panics %d: the library recovered a panic of its own", st.Panics)
	}
	r.lastStats = st
}

func (r *fzRun) event(name string) {
	if r.closed.Load() {
		r.violate("event %s after Close returned", name)
	}
}

// confirmed checks that a send of body the client confirmed was answered
// by a RECEIPT naming that SEND's own receipt id, written after the broker
// had that SEND (or guessed before: see fzBroker.guessed).
func (r *fzRun) confirmed(what, body string) {
	// The SEND may still be on its way to the broker's reader.
	deadline := time.After(time.Second)
	for {
		r.b.mu.Lock()
		rids, ok := r.b.sendReceipt[body]
		guessed := len(r.b.guessed) > 0
		arrived := r.b.arrived
		n := 0
		for _, rid := range rids {
			if rid != "" {
				n += r.b.receiptsSent[rid]
				if r.b.guessed[rid] {
					n++
				}
			}
		}
		r.b.mu.Unlock()
		if ok {
			if n == 0 {
				r.violate("%s %q confirmed but no RECEIPT named its receipt (SENDs' receipts %q)", what, body, rids)
			}
			return
		}
		select {
		case <-arrived:
		case <-deadline:
			// Confirmed by a guessed RECEIPT read after the frame's write
			// began, the broker closing before it read the frame, is the
			// one way a frame the broker never read can be confirmed
			// (written whole, as far as the client can know).
			if !guessed {
				r.violate("%s %q confirmed but the broker never got its SEND", what, body)
			}
			return
		}
	}
}

var fzVersions = []string{"1.0", "1.1", "1.2"}

// runFz runs a program and reports the violations it finds.
func runFz(tb testing.TB, data []byte) {
	p := &fzProg{data: data}
	opts := p.b()
	opts2 := p.b()
	before := goleak.IgnoreCurrent()
	b := newFzBroker(tb)
	// CONNECTED: the broker's version, maybe none, maybe a heart-beat.
	cv := fzVersions[int(opts)%3]
	hdr := "version:" + cv + "\n"
	if opts&0x04 != 0 {
		hdr = "" // a 1.0 broker names no version
		cv = "1.0"
	}
	hdr += "session:fz\nserver:fz/1\n"
	if opts2&0x30 == 0 {
		hdr += "heart-beat:" + []string{"50,50", "0,0", "1,1", "x", "2147483647,2147483647", "10,abc", "30,0", "0,30"}[int(opts2>>6)+4*int((opts2>>3)&1)] + "\n"
	}
	b.connected.Store("CONNECTED\n" + hdr + "\n\x00")
	b.autoReceipt.Store(opts&0x08 == 0)
	r := &fzRun{tb: tb, p: p, b: b, timeout: 400 * time.Millisecond, slack: 2 * time.Second}
	r.eng = actors.NewEngine(actors.EngineOptions{})
	clientOpts := []Option{WithEngine(r.eng), WithTimeout(r.timeout), WithDisconnectTimeout(r.timeout),
		WithRequestReceipts(opts&0x10 != 0), WithCollapseHeaders(opts&0x20 == 0)}
	if opts&0x40 != 0 {
		clientOpts = append(clientOpts, WithRequestSubscriptionReceipts(true), WithRequestTransactionReceipts(true), WithRequestAckReceipts(true))
	}
	if opts&0x80 != 0 {
		clientOpts = append(clientOpts, WithSupportedVersions(cv))
	}
	if opts2&0x30 == 0 {
		clientOpts = append(clientOpts, WithIncomingHeartbeat(60*time.Millisecond), WithOutgoingHeartbeat(60*time.Millisecond))
	}
	if opts2&0x03 == 0 {
		clientOpts = append(clientOpts, WithReconnect(Reconnect{Enabled: true, InitialDelay: time.Millisecond, MaxDelay: 20 * time.Millisecond, MaxAttempts: 3}))
	}
	if opts2&0x0c == 0 {
		clientOpts = append(clientOpts, WithAtLeastOnce(AtLeastOnce{Enabled: true, MaxOutbox: 4}))
		r.alo = true
	}
	r.s = NewSTOMP(clientOpts...)
	s := r.s
	s.OnConnected(func(e *ConnectedEvent) {
		r.event("Connected")
		r.mu.Lock()
		if e.StatusCode == 0 {
			r.connectedOK++
			if r.connectedOK-r.disconnects > 1 {
				r.violations = append(r.violations, "two Connected without a Disconnected between")
			}
		}
		r.mu.Unlock()
		r.checkErr("ConnectedEvent", e.Err)
	})
	s.OnDisconnected(func(e *DisconnectedEvent) {
		r.event("Disconnected")
		r.mu.Lock()
		r.disconnects++
		if r.disconnects > r.connectedOK {
			r.violations = append(r.violations, fmt.Sprintf("Disconnected #%d after %d Connected: %v", r.disconnects, r.connectedOK, e.Err))
		}
		r.mu.Unlock()
		r.checkErr("DisconnectedEvent", e.Err)
	})
	s.OnError(func(e *ErrorEvent) {
		r.event("Error")
		r.checkErr("ErrorEvent", e.Err)
	})
	s.OnMessageIn(func(e *MessageInEvent) { r.event("MessageIn") })
	s.OnReceiptIn(func(e *ReceiptInEvent) { r.event("ReceiptIn") })

	bound := r.timeout
	r.call("Connect", bound, func() error { return s.Connect(b.host, b.port) })
	r.checkStats()
	for step := 0; step < 60 && !p.done(); step++ {
		op := p.b()
		if op&0xc0 != 0 && !s.Connected() && s.Timeout() != 0 {
			// Mostly connect again, so that the broker has someone to talk to.
			r.call("Connect(again)", bound, func() error { return s.Connect(b.host, b.port) })
		}
		if op&1 == 0 {
			r.brokerStep(op >> 1)
		} else {
			if r.clientStep(op >> 1) {
				break
			}
		}
		r.checkStats()
	}
	r.call("Close", 3*bound, func() error { s.Close(); return nil })
	r.closed.Store(true)
	r.checkStats()
	// The async dones must all have come.
	doneCh := make(chan struct{})
	go func() { r.async.Wait(); close(doneCh) }()
	select {
	case <-doneCh:
	case <-time.After(wait):
		r.violate("an async done never came (%d of %d)", r.asyncDone.Load(), r.asyncCalls.Load())
	}
	if err := r.eng.Close(); err != nil {
		r.violate("engine Close: %v", err)
	}
	b.close(tb)
	if err := goleak.Find(before); err != nil {
		r.violate("goroutine leak: %v", err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if os.Getenv("STOMPACTOR_FZ_TRACE") != "" {
		tb.Logf("steps:\n%s\n--- wire:\n%s", strings.Join(r.steps, "\n"), b.traceText())
	}
	if len(r.violations) > 0 {
		tb.Errorf("violations:\n%s\n--- steps:\n%s\n--- wire:\n%s", strings.Join(r.violations, "\n"),
			strings.Join(r.steps, "\n"), b.traceText())
	}
}
