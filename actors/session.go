package actors

import (
	"context"
	"errors"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/stompactor/stompactor/frames"
)

// sessionState survives restarts of the session actor.
type sessionState struct {
	c     *Client
	state State
	gen   uint64
	cfg   ConnectConfig
	conn  net.Conn
	link  *link
	info  ConnectInfo

	writer, reader, heartbeat, tx *actor.PID
	subs                          map[string]*subEntry

	connectWaiter     chan connectResult
	disconnectWaiter  chan error
	disconnectID      string
	disconnectReceipt bool
	disconnectTimeout time.Duration
	quiescing         map[string]bool // subscriptions still finishing before DISCONNECT
	dialCancel        context.CancelFunc
	dialing           *dialAttempt
	connectTimer      *time.Timer
	disconnectTimer   *time.Timer
	receipts          *receiptBook
	lastServerErr     error
	stopping          bool // Close began: start nothing new

	// Reconnecting (see reconnect.go).
	reconnecting   bool        // the connection was lost and is being restored
	attempt        int         // failed reconnect attempts in a row
	curAddr        string      // the broker of the current attempt
	reconnectTimer *time.Timer // the wait before the next attempt
}

// dialAttempt hands a dialed connection to the session, or closes it when
// the session gave up on the attempt first (Close, Interrupt, a timeout):
// the dialed message may reach a session that has already stopped, and
// then nobody else would close the socket.
type dialAttempt struct {
	mu        sync.Mutex
	conn      net.Conn
	abandoned bool
}

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

// abandon closes a connection not yet taken and refuses later offers.
func (a *dialAttempt) abandon() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.abandoned = true
	if a.conn != nil {
		_ = a.conn.Close()
		a.conn = nil
	}
}

type subEntry struct {
	spec  SubscribeSpec
	pid   *actor.PID
	route *route
}

type session struct{ *sessionState }

func (s *session) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *actor.Started:
		if s.tx == nil {
			s.tx = ctx.Spawn(s.c.props(func() actor.Actor { return &transactions{st: &txState{c: s.c, open: map[string]bool{}}} }))
		}
	case *actor.Restarting:
		// Children are stopped by the restart; the connection goes with them.
		s.tx = nil
		s.lose(ctx, errors.New("stomp: internal error in the session; connection closed"))
	case *actor.Stopping:
		// An actor still runs user messages while its children stop; a
		// connect among them would dial after Close and leak the socket.
		s.stopping = true
		s.lose(ctx, ErrClosed)
	case *connectRequest:
		s.connect(ctx, m)
	case *dialed:
		s.dialed(ctx, m)
	case *connectWithdrawn:
		// The caller gave up waiting and now waits for the answer to its
		// request, which came before this: end the attempt if it still
		// runs; fill the reply if the request was lost (a restart).
		if s.connectWaiter == m.reply {
			s.lose(ctx, m.err)
		}
		select {
		case m.reply <- connectResult{err: m.err}:
		default: // answered already
		}
	case *reconnectTick:
		s.reconnect(ctx, m)
	case *connectTimedOut:
		if m.gen == s.gen && s.state == Connecting {
			s.lose(ctx, &timeoutError{what: "connecting"})
		}
	case *frameReceived:
		if m.gen == s.gen {
			s.frame(ctx, m.frame)
		}
	case *readFailed:
		if m.gen != s.gen {
			return
		}
		if s.state == Disconnecting && errors.Is(m.err, io.EOF) {
			// We said DISCONNECT and the server hung up between frames:
			// that is how many brokers answer it, and a clean end.
			s.lose(ctx, nil)
			return
		}
		s.lose(ctx, s.cause(m.err))
	case *writeFailed:
		if m.gen == s.gen {
			s.lose(ctx, m.err)
		}
	case *heartbeatMissed:
		if m.gen == s.gen {
			s.c.stats.HeartbeatsMissed.Add(1)
			s.lose(ctx, &heartbeatError{silence: m.silence})
		}
	case *receiptAwaited:
		if m.gen != s.gen || s.link == nil {
			if m.reply != nil {
				m.reply <- ErrConnectionLost
			}
			return
		}
		if !s.receipts.add(m, ctx.Self(), ctx.ActorSystem()) {
			if m.token {
				<-s.link.receiptSlots
			}
			if m.reply != nil {
				m.reply <- protocolErr("receipt id %q is already awaited", m.id)
			}
		}
	case *receiptTick:
		s.receipts.expire(time.Now(), ctx.Self(), ctx.ActorSystem())
	case *disconnectRequest:
		s.disconnect(ctx, m)
	case *disconnectWritten:
		if m.gen == s.gen && s.state == Disconnecting {
			s.lose(ctx, nil)
		}
	case *subscriptionQuiesced:
		s.quiet(ctx, m.id)
	case *disconnectTimedOut:
		if m.gen == s.gen && s.state == Disconnecting {
			s.lose(ctx, nil)
		}
	case *interruptRequest:
		s.lose(ctx, ErrInterrupted)
		m.reply <- struct{}{}
	case *subscribeRequest:
		s.subscribe(ctx, m)
	case *unsubscribeRequest:
		s.unsubscribe(ctx, m)
	case *subscriptionsRequest:
		out := make([]SubscriptionInfo, 0, len(s.subs))
		for id, e := range s.subs {
			out = append(out, SubscriptionInfo{ID: id, Destination: e.spec.Destination, Mode: e.spec.Mode, Delivered: e.route.delivered.Load()})
		}
		m.reply <- out
	case *txRequest, *openTransactionsRequest:
		ctx.Send(s.tx, m)
	case *actorPanicked:
		s.c.stats.Panics.Add(1)
		s.c.log(LogError, "info", "actor "+m.who+" panicked: "+m.err.Error()+"\n"+m.stack)
		s.c.disp.post(&ErrorEvent{Err: m.err})
	}
}

