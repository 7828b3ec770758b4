package actors

import (
	"context"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/stompactor/stompactor/frames"
)

// The handshake: dial, CONNECT, CONNECTED, and what is negotiated.

func (s *session) connect(ctx actor.Context, m *connectRequest) {
	if s.stopping || s.state != Disconnected {
		if m.taken != nil {
			m.taken()
		}
		err := ErrAlreadyConnected
		if s.stopping {
			err = ErrClosed
		}
		m.reply <- connectResult{err: err}
		return
	}
	// The request is the session's now: it keeps its configuration (and
	// drops its reply channel, which connectWaiter holds while needed).
	s.cfg = &m.cfg
	s.cfg.withDefaults()
	s.gen++
	s.setState(Connecting)
	if m.taken != nil {
		// The state says the attempt runs: whoever waited to see it
		// taken (the facade's check of racing Connects) may stop.
		m.taken()
	}
	s.connectWaiter, m.reply = m.reply, nil
	s.retry = retrying{nextServer: 1}
	s.curAddr = s.cfg.Addr
	s.startAttempt(ctx, nil)
}

// startAttempt dials s.curAddr and arms the connect timeout; the rest of
// the handshake follows from the dialed message. att is the attempt when
// it already holds a slot of the engine's dial gate (an automatic
// reconnect attempt, reconnectAttempt); nil for a Connect's own attempts,
// which the gate does not bound. The connect timeout starts here, after
// any wait for a slot.
func (s *session) startAttempt(ctx actor.Context, att *dialAttempt) {
	gen := s.gen
	s.lastServerErr = nil
	s.receipts = newReceiptBook(&s.c.stats)
	s.receipts.answered = s.entryAnswered

	self, sys := ctx.Self(), ctx.ActorSystem()
	dial, addr, creds := s.cfg.Dial, s.curAddr, s.cfg.Credentials
	// The attempt is the context the dial runs under (see dialAttempt).
	if att == nil {
		att = &dialAttempt{}
	}
	att.deadline = time.Now().Add(s.cfg.ConnectTimeout)
	att.login, att.passcode = s.cfg.Login, s.cfg.Passcode
	// s.dialing holds the attempt until CONNECTED or lose, which give
	// back its slot at the engine's dial gate, if it holds one.
	s.dialing = att
	s.status("dialing", s.curAddr)
	// The connection's wait group (which Close waits for) counts a
	// goroutine that waits for the dial or for the attempt's end, not the
	// dial itself: the user's Credentials callback and dialer run on it,
	// and code of theirs that ignores the attempt's end (a token fetch
	// that hangs) must not hold Close. What the dial brings after the
	// attempt ended is closed (offer, dialed).
	s.c.wg.Add(1)
	dialing := make(chan struct{})
	go func() {
		defer s.c.wg.Done()
		select {
		case <-dialing:
		case <-att.Done():
		}
	}()
	go func() {
		defer close(dialing)
		defer att.end(context.Canceled)
		if creds != nil {
			login, passcode, err := creds(att, addr)
			if err != nil {
				sys.Root.Send(self, &dialed{gen: gen, att: att, err: &credentialsError{err: err}})
				return
			}
			att.login, att.passcode = login, passcode
			if att.Err() != nil {
				// The attempt ended while the callback ran (Close, or
				// the connect timeout, which the session has heard of
				// already): no dial after it.
				return
			}
		}
		conn, err := dial(att, "tcp", addr)
		if err == nil && !att.offer(conn) {
			return // abandoned, and conn closed
		}
		sys.Root.Send(self, &dialed{gen: gen, att: att, err: err})
	}()
	s.connectTimer = time.AfterFunc(s.cfg.ConnectTimeout, func() {
		sys.Root.Send(self, &connectTimedOut{gen: gen})
		att.end(context.DeadlineExceeded) // a dial still running ends
	})
}

