package actors

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/stompactor/stompactor/frames"
)

// Conn is the handle of one STOMP connection (and of the connections that
// replace it when it reconnects): a session actor and its children in an
// Engine. Calls are requests to those actors; facts come back through the
// sink given to NewConn. It is safe for concurrent use.
type Conn struct {
	eng     *Engine
	session *actor.PID
	sink    func(Event)
	wants   func(Event) bool // ConnOptions.Wants
	logger  *slog.Logger
	stats   counters

	link   atomic.Pointer[link]
	info   atomic.Pointer[ConnectInfo]
	routes atomic.Pointer[routes]
	subs   atomic.Pointer[subCalls] // made by the first Subscribe or Unsubscribe (subnotes.go)
	ob     atomic.Pointer[outbox]   // at-least-once publishing (outbox.go), made on first use

	wg     sync.WaitGroup // the reader and dial goroutines, and a reader parked in the engine's poller
	live   sync.WaitGroup // the connection's actors not yet stopped (spawn)
	closed chan struct{}  // Close began
	down   sync.WaitGroup // the session ended the connection for Close (Done once)

	// finished is made by the first Close and closed once it finished
	// (finish); later ones wait for it.
	finished atomic.Pointer[chan struct{}]
	// Fields of four bytes and less, together (an idle connection's
	// Conn fits a smaller size class that way).
	state    atomic.Int32
	logLevel atomic.Int32 // the most detailed LogEvent the sink takes
	// callbacks counts message handlers running right now: Close looks
	// for one on its caller's stack (userCodeHolds) only while one runs,
	// so that called from inside one it does not wait for itself.
	callbacks atomic.Int32
	logFrames atomic.Bool
	// quietSends stops the per-SEND MessageOutEvent when nobody listens
	// to it, so the hot path does not feed the sink for nothing.
	quietSends atomic.Bool
	// absoluteWrites: WriteTimeout bounds each write of a buffer as a
	// whole, rather than each piece of it (SetAbsoluteWrites).
	absoluteWrites atomic.Bool
}

// ConnOptions configure a Conn for its whole life.
type ConnOptions struct {
	// Logger receives the connection's log lines; nil discards them.
	Logger *slog.Logger
	// Sink receives every Event, in order, on engine goroutines; it must
	// not block, and must return (a panic or runtime.Goexit in it stops
	// the actor it ran on mid-step). Nil ignores them.
	Sink func(Event)
	// LogFrames reports every frame in and out as a LogEvent.
	LogFrames bool
	// Wants reports whether Sink takes events of e's type (e is a nil
	// pointer of that type): the engine does not make the events of the
	// few common kinds that check it (connection status, success of
	// Connect, subscribed, receipt in) for a sink that would drop them.
	// Nil: the sink takes everything.
	Wants func(e Event) bool
}

// NewConn adds a connection to e (nil: DefaultEngine). It connects at
// Connect; Close ends it.
func NewConn(e *Engine, opts ConnOptions) (*Conn, error) {
	if e == nil {
		e = DefaultEngine()
	}
	if !e.attach() {
		return nil, ErrEngineClosed
	}
	c := &Conn{eng: e, sink: opts.Sink, wants: opts.Wants, logger: opts.Logger, closed: make(chan struct{})}
	c.down.Add(1)
	if c.logger == nil {
		c.logger = discardLogger
	}
	c.logFrames.Store(opts.LogFrames)
	c.logLevel.Store(LogDebug)
	c.session = c.spawn(&session{c: c})
	return c, nil
}

// spawn starts one of the connection's actors. The session owns the
// others (it starts them, stops them, and hears of their failures), but
// they are not its children in the actor system: a parent keeps a set of
// its children, a kilobyte per idle connection. So the session stops
// every one of them when it stops, and Close waits for all of them
// (live).
func (c *Conn) spawn(a owned) *actor.PID {
	c.live.Add(1)
	return c.eng.spawn(a)
}