// cause turns a read error into the reason the connection ended: an ERROR
// frame the server sent just before closing explains the close better.
func (s *session) cause(err error) error {
	if s.lastServerErr != nil && (errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed)) {
		return s.lastServerErr
	}
	return err
}

func (s *session) connect(ctx actor.Context, m *connectRequest) {
	if s.stopping {
		m.reply <- connectResult{err: ErrClosed}
		return
	}
	if s.state != Disconnected {
		m.reply <- connectResult{err: ErrAlreadyConnected}
		return
	}
	s.cfg = m.cfg
	s.cfg.withDefaults()
	s.gen++
	s.state = Connecting
	s.c.state.Store(int32(Connecting))
	s.connectWaiter = m.reply
	s.reconnecting, s.attempt, s.curAddr = false, 0, s.cfg.Addr
	s.startAttempt(ctx)
}

// startAttempt dials s.curAddr and arms the connect timeout; the rest of
// the handshake follows from the dialed message.
func (s *session) startAttempt(ctx actor.Context) {
	gen := s.gen
	s.lastServerErr = nil
	s.receipts = newReceiptBook(s.c.stats)
	s.status("dialing", s.curAddr)

	dctx, cancel := context.WithTimeout(context.Background(), s.cfg.ConnectTimeout)
	s.dialCancel = cancel
	self, sys := ctx.Self(), ctx.ActorSystem()
	dial, addr := s.cfg.Dial, s.curAddr
	att := &dialAttempt{}
	s.dialing = att
	s.c.wg.Add(1)
	go func() {
		defer s.c.wg.Done()
		conn, err := dial(dctx, "tcp", addr)
		if err == nil && !att.offer(conn) {
			return // abandoned, and conn closed
		}
		sys.Root.Send(self, &dialed{gen: gen, att: att, err: err})
	}()
	s.connectTimer = time.AfterFunc(s.cfg.ConnectTimeout, func() { sys.Root.Send(self, &connectTimedOut{gen: gen}) })
}