func (s *session) dialed(ctx actor.Context, m *dialed) {
	conn := m.att.take()
	login, passcode := m.att.login, m.att.passcode
	if m.gen != s.gen || s.state != Connecting {
		if conn != nil {
			_ = conn.Close()
		}
		return
	}
	if m.err != nil {
		s.lose(ctx, m.err)
		return
	}
	st := &connStats{}
	now := time.Now().UnixNano()
	st.lastRead.Store(now)
	st.lastWrite.Store(now)
	// Stored before any user code runs (the status event's sink, the
	// logger): a panic there ends in lose, which closes s.conn; the
	// attempt no longer holds the socket, so nothing else would.
	s.conn = &countingConn{Conn: conn, st: st, total: &s.c.stats}
	s.status("connected-tcp", conn.RemoteAddr().String())
	cfg := s.cfg
	slots := make(chan struct{}, cfg.MaxPendingReceipts)
	l := &link{gen: s.gen, version: frames.V10, credits: newTokens(cfg.MaxPendingWrites), receiptSlots: slots, lost: make(chan struct{}), writerDone: make(chan struct{}), stats: st,
		receipts:     receiptWaiters{slots: slots, stats: &s.c.stats, c: s.c},
		writeTimeout: cfg.WriteTimeout, maxTransferRate: cfg.MaxTransferRate, omitContentLength: cfg.OmitContentLength}
	s.link = l
	s.receipts.slots = l.receiptSlots
	self := ctx.Self()
	newWriter(s.c, l, s.conn, self) // its actor starts with the first frame (writerRun)
	l.rd = &reader{c: s.c, l: l, conn: s.conn, session: self, limits: cfg.Limits, versions: cfg.Versions, wantBeats: cfg.HeartbeatIn > 0}
	s.reader = s.c.spawn(l.rd)
	s.status("connecting", "")
	l.out.post(&writeFrame{frame: connectFrame(s.cfg, s.curAddr, login, passcode)})
}

// connectFrame builds the CONNECT (or STOMP) frame for an attempt on addr.
func connectFrame(cfg *ConnectConfig, addr, login, passcode string) *frames.Frame {
	f := frames.New(frames.CmdConnect)
	if cfg.UseStompCommand {
		f.Command = frames.CmdStomp
	}
	vs := make([]string, len(cfg.Versions))
	for i, v := range cfg.Versions {
		vs[i] = v.String()
	}
	host := cfg.Host
	if host == "" {
		host, _, _ = net.SplitHostPort(addr)
	}
	f.Headers.Add(frames.HdrAcceptVersion, strings.Join(vs, ","))
	f.Headers.Add(frames.HdrHost, host)
	if login != "" {
		f.Headers.Add(frames.HdrLogin, login)
	}
	if passcode != "" {
		f.Headers.Add(frames.HdrPasscode, passcode)
	}
	f.Headers.Add(frames.HdrHeartBeat, strconv.FormatInt(cfg.HeartbeatOut.Milliseconds(), 10)+","+strconv.FormatInt(cfg.HeartbeatIn.Milliseconds(), 10))
	for _, h := range cfg.ConnectHeaders {
		switch h.Key {
		case frames.HdrAcceptVersion, frames.HdrHost, frames.HdrLogin, frames.HdrPasscode, frames.HdrHeartBeat:
			f.Headers.Set(h.Key, h.Value)
		default:
			f.Headers.Add(h.Key, h.Value)
		}
	}
	return f
}

func (s *session) connected(ctx actor.Context, f *frames.Frame) {
	info, err := negotiated(s.cfg, f)
	if err != nil {
		s.lose(ctx, err)
		return
	}
	info.Addr = s.curAddr
	s.info = &info
	if s.connectTimer != nil {
		s.connectTimer.Stop()
		s.connectTimer = nil
	}
	// The attempt is over: its slot goes to the next in line.
	s.c.eng.gate.leave(s.dialing)
	s.dialing = nil
	s.link.version = info.Version
	// Set before the link is published: a sender that finds the link
	// encodes in this version at once.
	s.link.out.setVersion(info.Version)
	if info.HeartbeatOut > 0 || info.HeartbeatIn > 0 {
		s.heartbeat = s.c.spawn(&heartbeat{c: s.c, l: s.link, session: ctx.Self(), out: info.HeartbeatOut, in: info.HeartbeatIn, tolerance: s.tolerance(f)})
	}
	s.setState(Connected)
	s.c.info.Store(s.info)
	s.c.link.Store(s.link)
	s.c.stats.Connects.Add(1)
	if s.tx != nil {
		ctx.Send(s.tx, &linkChanged{link: s.link})
	}
	restored := s.retry.active && s.connectWaiter == nil
	if restored {
		s.restored(ctx)
	}
	s.resend(ctx)
	s.retry.active, s.retry.last = false, nil
	s.retry.upSince = time.Since(monoStart)
	s.status("connected", info.Version.String())
	if s.c.logs(LogInfo) {
		s.c.log(LogInfo, "info", "connected with STOMP "+info.Version.String()+" to "+peerText(info.Server))
	}
	// The events before the answer: a caller that waits for the handlers
	// of the events its Connect caused (the api's Connect does) finds
	// them queued once it is answered.
	if s.c.emitting((*ConnectedEvent)(nil)) {
		s.c.emit(&ConnectedEvent{Info: info, Restored: restored})
	}
	s.c.emit(&ReadyToSendEvent{})
	if s.connectWaiter != nil {
		s.connectWaiter <- connectResult{info: info}
		s.connectWaiter = nil
	}
}

