package api

import (
	"cmp"
	"context"
	"crypto/tls"
	"crypto/x509"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/stompactor/stompactor/actors"
)

// STOMP is a STOMP 1.0/1.1/1.2 client. It is safe for concurrent use by
// many goroutines. Create it with NewSTOMP and end it with Close.
type STOMP struct {
	opts   []Option
	logger *slog.Logger // the user's logger behind a redacting handler

	mu  sync.Mutex // guards cfg, eng, final, closed, eventsEnded and the making of the queues
	cfg config
	eng *actors.Conn
	// final is the counters as Close left them (Stats); nil before.
	final *Stats

	secrets atomic.Pointer[[]string] // values scrubbed from logs and errors
	issued  *[]string                // passcodes the Credentials callback gave, newest last (under mu); nil before the first

	hmu      sync.RWMutex
	handlers *handlers // nil until one is registered; replaced, never changed, by on

	tlsState   atomic.Pointer[tls.ConnectionState] // the last TLS handshake's outcome
	serverCert atomic.Pointer[x509.Certificate]    // the last TLS server's certificate

	parsed    *parsedHeaders           // those of the last message handed to a handler (under mu)
	errHeader atomic.Pointer[[]Header] // headers of the last ERROR frame
	subSeq    atomic.Uint64

	tracer atomic.Pointer[tracer]                       // WithTracing's; nil: off
	dialed atomic.Pointer[actors.ConnectionStatusEvent] // the last "dialing": the broker, for spans
	broker atomic.Pointer[brokerAttrs]                  // its attributes (tracing.go)

	// events runs the events for their handlers, in order, and calls
	// the calls that do not wait (Timeout 0); a client without event
	// handlers or such calls needs neither, so each is made on first use
	// (eventQueue, callQueue).
	events  atomic.Pointer[runQueue[queuedEvent]]
	calls   atomic.Pointer[runQueue[asyncOp]]
	dropped atomic.Int64 // events dropped by a full queue
	// inHandler counts event handlers and queued calls running now, so
	// that Close called from one does not wait for itself.
	inHandler atomic.Int32
	closed    bool // Close began (under mu)
	// connecting: a Connect passed its checks, and the engine's session
	// has not taken its request yet, nor has its engine call returned
	// without it (under mu; see connectingLocked). A bool, in the padding
	// after the flags: a wider field costs the client a size class
	// (footprint_test.go).
	connecting bool
	// eventsEnded: Close has closed the event queue, after the engine's
	// last events (under mu).
	eventsEnded bool

	bg       context.Context // its Done is closed when Close begins
	bgCancel context.CancelFunc
}

// discardLogger is every client's logger when the user gave none.
var discardLogger = slog.New(slog.DiscardHandler)

// NewSTOMP returns a client configured by opts. Its actors start at the
// first Connect. An invalid option is reported by Connect.
func NewSTOMP(opts ...Option) *STOMP {
	s := &STOMP{
		opts: append([]Option(nil), opts...),
	}
	s.bg, s.bgCancel = context.WithCancel(context.Background())
	s.cfg.init(s.opts)
	s.tracer.Store(s.cfg.tracer)
	s.logger = discardLogger
	if s.cfg.logger != nil {
		s.logger = slog.New(&redactHandler{inner: s.cfg.logger.Handler(), scrub: s.scrub, level: new(atomic.Int32)})
	}
	s.pushLogLevelLocked()
	s.updateSecrets()
	return s
}

// Close ends any connection at once (without DISCONNECT: call Disconnect
// first for a graceful end) and stops the client's actors and goroutines,
// waiting for running handlers to return (a MessageIn handler, a
// DeadLetter hook, an event handler, a call that Timeout 0 queued).
// Called from inside one of them, it does not wait for the handlers: it
// returns once the connection is closed and lets them finish on their
// own. It tells so from the caller's stack, which shows that the caller
// runs a handler but not whose: called from a handler of another client
// while one of this client's runs, it does not wait either. It does not
// wait for a Credentials callback or a dialer that ignores the end of its
// context: that goroutine ends when it returns. Every later call fails
// with ErrClosed.
// Close is idempotent: a later Close, one made while another is under way
// included, waits as the first does. CloseContext bounds the wait for the
// handlers.
func (s *STOMP) Close() { _ = s.close(context.Background()) }