func (s *session) dialed(ctx actor.Context, m *dialed) {
	conn := m.att.take()
	if m.gen != s.gen || s.state != Connecting {
		if conn != nil {
			_ = conn.Close()
		}
		return
	}
	s.dialing = nil
	if m.err != nil {
		s.lose(ctx, m.err)
		return
	}
	s.status("connected-tcp", conn.RemoteAddr().String())
	st := &connStats{}
	now := time.Now().UnixNano()
	st.lastRead.Store(now)
	st.lastWrite.Store(now)
	s.conn = &countingConn{Conn: conn, st: st, total: s.c.stats}
	// The link gets its own copy of the settings: its writer may still be
	// flushing when the next Connect replaces s.cfg.
	cfg := s.cfg
	l := &link{gen: s.gen, version: frames.V10, credits: make(chan struct{}, cfg.MaxPendingWrites), receiptSlots: make(chan struct{}, cfg.MaxPendingReceipts), lost: make(chan struct{}), writerDone: make(chan struct{}), stats: st, cfg: &cfg}
	s.link = l
	s.receipts.slots = l.receiptSlots
	s.writer = ctx.Spawn(s.c.props(newWriterProducer(s.c, l, s.conn, ctx.Self())))
	l.writer = s.writer
	s.reader = ctx.Spawn(s.c.props(newReaderProducer(s.c, l, s.conn, ctx.Self(), s.cfg.Limits, s.cfg.Versions)))

	f := frames.New(frames.CmdConnect)
	if s.cfg.UseStompCommand {
		f.Command = frames.CmdStomp
	}
	vs := make([]string, len(s.cfg.Versions))
	for i, v := range s.cfg.Versions {
		vs[i] = v.String()
	}
	host := s.cfg.Host
	if host == "" {
		host, _, _ = net.SplitHostPort(s.curAddr)
	}
	f.Headers.Add(frames.HdrAcceptVersion, strings.Join(vs, ","))
	f.Headers.Add(frames.HdrHost, host)
	if s.cfg.Login != "" {
		f.Headers.Add(frames.HdrLogin, s.cfg.Login)
	}
	if s.cfg.Passcode != "" {
		f.Headers.Add(frames.HdrPasscode, s.cfg.Passcode)
	}
	f.Headers.Add(frames.HdrHeartBeat, strconv.FormatInt(s.cfg.HeartbeatOut.Milliseconds(), 10)+","+strconv.FormatInt(s.cfg.HeartbeatIn.Milliseconds(), 10))
	for _, h := range s.cfg.ConnectHeaders {
		switch h.Key {
		case frames.HdrAcceptVersion, frames.HdrHost, frames.HdrLogin, frames.HdrPasscode, frames.HdrHeartBeat:
			f.Headers.Set(h.Key, h.Value)
		default:
			f.Headers.Add(h.Key, h.Value)
		}
	}
	s.status("connecting", "")
	ctx.Send(s.writer, &writeFrame{frame: f})
}

func (s *session) frame(ctx actor.Context, f *frames.Frame) {
	if s.state == Connecting {
		switch f.Command {
		case frames.CmdConnected:
			s.connected(ctx, f)
		case frames.CmdError:
			s.lose(ctx, serverError(f))
		default:
			s.lose(ctx, protocolErr("expected CONNECTED or ERROR, got %s", f.Command))
		}
		return
	}
	switch f.Command {
	case frames.CmdReceipt:
		id := f.Header(frames.HdrReceiptID)
		s.c.disp.post(&ReceiptInEvent{ReceiptID: id})
		if s.state == Disconnecting && id == s.disconnectID {
			s.receipts.confirm(id)
			s.lose(ctx, nil)
			return
		}
		if !s.receipts.confirm(id) {
			s.c.log(LogInfo, "info", "RECEIPT for an unknown receipt id "+strconv.Quote(id)+" ignored")
			s.c.disp.post(&ErrorEvent{Err: protocolErr("RECEIPT for unknown receipt-id %q", id)})
		}
	case frames.CmdError:
		se := serverError(f)
		s.lastServerErr = se
		if id, ok := f.Headers.Get(frames.HdrReceiptID); ok && s.receipts.fail(id, se) {
			if s.state == Disconnecting && id == s.disconnectID {
				s.lose(ctx, se)
				return
			}
		}
		s.c.log(LogError, "info", se.Error())
		s.c.disp.post(&ErrorEvent{Err: se})
	case frames.CmdMessage:
		sub := f.Header(frames.HdrSubscription)
		s.c.log(LogInfo, "info", "MESSAGE for unknown subscription "+strconv.Quote(sub)+" dropped")
		s.c.disp.post(&ErrorEvent{Err: protocolErr("MESSAGE for unknown subscription %q", sub)})
	default:
		s.c.disp.post(&ErrorEvent{Err: protocolErr("unexpected %s frame", f.Command)})
	}
}