// negotiated reads a CONNECTED frame: the version (one we offered) and
// the heart-beats, by the spec's rule.
func negotiated(cfg *ConnectConfig, f *frames.Frame) (ConnectInfo, error) {
	v := frames.V10
	if vs, ok := f.Headers.Get(frames.HdrVersion); ok {
		var err error
		if v, err = frames.ParseVersion(vs); err != nil {
			return ConnectInfo{}, protocolErr("CONNECTED names unknown version %s", peerQuote(vs))
		}
	}
	offered := false
	for _, o := range cfg.Versions {
		offered = offered || o == v
	}
	if !offered {
		return ConnectInfo{}, protocolErr("server chose version %s, which was not offered", v)
	}
	sx, sy, err := parseHeartBeat(f.Header(frames.HdrHeartBeat))
	if err != nil {
		return ConnectInfo{}, err
	}
	if v == frames.V10 {
		sx, sy = 0, 0 // heart-beats start with 1.1
	}
	return ConnectInfo{
		Version: v, Server: f.Header(frames.HdrServer), Session: f.Header(frames.HdrSession),
		HeartbeatOut: negotiate(cfg.HeartbeatOut, sy), HeartbeatIn: negotiate(cfg.HeartbeatIn, sx),
		Headers: f.Headers, // the reader's frames own their memory (DecodeOwned)
	}, nil
}

// activeMQTolerance is the least read tolerance used with ActiveMQ, whose
// inactivity monitor sends a heart-beat only when a whole interval passed
// without a write, so gaps of about twice the interval are normal there.
const activeMQTolerance = 2.5

// tolerance is the heart-beat read tolerance: the one the user set, else
// the default, raised for brokers known to send late.
func (s *session) tolerance(connected *frames.Frame) float64 {
	if s.cfg.HeartbeatTolerance > 1 {
		return s.cfg.HeartbeatTolerance
	}
	if strings.HasPrefix(connected.Header(frames.HdrServer), "ActiveMQ") {
		s.c.log(LogInfo, "info", "ActiveMQ sends heart-beats up to two intervals apart: read tolerance raised to "+strconv.FormatFloat(activeMQTolerance, 'f', 1, 64))
		return activeMQTolerance
	}
	return defaultHeartbeatTolerance
}

// parseHeartBeat reads a heart-beat header "x,y"; a missing header is 0,0.
func parseHeartBeat(v string) (time.Duration, time.Duration, error) {
	if v == "" {
		return 0, 0, nil
	}
	a, b, ok := strings.Cut(v, ",")
	x, err1 := strconv.ParseUint(strings.TrimSpace(a), 10, 31)
	y, err2 := strconv.ParseUint(strings.TrimSpace(b), 10, 31)
	if !ok || err1 != nil || err2 != nil {
		return 0, 0, protocolErr("malformed heart-beat header %s", peerQuote(v))
	}
	return time.Duration(x) * time.Millisecond, time.Duration(y) * time.Millisecond, nil
}

// negotiate applies the spec's rule: none if either side says 0, else the
// larger of the two.
func negotiate(ours, theirs time.Duration) time.Duration {
	if ours <= 0 || theirs <= 0 {
		return 0
	}
	return max(ours, theirs)
}