// close is Close, and CloseContext: each wait for a handler is bounded by
// ctx (context.Background(): Close's, without end), and once ctx ended
// the steps after go on without waiting. It returns the error of the
// first wait that ctx cut short.
func (s *STOMP) close(ctx context.Context) error {
	s.mu.Lock()
	// A later Close goes through the same steps, each of which waits
	// for the first's (or, from a handler, does not wait), and so
	// returns once the client is closed, as the first does.
	s.closed = true
	eng, calls := s.eng, s.calls.Load() // no queue of calls is made from now on
	if eng == nil {
		s.keepFinalStatsLocked() // nothing will move them but a panic
	}
	s.mu.Unlock()
	s.bgCancel() // closes s.bg.Done(): the client is closing
	// Called from a handler or a queued call of this client (found on
	// the caller's stack, looked at only while one runs), Close must not
	// wait for the queue it runs on, nor for the handlers that may wait
	// for it; the queue ends by itself once the handler returns. Called
	// from anywhere else it waits.
	wait := !s.handlerOfRunning(eng)
	var err error
	if calls != nil {
		err = calls.close(ctx, wait)
	}
	if eng != nil {
		// Its last events are queued before it returns, even when ctx
		// cut its wait short. The decision not to wait is passed down:
		// the connection's own stack check knows only its message
		// handlers and dones, not this client's event handlers and
		// queued calls (nor another client's), and waiting for the
		// subscriptions' actors from one of those would wait for a
		// MessageIn handler that may be waiting for the caller.
		if wait {
			err = cmp.Or(err, eng.CloseContext(ctx))
		} else {
			eng.CloseFromHandler()
		}
	}
	if t := s.tracer.Load(); t != nil {
		// The spans whose senders stopped waiting end with the
		// outcomes the engine gave as it closed.
		err = cmp.Or(err, t.late.wait(ctx))
	}
	s.mu.Lock()
	s.eventsEnded = true
	events := s.events.Load() // no queue of events is made from now on
	s.mu.Unlock()
	if events != nil {
		err = cmp.Or(err, events.close(ctx, wait))
	}
	s.keepFinalStats()
	return err
}

// eventQueue returns the queue of events, making it on first use (in the
// manual mode the configuration says); nil once Close has closed it.
func (s *STOMP) eventQueue() *runQueue[queuedEvent] {
	if q := s.events.Load(); q != nil {
		return q
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.eventsEnded {
		return nil
	}
	q := s.events.Load()
	if q == nil {
		q = new(runQueue[queuedEvent])
		q.init(eventQueueSize, s.runQueued)
		q.bound(eventQueueBytes, eventWeight)
		q.setManual(s.cfg.manualEvents)
		s.events.Store(q)
	}
	return q
}

// setManualEventsLocked switches the event queue, if made, to manual mode
// or back; a queue made later takes the mode from the configuration.
// s.mu is held, by the same critical section that wrote the
// configuration: else two changes at once could leave the queue in the
// mode the configuration no longer says, and DoEvents and the queue's own
// goroutine would disagree about who runs the handlers.
func (s *STOMP) setManualEventsLocked(on bool) {
	if q := s.events.Load(); q != nil {
		q.setManual(on)
	}
}

// String describes the client for logs; it never includes a password.
func (s *STOMP) String() string {
	s.mu.Lock()
	host, port, user := s.cfg.remoteHost, s.cfg.remotePort, s.cfg.user
	eng, closed := s.eng, s.closed
	s.mu.Unlock()
	var b strings.Builder
	b.WriteString("STOMP{remote:")
	b.WriteString(host + ":" + strconv.Itoa(port))
	if user != "" {
		b.WriteString(" user:" + user)
	}
	state := "disconnected"
	switch {
	case closed:
		state = "closed"
	case eng != nil:
		state = eng.State().String()
		if info, ok := eng.Info(); ok {
			state += " version:" + info.Version.String() + " server:" + peerText(info.Server)
		}
	}
	b.WriteString(" state:" + state + "}")
	return s.scrub(b.String())
}

// engineLocked returns the client's connection in the engine, making it
// on first use. s.mu is held.
func (s *STOMP) engineLocked() (*actors.Conn, error) {
	if s.eng == nil {
		eng, err := actors.NewConn(s.cfg.engine, actors.ConnOptions{
			Logger:    s.logger,
			Sink:      s.onEngineEvent,
			Wants:     s.engineWants,
			LogFrames: s.cfg.logLevel >= 3,
		})
		if err != nil {
			return nil, err
		}
		s.eng = eng
		eng.SetLogLevel(s.engineLogLevelLocked())
		eng.SetAbsoluteWrites(s.cfg.absoluteTimeout)
		s.eng.SetMessageOutEvents(s.handlersNow().messageOut != nil)
	}
	return s.eng, nil
}

// engine returns the client's connection, or nil before the first Connect,
// or an error once closed.
func (s *STOMP) engine() (*actors.Conn, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, ErrClosed
	}
	return s.eng, nil
}

