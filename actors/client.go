package actors

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"runtime/debug"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/stompactor/stompactor/frames"
)

// Client is one STOMP connection's engine: a session actor and its
// children. It is safe for concurrent use.
type Client struct {
	sys     *actor.ActorSystem
	ownSys  bool
	session *actor.PID
	opts    Options
	logger  *slog.Logger
	disp    *dispatcher
	stats   *Stats

	state  atomic.Int32
	link   atomic.Pointer[link]
	info   atomic.Pointer[ConnectInfo]
	routes atomic.Pointer[routes]
	subSeq atomic.Uint64

	logFrames atomic.Bool
	// quietSends stops the per-SEND MessageOutEvent, when nobody listens
	// to it, so the hot path does not feed the event queue for nothing.
	quietSends atomic.Bool

	// callbacks counts user callbacks (event and message handlers)
	// running right now, so that Close called from inside one does not
	// wait for its own goroutine.
	callbacks atomic.Int32

	wg        sync.WaitGroup // every goroutine the engine starts
	closed    chan struct{}
	closeOnce sync.Once
}

// NewSystem returns an actor system configured for stompactor: its logs go
// to logger (or nowhere) and its dead-letter throttle is short, so stopping
// it leaves no goroutine behind.
func NewSystem(logger *slog.Logger) *actor.ActorSystem {
	if logger == nil {
		logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return actor.NewActorSystem(
		actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger { return logger }),
		actor.WithDeadLetterThrottleInterval(10*time.Millisecond),
	)
}