func (s *session) connected(ctx actor.Context, f *frames.Frame) {
	v := frames.V10
	if vs, ok := f.Headers.Get(frames.HdrVersion); ok {
		var err error
		if v, err = frames.ParseVersion(vs); err != nil {
			s.lose(ctx, protocolErr("CONNECTED names unknown version %q", vs))
			return
		}
	}
	offered := false
	for _, o := range s.cfg.Versions {
		offered = offered || o == v
	}
	if !offered {
		s.lose(ctx, protocolErr("server chose version %s, which was not offered", v))
		return
	}
	sx, sy, err := parseHeartBeat(f.Header(frames.HdrHeartBeat))
	if err != nil {
		s.lose(ctx, err)
		return
	}
	if v == frames.V10 {
		sx, sy = 0, 0 // heart-beats start with 1.1
	}
	out := negotiate(s.cfg.HeartbeatOut, sy)
	in := negotiate(s.cfg.HeartbeatIn, sx)
	s.info = ConnectInfo{
		Version: v, Server: f.Header(frames.HdrServer), Session: f.Header(frames.HdrSession),
		HeartbeatOut: out, HeartbeatIn: in, Headers: f.Headers.Clone(),
	}
	if s.connectTimer != nil {
		s.connectTimer.Stop()
	}
	s.link.version = v
	ctx.Send(s.writer, &versionNegotiated{v: v})
	if out > 0 || in > 0 {
		s.heartbeat = ctx.Spawn(s.c.props(newHeartbeatProducer(s.c, s.link, ctx.Self(), s.writer, out, in, s.tolerance(f))))
	}
	s.state = Connected
	s.c.state.Store(int32(Connected))
	info := s.info
	s.c.info.Store(&info)
	s.c.link.Store(s.link)
	s.c.stats.Connects.Add(1)
	ctx.Send(s.tx, &linkChanged{link: s.link})
	if s.reconnecting {
		s.resubscribe(ctx)
	}
	s.status("connected", v.String())
	s.c.log(LogInfo, "info", "connected with STOMP "+v.String()+" to "+info.Server)
	if s.connectWaiter != nil {
		s.connectWaiter <- connectResult{info: info}
		s.connectWaiter = nil
	}
	s.c.disp.post(&ConnectedEvent{Info: info})
}

func (s *session) disconnect(ctx actor.Context, m *disconnectRequest) {
	switch s.state {
	case Disconnected:
		m.reply <- nil
		return
	case Connecting:
		s.lose(ctx, ErrInterrupted)
		m.reply <- nil
		return
	case Disconnecting:
		m.reply <- errors.New("stomp: already disconnecting")
		return
	}
	s.state = Disconnecting
	s.c.state.Store(int32(Disconnecting))
	s.disconnectWaiter = m.reply
	s.disconnectReceipt = m.receipt
	s.disconnectTimeout = m.timeout
	s.status("disconnecting", "")
	gen := s.gen
	self, sys := ctx.Self(), ctx.ActorSystem()
	s.disconnectTimer = time.AfterFunc(m.timeout, func() { sys.Root.Send(self, &disconnectTimedOut{gen: gen}) })
	// Let running handlers finish and their ACKs go out first.
	s.quiescing = map[string]bool{}
	for id, e := range s.subs {
		s.quiescing[id] = true
		ctx.Send(e.pid, &quiesce{session: self})
	}
	if len(s.quiescing) == 0 {
		s.writeDisconnect(ctx, m.timeout)
	}
}

// quiet records that a subscription has nothing left to handle.
func (s *session) quiet(ctx actor.Context, id string) {
	if s.state != Disconnecting || s.quiescing == nil {
		return
	}
	delete(s.quiescing, id)
	if len(s.quiescing) == 0 {
		s.writeDisconnect(ctx, s.disconnectTimeout)
	}
}

// writeDisconnect sends DISCONNECT once every subscription is quiet.
func (s *session) writeDisconnect(ctx actor.Context, timeout time.Duration) {
	gen := s.gen
	s.quiescing = nil
	f := frames.New(frames.CmdDisconnect)
	wf := &writeFrame{frame: f}
	if s.disconnectReceipt {
		s.disconnectID = "disconnect-" + strconv.FormatUint(gen, 10)
		f.Headers.Add(frames.HdrReceipt, s.disconnectID)
		s.receipts.add(&receiptAwaited{gen: gen, id: s.disconnectID, cmd: frames.CmdDisconnect, timeout: timeout}, ctx.Self(), ctx.ActorSystem())
	} else {
		wf.then = &disconnectWritten{gen: gen}
	}
	ctx.Send(s.writer, wf)
}