// connected returns the client's connection when connected, else
// ErrNotConnected (or ErrClosed).
func (s *STOMP) connected() (*actors.Conn, error) {
	eng, err := s.engine()
	if err != nil {
		return nil, err
	}
	if eng == nil || eng.State() != actors.Connected {
		return nil, ErrNotConnected
	}
	return eng, nil
}

// snapshot returns a copy of the configuration.
func (s *STOMP) snapshot() config {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cfg
}

// err maps an error of a call to an *Error (nil stays nil).
func (s *STOMP) err(err error, def int) error {
	if e := toError(err, def, s.scrub); e != nil {
		s.noteError(e)
		return e
	}
	return nil
}

// noteError remembers the headers of a server ERROR for ErrorHeaders.
func (s *STOMP) noteError(e *Error) {
	if e.Code == CodeServerError {
		hs := append([]Header(nil), e.Headers...)
		s.errHeader.Store(&hs)
	}
}

// asyncOp is a call that does not wait: it runs on the client's async
// goroutine, in order with the others, and reports failure with OnError.
type asyncOp struct {
	name string
	ctx  context.Context
	fn   func(ctx context.Context) error
	def  int
}

// call runs fn bounded by wait when ctx has no earlier deadline. When wait
// is 0 and ctx has no deadline, the call does not wait: fn is queued to
// run in order after the calls queued before it, and its failure is
// reported by OnError.
func (s *STOMP) call(ctx context.Context, name string, wait time.Duration, def int, fn func(context.Context) error) error {
	return s.callWriting(ctx, name, wait, nil, def, fn)
}

// callWriting is call for a call that writes a frame on idle (nil: an
// absolute wait, as call): wait is then an inactivity bound (AbsoluteTimeout
// false), which the bytes its frame waits behind, and its own, push back
// as they leave, and which runs from the end of its write once written
// (actors.Conn.InactivityContext). A deadline of ctx's that comes first
// bounds the call as it is, absolute; a later one bounds it as well.
func (s *STOMP) callWriting(ctx context.Context, name string, wait time.Duration, idle *actors.Conn, def int, fn func(context.Context) error) error {
	return s.callCausing(ctx, name, wait, idle, def, 0, fn)
}

// callCausing is callWriting for a call that causes events of kinds: when
// it waits for its outcome, it then waits for their handlers too, within
// its own bound (awaitHandlers), and returns its outcome whether or not
// they ran by then.
func (s *STOMP) callCausing(ctx context.Context, name string, wait time.Duration, idle *actors.Conn, def int, kinds eventKinds, fn func(context.Context) error) error {
	if ctx == nil {
		ctx = context.Background()
	}
	if wait > 0 {
		// A deadline of the caller's that comes first bounds the call
		// already: a context of its own would only cost a timer and a
		// registration with ctx.
		if d, ok := ctx.Deadline(); !ok || time.Until(d) > wait {
			var c context.Context
			var cancel context.CancelFunc
			if idle != nil {
				c, cancel = idle.InactivityContext(ctx, wait)
			} else {
				c, cancel = context.WithTimeout(ctx, wait)
			}
			defer cancel()
			ctx = c
		}
		err := fn(ctx)
		if kinds != 0 {
			s.awaitHandlers(ctx, kinds)
		}
		return s.err(err, def)
	}
	if _, ok := ctx.Deadline(); ok {
		err := fn(ctx)
		if kinds != 0 {
			s.awaitHandlers(ctx, kinds)
		}
		return s.err(err, def)
	}
	return s.callLater(name, ctx, def, fn)
}