// NewClient starts a client's actors in sys; a nil sys makes the client
// create (and on Close, stop) a system of its own.
func NewClient(sys *actor.ActorSystem, opts Options) *Client {
	c := &Client{sys: sys, opts: opts, stats: &Stats{}, closed: make(chan struct{})}
	c.logger = opts.Logger
	if c.logger == nil {
		c.logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if sys == nil {
		c.sys = NewSystem(c.logger)
		c.ownSys = true
	}
	c.logFrames.Store(opts.LogFrames)
	c.disp = newDispatcher(opts.Events, opts.EventQueue, opts.ManualEvents)
	c.disp.active = &c.callbacks
	st := &sessionState{c: c}
	c.session = c.sys.Root.Spawn(c.props(func() actor.Actor { return &session{st} }))
	return c
}

// props gives every engine actor the same supervision: a panic is logged
// with its stack and reported, then the actor restarts (state kept in its
// shared state struct); the message that caused it is dropped.
func (c *Client) props(p actor.Producer) *actor.Props {
	return actor.PropsFromProducer(p,
		actor.WithReceiverMiddleware(c.panicReporter),
		actor.WithSupervisor(actor.NewOneForOneStrategy(10, 10*time.Second, func(any) actor.Directive { return actor.RestartDirective })),
	)
}

func (c *Client) panicReporter(next actor.ReceiverFunc) actor.ReceiverFunc {
	return func(ctx actor.ReceiverContext, env *actor.MessageEnvelope) {
		defer func() {
			if r := recover(); r != nil {
				err := fmt.Errorf("stomp: internal panic handling %T: %s", env.Message, panicString(r))
				c.sys.Root.Send(c.session, &actorPanicked{who: ctx.Self().Id, err: err, stack: string(debug.Stack())})
				panic(r)
			}
		}()
		next(ctx, env)
	}
}

func panicString(r any) string {
	if e, ok := r.(error); ok {
		return e.Error()
	}
	return fmt.Sprint(r)
}

// Close ends any connection and stops every actor and goroutine of the
// client. It waits for running message and event handlers to return,
// except when a handler is running at the time (Close called from inside
// a handler, say): then it returns once the actors are stopped, and the
// handlers' goroutines end by themselves as soon as the handlers return,
// since nothing is delivered to them any more.
func (c *Client) Close() {
	c.closeOnce.Do(func() {
		close(c.closed)
		_ = c.sys.Root.StopFuture(c.session).Wait()
		finish := func() {
			c.wg.Wait()
			c.disp.close()
			if c.ownSys {
				c.sys.Shutdown()
			}
		}
		if c.callbacks.Load() > 0 {
			go finish()
			return
		}
		finish()
	})
}

// SetMessageOutEvents turns the MessageOutEvent that follows every SEND
// on (the default) or off, at any time.
func (c *Client) SetMessageOutEvents(on bool) { c.quietSends.Store(!on) }

// SetLogFrames turns the per-frame LogEvents on or off at any time.
func (c *Client) SetLogFrames(on bool) { c.logFrames.Store(on) }

// System returns the actor system the client runs in.
func (c *Client) System() *actor.ActorSystem { return c.sys }

// Stats returns the client's counters.
func (c *Client) Stats() *Stats { return c.stats }

// EventsDropped counts events dropped because the event queue was full.
func (c *Client) EventsDropped() int64 { return c.disp.dropped.Load() }

// DispatchEvents runs queued events on the caller's goroutine in manual
// mode, waiting up to wait for one. It returns how many ran.
func (c *Client) DispatchEvents(wait time.Duration) int { return c.disp.dispatchManual(wait) }

// State returns the connection state.
func (c *Client) State() State { return State(c.state.Load()) }

// Info returns what was negotiated, or false when not connected.
func (c *Client) Info() (ConnectInfo, bool) {
	if p := c.info.Load(); p != nil {
		return *p, true
	}
	return ConnectInfo{}, false
}

// ReadyToSend reports whether a send would be queued without waiting.
func (c *Client) ReadyToSend() bool {
	l := c.link.Load()
	return l != nil && len(l.credits) < cap(l.credits)
}

func (c *Client) log(level int, typ, msg string) {
	switch level {
	case LogError:
		c.logger.Error(msg, "type", typ)
	case LogInfo:
		c.logger.Info(msg, "type", typ)
	default:
		c.logger.Debug(msg, "type", typ)
	}
	c.disp.post(&LogEvent{Level: level, Type: typ, Message: msg})
}

func (c *Client) setRoutes(r *routes) { c.routes.Store(r) }

func (c *Client) lookupRoute(f *frames.Frame) *route {
	r := c.routes.Load()
	if r == nil {
		return nil
	}
	if id, ok := f.Headers.Get(frames.HdrSubscription); ok {
		return r.byID[id]
	}
	return r.byDest[f.Header(frames.HdrDestination)]
}

// ask sends a request to the session and waits for its reply, the
// caller's context, or the client's end.
func ask[T any](ctx context.Context, c *Client, msg any, reply chan T) (T, error) {
	var zero T
	select {
	case <-c.closed:
		return zero, ErrClosed
	default:
	}
	c.sys.Root.Send(c.session, msg)
	select {
	case r := <-reply:
		return r, nil
	case <-ctx.Done():
		return zero, ctxErr(ctx)
	case <-c.closed:
		return zero, ErrClosed
	}
}

// askLinked is ask for a request the session may pass on to the writer
// (SUBSCRIBE, UNSUBSCRIBE, BEGIN/COMMIT/ABORT). When the connection ends
// the writer stops and drops what its mailbox still holds, so the end of
// the connection answers for it.
func askLinked(ctx context.Context, c *Client, msg any, reply chan error) error {
	l := c.link.Load()
	if l == nil {
		r, err := ask(ctx, c, msg, reply)
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
	c.sys.Root.Send(c.session, msg)
	select {
	case r := <-reply:
		return r
	case <-l.lost:
		return l.outcome(ctx, reply)
	case <-ctx.Done():
		return ctxErr(ctx)
	case <-c.closed:
		return ErrClosed
	}
}

func ctxErr(ctx context.Context) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return &timeoutError{what: "waiting for the operation"}
	}
	return ctx.Err()
}