// dialAttempt hands a dialed connection to the session, or closes it when
// the session gave up on the attempt first (Close, Interrupt, a timeout):
// the dialed message may reach a session that has already stopped, and
// then nobody else would close the socket.
//
// It is also the context.Context the dial (and the Credentials callback)
// runs under: its deadline is the connect timeout's, and it ends (end)
// when the dial returns, when the session abandons the attempt, or when
// the connect timer fires. A context of the context package would bring a
// timer of its own beside the connect timer, and a map for the child the
// dialer hangs on it; this one has an AfterFunc method, which
// context.AfterFunc and derived contexts use instead of either.
type dialAttempt struct {
	mu        sync.Mutex
	conn      net.Conn
	abandoned bool
	// The attempt's credentials: the configured ones, or the Credentials
	// callback's, written before the dialed message is sent.
	login, passcode string

	deadline time.Time
	err      error         // why the attempt's context ended; nil while it runs
	done     chan struct{} // made by the first Done
	after    []*func()     // AfterFunc's functions, run when it ends

	// Its place at the engine's dial gate (dialgate.go), guarded by the
	// gate's lock: whether it waits or holds a slot, the channel closed
	// when it is given one, and its neighbours in the queue.
	slot       slotState
	slotReady  chan struct{}
	prev, next *dialAttempt
}

func (a *dialAttempt) Deadline() (time.Time, bool) { return a.deadline, true }

func (a *dialAttempt) Value(any) any { return nil }

func (a *dialAttempt) Err() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.err
}

func (a *dialAttempt) Done() <-chan struct{} {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.done == nil {
		a.done = make(chan struct{})
		if a.err != nil {
			close(a.done)
		}
	}
	return a.done
}

// AfterFunc arranges for f to run on a goroutine of its own once the
// attempt's context ends, as context.AfterFunc does; stop cancels that
// and reports whether it did.
func (a *dialAttempt) AfterFunc(f func()) (stop func() bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.err != nil {
		go f()
		return func() bool { return false }
	}
	fp := &f
	a.after = append(a.after, fp)
	return func() bool {
		a.mu.Lock()
		defer a.mu.Unlock()
		for i, g := range a.after {
			if g == fp {
				a.after = slices.Delete(a.after, i, i+1)
				return true
			}
		}
		return false
	}
}

// end ends the attempt's context with err (the first end counts); one
// that ends it at or past its deadline (the session abandoning it for the
// connect timeout, say) ends it as timed out.
func (a *dialAttempt) end(err error) {
	// (An attempt still in line for a slot has no deadline yet.)
	if err == context.Canceled && !a.deadline.IsZero() && !time.Now().Before(a.deadline) {
		err = context.DeadlineExceeded
	}
	a.mu.Lock()
	if a.err != nil {
		a.mu.Unlock()
		return
	}
	a.err = err
	if a.done != nil {
		close(a.done)
	}
	after := a.after
	a.after = nil
	a.mu.Unlock()
	for _, f := range after {
		go (*f)()
	}
}

// credentialsError is a failure of the Credentials callback.
type credentialsError struct{ err error }

func (e *credentialsError) Error() string {
	return "stomp: the credentials callback failed: " + e.err.Error()
}

func (e *credentialsError) Unwrap() error { return e.err }

// offer keeps conn for the session; false means the attempt was abandoned
// and conn is closed.
func (a *dialAttempt) offer(conn net.Conn) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.abandoned {
		_ = conn.Close()
		return false
	}
	a.conn = conn
	return true
}

// take gives the session the connection (nil if there is none).
func (a *dialAttempt) take() net.Conn {
	a.mu.Lock()
	defer a.mu.Unlock()
	c := a.conn
	a.conn = nil
	return c
}

// abandon stops the dial, closes a connection not yet taken and refuses
// later offers.
func (a *dialAttempt) abandon() {
	a.end(context.Canceled)
	a.mu.Lock()
	defer a.mu.Unlock()
	a.abandoned = true
	if a.conn != nil {
		_ = a.conn.Close()
		a.conn = nil
	}
}

type timeoutError struct{ what string }

func (e *timeoutError) Error() string   { return "stomp: timed out " + e.what }
func (e *timeoutError) Unwrap() error   { return ErrTimeout }
func (e *timeoutError) Timeout() bool   { return true }
func (e *timeoutError) Temporary() bool { return true }

type heartbeatError struct{ silence time.Duration }

func (e *heartbeatError) Error() string {
	return "stomp: no data from the server for " + e.silence.Round(time.Millisecond).String()
}
func (e *heartbeatError) Unwrap() error { return ErrHeartbeatMissed }