// Close ends any connection and stops every actor and goroutine of the
// connection, waiting for running message handlers (and DeadLetter hooks)
// to return. Called from inside one of them (or from a done of a reliable
// send), it does not wait for itself: it returns once the connection is
// closed, and the actors end by themselves as soon as the handlers
// return. The caller's stack tells it apart, which shows that the caller
// runs a handler but not whose: called from a handler of another
// connection while one of this connection's runs, it does not wait
// either. A layer above whose handlers the stack check does not know
// (the api's event handlers) calls CloseFromHandler from them instead.
// It does not wait for a dialer or a Credentials callback that
// ignores the end of its context (its goroutine ends when it returns, and
// what it brings is dropped).
func (c *Conn) Close() { _ = c.CloseContext(context.Background()) }

// CloseContext is Close with its wait for the connection's actors (and so
// for the handlers running) bounded by ctx: when ctx ends while a handler
// still runs it returns ctx.Err(), the connection closed all the same,
// and the actors end by themselves once the handlers return. A context
// that never ends (context.Background()) waits as Close does, on the
// caller's goroutine.
func (c *Conn) CloseContext(ctx context.Context) error { return c.closeContext(ctx, false) }

// CloseFromHandler is Close for a caller that knows it runs code the wait
// for the actors could include, or code that a running message handler
// may wait for: an event handler of a layer above, say, whose frames the
// stack check (userCodeHolds) does not know. It closes the connection as
// Close does, and returns without waiting for the actors, which end by
// themselves once the handlers return.
func (c *Conn) CloseFromHandler() { _ = c.closeContext(context.Background(), true) }

// closeContext is CloseContext; held says the caller told it runs user
// code, so that it must not wait, whatever userCodeHolds finds.
func (c *Conn) closeContext(ctx context.Context, held bool) error {
	finished := make(chan struct{})
	if !c.finished.CompareAndSwap(nil, &finished) {
		// Another Close ends it: wait until the connection is closed
		// (the session never waits for a handler), then for that Close
		// to finish, as it does, unless the caller runs user code the
		// first waits for (a handler, whose actor it waits for, or a
		// done, whose runner's goroutine it waits for), found on its
		// stack or told by held. A done that runs elsewhere does not
		// keep this one from waiting: a first Close made by a done
		// does not wait for the connection's actors, and the api's, which
		// waits for its event handlers, has them call CloseFromHandler.
		c.down.Wait()
		if !held && !c.userCodeHolds() {
			return c.waitClosed(ctx, *c.finished.Load())
		}
		return nil
	}
	// closed closes under the outbox's lock (the outbox made now if
	// there is none), which SendReliable holds as it looks at closed and
	// posts: a send it accepted is posted before the poison pill below.
	ob := c.outbox(OutboxConfig{})
	ob.post.Lock()
	close(c.closed)
	ob.post.Unlock()
	// A poison pill, not a stop (which would overtake them): the requests
	// posted before it are handled first, the at-least-once sends no
	// caller waits for among them, which are then settled.
	c.eng.sys.Root.Poison(c.session)
	c.down.Wait() // the session never waits for a handler
	if held || c.userCodeHolds() {
		go c.finish()
		return nil
	}
	if ctx.Done() == nil { // never ends: no goroutine to wait on
		c.finish()
		return nil
	}
	go c.finish()
	return c.waitClosed(ctx, finished)
}

// waitClosed waits until finished is closed, or ctx ends while a handler
// runs: only user code may hold the actors for long, so once ctx ended it
// goes on waiting while none runs (looking again every millisecond, as a
// handler may start meanwhile), and returns ctx.Err() when one does.
func (c *Conn) waitClosed(ctx context.Context, finished <-chan struct{}) error {
	select {
	case <-finished:
		return nil
	case <-ctx.Done():
	}
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-finished:
			return nil
		default:
		}
		if c.callbacks.Load() > 0 || c.donesRunning() {
			return ctx.Err()
		}
		select {
		case <-finished:
			return nil
		case <-tick.C:
		}
	}
}