// Connect opens a connection and waits for CONNECTED. The attempt is
// bounded by cfg.ConnectTimeout and by ctx.
func (c *Client) Connect(ctx context.Context, cfg ConnectConfig) (ConnectInfo, error) {
	reply := make(chan connectResult, 1)
	r, err := ask(ctx, c, &connectRequest{cfg: cfg, reply: reply}, reply)
	if errors.Is(err, ErrClosed) {
		return ConnectInfo{}, err
	}
	if err != nil {
		// ctx ended first, maybe before the session even took the
		// request: withdraw it (the session sees that after the request)
		// and take the session's verdict, which then comes at once, so
		// that what Connect returns and the state agree.
		c.sys.Root.Send(c.session, &connectWithdrawn{reply: reply, err: err})
		select {
		case r = <-reply:
		case <-c.closed:
			return ConnectInfo{}, ErrClosed
		}
	}
	return r.info, r.err
}

// Disconnect sends DISCONNECT (with a receipt when receipt is true), waits
// up to timeout for the receipt, and closes the connection.
func (c *Client) Disconnect(ctx context.Context, receipt bool, timeout time.Duration) error {
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	reply := make(chan error, 1)
	r, err := ask(ctx, c, &disconnectRequest{receipt: receipt, timeout: timeout, reply: reply}, reply)
	if err != nil {
		c.Interrupt()
		return err
	}
	return r
}

// Interrupt closes the connection at once, failing every waiting call.
func (c *Client) Interrupt() {
	reply := make(chan struct{}, 1)
	_, _ = ask(context.Background(), c, &interruptRequest{reply: reply}, reply)
}

// Send queues a frame for the writer. With wait, it returns once the frame
// is written (or, with receipt > 0, once the broker confirmed it);
// otherwise once it is queued. When the outgoing queue is full it waits
// for room, bounded by ctx.
func (c *Client) Send(ctx context.Context, f *frames.Frame, receipt time.Duration, wait bool) error {
	return c.write(ctx, &writeFrame{frame: f, receipt: receipt}, wait || receipt > 0)
}

// TrySend queues f for the writer if the outgoing queue has room right now
// and reports whether it did; it never waits. A frame it queued is
// written later or, if the connection ends first, lost with it, as with
// Send without wait.
func (c *Client) TrySend(f *frames.Frame) (bool, error) {
	l := c.link.Load()
	if l == nil {
		select {
		case <-c.closed:
			return false, ErrClosed
		default:
		}
		return false, ErrNotConnected
	}
	select {
	case l.credits <- struct{}{}:
	default:
		return false, nil
	}
	c.sys.Root.Send(l.writer, &writeFrame{frame: f, credit: true})
	return true, nil
}

// SendRaw queues bytes to be written exactly as given.
func (c *Client) SendRaw(ctx context.Context, raw []byte) error {
	return c.write(ctx, &writeFrame{raw: raw}, true)
}

func (c *Client) write(ctx context.Context, wf *writeFrame, wait bool) error {
	l := c.link.Load()
	if l == nil {
		select {
		case <-c.closed:
			return ErrClosed
		default:
		}
		return ErrNotConnected
	}
	select {
	case l.credits <- struct{}{}:
	default:
		select {
		case l.credits <- struct{}{}:
		case <-l.lost:
			return l.lostErr()
		case <-ctx.Done():
			return ctxErr(ctx)
		case <-c.closed:
			return ErrClosed
		}
	}
	wf.credit = true
	if wait {
		wf.reply = make(chan error, 1)
	}
	c.sys.Root.Send(l.writer, wf)
	if !wait {
		return nil
	}
	select {
	case err := <-wf.reply:
		return err
	case <-l.lost:
		return l.outcome(ctx, wf.reply)
	case <-ctx.Done():
		return ctxErr(ctx)
	}
}

// Subscribe registers a subscription and sends SUBSCRIBE. It returns the
// subscription id once the frame is written (or confirmed, with a receipt).
func (c *Client) Subscribe(ctx context.Context, spec SubscribeSpec) (string, error) {
	if spec.ID == "" {
		spec.ID = "sub-" + strconv.FormatUint(c.subSeq.Add(1), 10)
	}
	reply := make(chan error, 1)
	err := askLinked(ctx, c, &subscribeRequest{spec: spec, reply: reply}, reply)
	if err != nil {
		// Forget the half-made subscription, unless it was never made:
		// an id in use belongs to a live subscription.
		if !errors.Is(err, ErrNotConnected) && !errors.Is(err, ErrClosed) && !errors.Is(err, errSubscriptionIDInUse) {
			c.forget(spec.ID)
		}
		return "", err
	}
	c.disp.post(&SubscribedEvent{ID: spec.ID, Destination: spec.Destination})
	return spec.ID, nil
}