// callLater queues fn to run in order after the calls queued before it;
// its failure is reported by OnError.
func (s *STOMP) callLater(name string, ctx context.Context, def int, fn func(context.Context) error) error {
	select {
	case <-s.bg.Done():
		return ErrClosed
	default:
	}
	q := s.callQueue()
	if q == nil {
		return ErrClosed
	}
	return s.postCall(q, asyncOp{name: name, ctx: ctx, fn: fn, def: def})
}

// callPumping is call for a client whose events wait for DoEvents: while
// fn runs (on a goroutine of its own), the caller's goroutine runs the
// events queued meanwhile, so that a call waiting for a MessageIn handler
// (Disconnect waits for the running ones) is not waiting for itself.
func (s *STOMP) callPumping(ctx context.Context, name string, wait time.Duration, def int, fn func(context.Context) error) error {
	q := s.eventQueue()
	if q == nil {
		return ErrClosed
	}
	done := make(chan struct{})
	var err error
	go func() {
		defer close(done)
		err = s.call(ctx, name, wait, def, fn)
	}()
	for {
		select {
		case <-done:
			return err
		default:
		}
		q.drain(time.Minute, done)
	}
}

// postCall queues op on q, the queue of calls that do not wait. A queue
// refuses a call when it is full, or when Close closed it after the
// caller took it: Close ends s.bg before it closes the queue, so a
// refusal after that is ErrClosed.
func (s *STOMP) postCall(q *runQueue[asyncOp], op asyncOp) error {
	if q.post(op, 4) {
		return nil
	}
	select {
	case <-s.bg.Done():
		return ErrClosed
	default:
	}
	return newError(CodeWouldBlock, op.name+": too many calls waiting to run (Timeout is 0)")
}

// callQueue returns the queue of the calls that do not wait, making it
// on first use; nil once Close began.
func (s *STOMP) callQueue() *runQueue[asyncOp] {
	if q := s.calls.Load(); q != nil {
		return q
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	q := s.calls.Load()
	if q == nil {
		q = new(runQueue[asyncOp])
		q.init(eventQueueSize, s.runCall)
		s.calls.Store(q)
	}
	return q
}

// runCall runs a call that did not wait, reporting its failure with
// OnError. Its frame tells handlerFrames that a caller runs in a queued
// call.
//
//go:noinline
func (s *STOMP) runCall(op asyncOp) {
	s.inHandler.Add(1)
	defer s.inHandler.Add(-1)
	ctx, cancel := context.WithCancel(op.ctx)
	stop := context.AfterFunc(s.bg, cancel)
	err := s.err(op.fn(ctx), op.def)
	stop()
	cancel()
	if err != nil {
		s.logf(actors.LogError, op.name+" failed: "+err.Error())
		s.post(&actors.ErrorEvent{Err: err})
	}
}

// warnf logs a warning of the facade: at slog's Warn level to the logger
// (LogLevel 1 and up take it), and to OnLog at level 1.
func (s *STOMP) warnf(msg string) {
	msg = s.scrub(msg)
	s.logger.Warn(msg, "type", "info")
	s.post(&actors.LogEvent{Level: actors.LogInfo, Type: "info", Message: msg})
}

// logf logs a line of the facade to the logger and, when the engine runs,
// to OnLog.
func (s *STOMP) logf(level int, msg string) {
	msg = s.scrub(msg)
	switch level {
	case actors.LogError:
		s.logger.Error(msg, "type", "info")
	case actors.LogInfo:
		s.logger.Info(msg, "type", "info")
	default:
		s.logger.Debug(msg, "type", "info")
	}
	s.post(&actors.LogEvent{Level: level, Type: "info", Message: msg})
}