// HandlersRunning counts the subscriptions' handlers (and DeadLetter
// hooks) running now.
func (c *Conn) HandlersRunning() int { return int(c.callbacks.Load()) }

func (c *Conn) finish() {
	c.live.Wait()
	c.wg.Wait()
	c.eng.detach()
	close(*c.finished.Load())
}

// emitting reports whether the sink takes events of kind's type (kind is
// a nil pointer of it), so that an event nobody takes is not even made.
func (c *Conn) emitting(kind Event) bool {
	return c.sink != nil && (c.wants == nil || c.wants(kind))
}

// emit hands a fact to the sink.
func (c *Conn) emit(e Event) {
	if c.sink != nil {
		c.sink(e)
	}
}

// SetMessageOutEvents turns the MessageOutEvent that follows every SEND
// on (the default) or off, at any time.
func (c *Conn) SetMessageOutEvents(on bool) { c.quietSends.Store(!on) }

// SetLogFrames turns the per-frame LogEvents on or off at any time.
func (c *Conn) SetLogFrames(on bool) { c.logFrames.Store(on) }

// SetAbsoluteWrites says whether ConnectConfig.WriteTimeout bounds each
// write of the writer's buffer as a whole (on), or is an inactivity
// bound (off, the default): a large buffer, written in pieces either way,
// then has the deadline moved before each piece, so that a write fails
// only once the socket took nothing for WriteTimeout. It applies from the
// next write.
func (c *Conn) SetAbsoluteWrites(on bool) { c.absoluteWrites.Store(on) }

// Engine returns the engine the connection runs in.
func (c *Conn) Engine() *Engine { return c.eng }

// State returns the connection state.
func (c *Conn) State() State { return State(c.state.Load()) }

// Info returns what was negotiated, or false when not connected.
func (c *Conn) Info() (ConnectInfo, bool) {
	if p := c.info.Load(); p != nil {
		return *p, true
	}
	return ConnectInfo{}, false
}

// ReadyToSend reports whether a send would be queued without waiting.
func (c *Conn) ReadyToSend() bool {
	l := c.link.Load()
	return l != nil && !l.credits.full() && l.out.hasRoom()
}

// logs reports whether a line of level is wanted: by the sink (up to the
// level SetLogLevel set) or by the logger. A line nobody wants is not
// even made on the hot paths.
func (c *Conn) logs(level int) bool {
	return level <= int(c.logLevel.Load()) || c.logger.Enabled(context.Background(), slogLevel(level))
}

func slogLevel(level int) slog.Level {
	switch level {
	case LogError:
		return slog.LevelError
	case LogInfo:
		return slog.LevelInfo
	}
	return slog.LevelDebug
}

// SetLogLevel sets the most detailed LogEvent the sink takes (LogError
// to LogDebug, the default); a line past it reaches only the logger,
// when the logger wants it.
func (c *Conn) SetLogLevel(level int) { c.logLevel.Store(int32(level)) }

func (c *Conn) log(level int, typ, msg string) {
	// Asked first: the call's arguments would be allocated for nothing.
	if c.logger.Enabled(context.Background(), slogLevel(level)) {
		switch level {
		case LogError:
			c.logger.Error(msg, "type", typ)
		case LogInfo:
			c.logger.Info(msg, "type", typ)
		default:
			c.logger.Debug(msg, "type", typ)
		}
	}
	if level <= int(c.logLevel.Load()) {
		c.emit(&LogEvent{Level: level, Type: typ, Message: msg})
	}
}

func (c *Conn) lookupRoute(f *frames.Frame) *route {
	r := c.routes.Load()
	if r == nil {
		return nil
	}
	if id, ok := f.Headers.Get(frames.HdrSubscription); ok {
		return r.find(id)
	}
	return r.findDest(f.Header(frames.HdrDestination))
}

