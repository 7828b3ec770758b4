package sim

import (
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// ErrClosed is returned by calls on a closed Broker or Proxy.
var ErrClosed = errors.New("sim: closed")

// eventQueueSize bounds the channel that carries connection events and
// admin requests to the owner goroutine.
const eventQueueSize = 256

// Broker is an in-process STOMP broker. Create one with NewBroker; all its
// methods are safe for concurrent use.
type Broker struct {
	cfg      *config
	ln       net.Listener
	events   chan any // to the owner: connection events and admin requests
	done     chan struct{}
	ownDone  chan struct{} // closed when the owner goroutine has returned
	stopOnce sync.Once
	wg       sync.WaitGroup
	accepted atomic.Int64
	faults   eventLog
	flow     gate

	connsMu sync.Mutex
	conns   map[*conn]struct{}
	closed  bool

	// injMu guards the faults in effect (see inject.go); it is taken
	// before connsMu, never after.
	injMu   sync.Mutex
	plan    Plan            // the faults in effect: planned, then injected, less cleared ones
	names   map[string]bool // every fault name used, cleared ones too
	stalled map[int]bool    // connections a StallAccept holds
	cleared chan struct{}   // closed and replaced by each Clear
}

// NewBroker starts a broker configured by opts. Unless WithListenAddr says
// otherwise it listens on an ephemeral port of 127.0.0.1. A nil option is
// skipped, so a test can leave out an option it builds conditionally.
func NewBroker(opts ...Option) (*Broker, error) {
	cfg := defaultConfig()
	for _, o := range opts {
		if o != nil {
			o.apply(cfg)
		}
	}
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	b := &Broker{
		cfg:     cfg,
		events:  make(chan any, eventQueueSize),
		done:    make(chan struct{}),
		ownDone: make(chan struct{}),
		conns:   make(map[*conn]struct{}),
		plan:    cfg.plan,
		names:   make(map[string]bool, len(cfg.plan)),
		stalled: make(map[int]bool),
		cleared: make(chan struct{}),
	}
	for _, f := range cfg.plan {
		b.names[f.Name] = true
	}
	b.faults.hook = cfg.faultHook
	b.faults.setPlan(cfg.plan)
	if cfg.listener != nil {
		b.ln = cfg.listener
	} else if cfg.listen != "" {
		ln, err := net.Listen("tcp", cfg.listen)
		if err != nil {
			return nil, err
		}
		b.ln = ln
	}
	st := newState(b)
	b.wg.Add(1)
	go b.own(st)
	if b.ln != nil {
		b.wg.Add(1)
		go b.acceptLoop()
	}
	return b, nil
}

// Addr returns the address the broker listens on, such as
// "127.0.0.1:40123", or "" when it has no listener.
func (b *Broker) Addr() string {
	if b.ln == nil {
		return ""
	}
	return b.ln.Addr().String()
}

// ServePipe returns the client end of an in-process net.Pipe connection
// that the broker serves like an accepted TCP connection (it counts in the
// connection numbering of fault plans).
func (b *Broker) ServePipe() (net.Conn, error) {
	client, server := net.Pipe()
	if !b.serve(server) {
		_ = client.Close()
		return nil, ErrClosed
	}
	return client, nil
}

// Close stops the listener, closes every connection and waits for every
// goroutine of the broker to end. It returns nil, also when called again.
func (b *Broker) Close() error {
	b.stopOnce.Do(func() {
		close(b.done)
		if b.ln != nil {
			_ = b.ln.Close()
		}
		b.connsMu.Lock()
		b.closed = true
		for c := range b.conns {
			c.close()
		}
		b.connsMu.Unlock()
	})
	b.wg.Wait()
	return nil
}

func (b *Broker) acceptLoop() {
	defer b.wg.Done()
	for {
		nc, err := b.ln.Accept()
		if err != nil {
			select {
			case <-b.done:
				return
			default:
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return
		}
		b.serve(nc)
	}
}

// serve numbers a new connection, applies the accept faults in effect and
// starts its goroutines. It returns false when the broker is closed.
func (b *Broker) serve(nc net.Conn) bool {
	b.injMu.Lock()
	defer b.injMu.Unlock()
	index := int(b.accepted.Add(1))
	start := time.Now()
	cf := b.plan.forConn(index, start, &b.faults)
	if cf != nil && cf.accept != nil {
		f := cf.accept
		cf.record(f, FaultEvent{Delay: f.Delay})
		if f.Kind == RefuseAccept {
			_ = nc.Close()
			return true
		}
		b.connsMu.Lock()
		defer b.connsMu.Unlock()
		if b.closed {
			_ = nc.Close()
			return false
		}
		b.stalled[index] = true
		b.wg.Add(1)
		go b.stallThenServe(nc, f, index, start)
		return true
	}
	return b.start(nc, cf, index)
}

// start registers a connection and runs its reader and writer. The caller
// holds injMu, so that an Inject applies to it exactly once.
func (b *Broker) start(nc net.Conn, cf *connFaults, index int) bool {
	c := newConn(b, wrapConn(nc, cf), cf, index)
	b.connsMu.Lock()
	if b.closed {
		b.connsMu.Unlock()
		_ = nc.Close()
		return false
	}
	b.conns[c] = struct{}{}
	b.wg.Add(2)
	b.connsMu.Unlock()
	go c.readLoop()
	go c.writeLoop()
	return true
}

// unregister forgets a connection that has ended.
func (b *Broker) unregister(c *conn) {
	b.connsMu.Lock()
	delete(b.conns, c)
	b.connsMu.Unlock()
}

// post sends an event to the owner. It returns false once the broker is
// closed.
func (b *Broker) post(ev any) bool {
	select {
	case b.events <- ev:
		return true
	case <-b.done:
		return false
	}
}

// own runs the owner goroutine: the only one that touches broker state.
func (b *Broker) own(st *state) {
	defer b.wg.Done()
	defer close(b.ownDone)
	for {
		select {
		case ev := <-b.events:
			st.handle(ev)
			st.flush()
		case <-b.done:
			return
		}
	}
}

// adminRequest runs fn on the owner goroutine and signals done.
type adminRequest struct {
	fn   func(*state)
	done chan struct{}
}

// do runs fn on the owner goroutine and waits for it. It returns false when
// the broker is closed.
func (b *Broker) do(fn func(*state)) bool {
	req := &adminRequest{fn: fn, done: make(chan struct{})}
	if !b.post(req) {
		return false
	}
	select {
	case <-req.done:
		return true
	case <-b.ownDone:
		// The owner has returned: fn either ran before or never will.
		select {
		case <-req.done:
			return true
		default:
			return false
		}
	}
}

// FaultEvents returns what the faults of the broker's plan and those
// injected did (at most the last 4096 events), in an order that does not
// depend on timing: by connection number, then by the fault's place in the
// plan (injected faults after the plan's, in the order injected), then in
// the order that fault acted. A hook (WithFaultHook) sees them as they
// happen.
func (b *Broker) FaultEvents() []FaultEvent { return b.faults.snapshot() }