// lose ends the current connection attempt or connection, with err as the
// reason (nil after a clean disconnect), and answers everyone waiting.
func (s *session) lose(ctx actor.Context, err error) {
	prev := s.state
	if prev == Disconnected && s.conn == nil && s.link == nil {
		return
	}
	s.gen++
	resilient := s.keepsTrying(prev, err)
	for _, t := range []*time.Timer{s.connectTimer, s.disconnectTimer, s.reconnectTimer} {
		if t != nil {
			t.Stop()
		}
	}
	s.connectTimer, s.disconnectTimer, s.reconnectTimer = nil, nil, nil
	s.quiescing = nil
	if s.dialCancel != nil {
		s.dialCancel()
		s.dialCancel = nil
	}
	if s.dialing != nil {
		s.dialing.abandon()
		s.dialing = nil
	}
	lostErr := err
	if lostErr == nil {
		lostErr = ErrNotConnected
	} else {
		lostErr = connectionLost(err)
	}
	// End the link before closing the socket, so that whoever sees the
	// socket fail (the writer, mid-flush) can tell the real reason.
	if s.link != nil {
		s.link.end(lostErr)
		s.c.link.CompareAndSwap(s.link, nil)
		s.link = nil
	}
	if s.conn != nil {
		_ = s.conn.Close()
		s.conn = nil
	}
	for _, pid := range []*actor.PID{s.heartbeat, s.reader, s.writer} {
		if pid != nil {
			ctx.Stop(pid)
		}
	}
	s.heartbeat, s.reader, s.writer = nil, nil, nil
	if s.receipts != nil {
		s.receipts.failAll(lostErr)
	}
	if s.tx != nil {
		ctx.Send(s.tx, &connectionEnded{err: lostErr})
	}
	if resilient {
		// Subscriptions outlive the connection: they are detached now and
		// resubscribed on the next one; their routes stay in place.
		for _, e := range s.subs {
			ctx.Send(e.pid, &linkChanged{})
		}
	} else {
		for id, e := range s.subs {
			ctx.Stop(e.pid)
			delete(s.subs, id)
		}
		s.c.setRoutes(nil)
		s.reconnecting = false
	}
	s.state = Disconnected
	s.c.state.Store(int32(Disconnected))
	s.c.info.Store(nil)
	if s.connectWaiter != nil {
		cerr := err
		if cerr == nil {
			cerr = ErrInterrupted
		}
		s.connectWaiter <- connectResult{err: cerr}
		s.connectWaiter = nil
		s.c.disp.post(&ConnectedEvent{Err: cerr})
	}
	if s.disconnectWaiter != nil {
		s.disconnectWaiter <- nil
		s.disconnectWaiter = nil
	}
	if prev == Connected || prev == Disconnecting {
		s.c.stats.Disconnects.Add(1)
		if err != nil {
			s.status("lost", err.Error())
			s.c.log(LogError, "info", "connection lost: "+err.Error())
		}
		s.c.disp.post(&DisconnectedEvent{Err: err})
	}
	if resilient {
		s.scheduleReconnect(ctx, err)
	}
}

func (s *session) status(status, detail string) {
	s.c.disp.post(&ConnectionStatusEvent{Status: status, Detail: detail})
	if detail != "" {
		s.c.log(LogVerbose, "info", status+": "+detail)
	} else {
		s.c.log(LogVerbose, "info", status)
	}
}

func serverError(f *frames.Frame) *ServerError {
	return &ServerError{Message: f.Header(frames.HdrMessage), Headers: f.Headers.Clone(), Body: append([]byte(nil), f.Body...)}
}

// activeMQTolerance is the least read tolerance used with ActiveMQ, whose
// inactivity monitor sends a heart-beat only when a whole interval passed
// without a write, so gaps of about twice the interval are normal there.
const activeMQTolerance = 2.5

// tolerance is the configured heart-beat read tolerance, raised for
// brokers known to send late.
func (s *session) tolerance(connected *frames.Frame) float64 {
	t := s.cfg.HeartbeatTolerance
	if strings.HasPrefix(connected.Header(frames.HdrServer), "ActiveMQ") && t < activeMQTolerance {
		s.c.log(LogInfo, "info", "ActiveMQ sends heart-beats up to two intervals apart: read tolerance raised to "+strconv.FormatFloat(activeMQTolerance, 'f', 1, 64))
		t = activeMQTolerance
	}
	return t
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
		return 0, 0, protocolErr("malformed heart-beat header %q", v)
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