// ask sends a request to the session and waits for its reply, the
// caller's context, or the connection's end. A reply the session gave
// before Close stopped it is the answer, even when the caller sees Close
// first: the session may answer after it queued the request's events,
// whose handler can call Close before the reply is sent (a Connect whose
// OnConnected closes the client returned ErrClosed or nil by chance).
func ask[T any](ctx context.Context, c *Conn, msg any, reply chan T) (T, error) {
	var zero T
	select {
	case <-c.closed:
		return zero, ErrClosed
	default:
	}
	c.eng.sys.Root.Send(c.session, msg)
	select {
	case r := <-reply:
		return r, nil
	case <-ctx.Done():
		return zero, ctxErr(ctx)
	case <-c.closed:
		// The session handles what was posted before Close's poison
		// pill, this request among them, and never waits for a handler.
		c.down.Wait()
		select {
		case r := <-reply:
			return r, nil
		default:
			return zero, ErrClosed
		}
	}
}

// askLinked is ask for a request the session may pass on to the writer
// as wf (SUBSCRIBE, UNSUBSCRIBE, BEGIN/COMMIT/ABORT), whose reply is the
// request's. When the connection ends the writer stops and drops what its
// mailbox still holds, so the end of the connection answers for it. A
// caller whose context ends is answered as a sender is (receiptOrCtxErr):
// the same situation gets the same error.
func askLinked(ctx context.Context, c *Conn, msg any, wf *writeFrame) error {
	l := c.link.Load()
	if l == nil {
		r, err := ask(ctx, c, msg, wf.reply)
		if err != nil {
			return err
		}
		return r
	}
	select {
	case <-c.closed:
		return ErrClosed
	default:
	}
	c.eng.sys.Root.Send(c.session, msg)
	select {
	case r := <-wf.reply:
		return r
	case <-l.lost:
		return l.outcome(ctx, wf.reply, &wf.taken)
	case <-ctx.Done():
		return receiptOrCtxErr(ctx, l, wf)
	case <-c.closed:
		return ErrClosed
	}
}

// linked makes the writeFrame of a request the session may pass on to
// the writer (askLinked); the session sets its frame and receipt.
func linked() *writeFrame { return &writeFrame{reply: make(chan error, 1)} }

// linkedMustGo is linked for a frame written even if its caller gives up
// (frameMustGo).
func linkedMustGo() *writeFrame {
	wf := linked()
	wf.state.Store(frameMustGo)
	return wf
}

func ctxErr(ctx context.Context) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return &timeoutError{what: "waiting for the operation"}
	}
	return ctx.Err()
}

// Connect opens a connection and waits for CONNECTED. The attempt is
// bounded by cfg.ConnectTimeout and by ctx.
func (c *Conn) Connect(ctx context.Context, cfg ConnectConfig) (ConnectInfo, error) {
	return c.ConnectTaken(ctx, cfg, nil)
}

// ConnectTaken is Connect with taken, when not nil, called on the
// session's goroutine as the session takes the request: once State says
// Connecting, or as it refuses the request (ErrAlreadyConnected,
// ErrClosed), before any event of the attempt. It is not called when the
// request never reaches the session (cfg refused, the Conn closed). It
// runs on the session: it must not wait for the Conn.
func (c *Conn) ConnectTaken(ctx context.Context, cfg ConnectConfig, taken func()) (ConnectInfo, error) {
	if err := cfg.checkHeartbeats(); err != nil {
		return ConnectInfo{}, err
	}
	reply := make(chan connectResult, 1)
	r, err := ask(ctx, c, &connectRequest{cfg: cfg, reply: reply, taken: taken}, reply)
	if errors.Is(err, ErrClosed) {
		return ConnectInfo{}, err
	}
	if err != nil {
		// ctx ended first, maybe before the session even took the
		// request: withdraw it (the session sees that after the request)
		// and take the session's verdict, which then comes at once, so
		// that what Connect returns and the state agree.
		c.eng.sys.Root.Send(c.session, &connectWithdrawn{reply: reply, err: err})
		select {
		case r = <-reply:
		case <-c.closed:
			return ConnectInfo{}, ErrClosed
		}
	}
	return r.info, r.err
}