func (c *Client) forget(id string) {
	reply := make(chan error, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, _ = ask(ctx, c, &unsubscribeRequest{id: id, local: true, reply: reply}, reply)
}

// Unsubscribe stops delivery to a subscription and sends UNSUBSCRIBE.
func (c *Client) Unsubscribe(ctx context.Context, id string, receipt time.Duration) error {
	subs := c.Subscriptions(ctx)
	dest := ""
	for _, s := range subs {
		if s.ID == id {
			dest = s.Destination
		}
	}
	reply := make(chan error, 1)
	err := askLinked(ctx, c, &unsubscribeRequest{id: id, receipt: receipt, reply: reply}, reply)
	if err == nil {
		c.disp.post(&UnsubscribedEvent{ID: id, Destination: dest})
	}
	return err
}

// Subscriptions lists the live subscriptions.
func (c *Client) Subscriptions(ctx context.Context) []SubscriptionInfo {
	reply := make(chan []SubscriptionInfo, 1)
	out, _ := ask(ctx, c, &subscriptionsRequest{reply: reply}, reply)
	return out
}

// Ack sends ACK (or NACK) for a message, optionally inside a transaction.
func (c *Client) Ack(ctx context.Context, m *Message, nack bool, tx string, receipt time.Duration) error {
	if m == nil || m.sub == nil || !m.NeedsAck() {
		return ErrNoAck
	}
	// A message of an ended connection, or of an ended subscription, has
	// no actor left to answer: say so now rather than at ctx's deadline.
	l := c.link.Load()
	if l == nil || l.gen != m.gen {
		select {
		case <-c.closed:
			return ErrClosed
		default:
		}
		return connectionLost(errors.New("the message came on an earlier connection; the broker will redeliver it"))
	}
	select {
	case <-m.subDone:
		return ErrUnknownSubscription
	default:
	}
	reply := make(chan error, 1)
	c.sys.Root.Send(m.sub, &ackRequest{msg: m, nack: nack, tx: tx, receipt: receipt, reply: reply})
	select {
	case err := <-reply:
		return err
	case <-l.lost:
		return l.outcome(ctx, reply)
	case <-m.subDone:
		// Unsubscribe raced this Ack; the request may have been
		// dropped with the subscription's mailbox.
		select {
		case err := <-reply:
			return err
		default:
		}
		return ErrUnknownSubscription
	case <-ctx.Done():
		return ctxErr(ctx)
	case <-c.closed:
		return ErrClosed
	}
}

// Begin, Commit and Abort manage transactions.
func (c *Client) Begin(ctx context.Context, id string, receipt time.Duration) error {
	return c.tx(ctx, txBegin, id, receipt)
}

// Commit commits an open transaction.
func (c *Client) Commit(ctx context.Context, id string, receipt time.Duration) error {
	return c.tx(ctx, txCommit, id, receipt)
}

// Abort aborts an open transaction.
func (c *Client) Abort(ctx context.Context, id string, receipt time.Duration) error {
	return c.tx(ctx, txAbort, id, receipt)
}

func (c *Client) tx(ctx context.Context, op txOp, id string, receipt time.Duration) error {
	reply := make(chan error, 1)
	return askLinked(ctx, c, &txRequest{op: op, id: id, receipt: receipt, reply: reply}, reply)
}

// OpenTransactions lists the transactions open on this connection.
func (c *Client) OpenTransactions(ctx context.Context) []string {
	reply := make(chan []string, 1)
	out, _ := ask(ctx, c, &openTransactionsRequest{reply: reply}, reply)
	return out
}