// Disconnect sends DISCONNECT (with a receipt when receipt is true), waits
// up to timeout for the receipt, and closes the connection. The auto-ack
// messages its pull subscriptions received stay for Receive
// (pullleft.go). Once it returns, the connection's writer has stopped, so
// the byte and frame counts of Stats include the DISCONNECT (unless ctx
// ended first). A broker that hangs up between frames has answered (nil);
// one that ends the connection otherwise (inside a frame, with a reset)
// makes it return the connection lost (ErrConnectionLost, with the
// socket's error as its cause), as its DisconnectedEvent reports.
func (c *Conn) Disconnect(ctx context.Context, receipt bool, timeout time.Duration) error {
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	l := c.link.Load()
	reply := make(chan error, 1)
	r, err := ask(ctx, c, &disconnectRequest{receipt: receipt, timeout: timeout, reply: reply}, reply)
	if err != nil {
		c.Interrupt()
		return err
	}
	writerStopped(ctx, l)
	return r
}

// writerStopped waits, once l has ended, for its writer to stop (the
// session stops it as it ends the link): the writer counts the bytes of a
// frame once its write returned, which may be after the broker answered
// it (DISCONNECT's RECEIPT). It does not wait for a link still up.
func writerStopped(ctx context.Context, l *link) {
	if l == nil {
		return
	}
	select {
	case <-l.lost:
	default:
		return
	}
	select {
	case <-l.writerDone:
	case <-ctx.Done():
	}
}

// Interrupt closes the connection at once, failing every waiting call.
func (c *Conn) Interrupt() {
	reply := make(chan struct{}, 1)
	_, _ = ask(context.Background(), c, &interruptRequest{reply: reply}, reply)
}

// Begin opens a transaction. The BEGIN is written even when ctx ends
// first; one the writer refuses before writing it (ErrTooManyReceipts,
// say) leaves the id unknown.
func (c *Conn) Begin(ctx context.Context, id string, receipt time.Duration) error {
	return c.tx(ctx, txBegin, id, receipt)
}

// Commit commits an open transaction. A COMMIT that was not written
// leaves the transaction open, to be committed (or aborted) again: ctx
// ended before the writer took it (ErrTimeout, or context.Canceled), or
// the writer refused it (ErrTooManyReceipts, say). One written ends it here,
// whatever the broker then answers (ErrOutcomeUnknown, ErrReceiptTimeout,
// an ERROR). While it is on its way, the transaction is neither joined
// nor ended again (ErrUnknownTransaction).
func (c *Conn) Commit(ctx context.Context, id string, receipt time.Duration) error {
	return c.tx(ctx, txCommit, id, receipt)
}

// Abort aborts an open transaction. The ABORT is written even when ctx
// ends first; one the writer refuses before writing it leaves the
// transaction open, as for Commit. Once it is written, the cover of the
// transaction's cumulative ACKs (ack mode client) is dropped: the broker
// discarded them. What the caller keeps of its Acks is undone by
// AbortingTransaction, which the caller calls as it calls Abort.
func (c *Conn) Abort(ctx context.Context, id string, receipt time.Duration) error {
	return c.tx(ctx, txAbort, id, receipt)
}

func (c *Conn) tx(ctx context.Context, op txOp, id string, receipt time.Duration) error {
	wf := linked()
	if op != txCommit {
		wf.state.Store(frameMustGo)
	}
	return askLinked(ctx, c, &txRequest{op: op, id: id, receipt: receipt, wf: wf}, wf)
}

// OpenTransactions lists the transactions open on this connection.
func (c *Conn) OpenTransactions(ctx context.Context) []string {
	reply := make(chan []string, 1)
	out, _ := ask(ctx, c, &openTransactionsRequest{reply: reply}, reply)
	return out
}

func (s *session) owner() *Conn      { return s.c }
func (w *writer) owner() *Conn       { return w.c }
func (r *reader) owner() *Conn       { return r.c }
func (h *heartbeat) owner() *Conn    { return h.c }
func (s *subscription) owner() *Conn { return s.c }
func (t *transactions) owner() *Conn { return t.c }
