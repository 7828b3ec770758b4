package sim

import (
	"context"
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/stompactor/stompactor/frames"
)

// proxyLimits are the proxy's decoder limits: generous, since the proxy
// only watches frames and the server and client enforce their own.
var proxyLimits = frames.Limits{MaxHeaderLine: 1 << 20, MaxHeaders: 10000, MaxBody: 64 << 20}

// proxyDialTimeout bounds each dial of the target.
const proxyDialTimeout = 10 * time.Second

// Proxy is a fault-injecting TCP proxy in front of a STOMP server. For each
// connection it accepts it dials the target, copies the client's bytes to
// the server through the plan's byte faults, and decodes the server's
// frames to pass them through the plan's frame faults before re-encoding
// them for the client (in the version the CONNECTED frame names; byte
// faults then apply to the encoded bytes).
type Proxy struct {
	target   string
	plan     Plan // the faults in effect (under injMu)
	ln       net.Listener
	ctx      context.Context
	cancel   context.CancelFunc
	wg       sync.WaitGroup
	accepted atomic.Int64
	faults   eventLog
	linger   time.Duration

	mu     sync.Mutex
	conns  map[*proxyConn]struct{}
	closed bool

	// injMu guards the faults in effect (see proxyinject.go); it is taken
	// before mu, never after.
	injMu   sync.Mutex
	names   map[string]bool // every fault name used, cleared ones too
	pending map[int]bool    // connections accepted and not yet registered
	cleared chan struct{}   // closed and replaced by each Clear
}

// NewProxy starts a proxy that forwards each connection to target
// ("host:port", plain TCP: the proxy reads the server's frames, so it
// cannot sit in front of TLS or WebSocket) with the faults of plan, which
// is validated first. Unless ProxyListenAddr says otherwise it listens on
// an ephemeral port of 127.0.0.1. A nil option is skipped, as NewBroker
// skips one.
func NewProxy(target string, plan Plan, opts ...ProxyOption) (*Proxy, error) {
	cfg := proxyConfig{listen: DefaultListenAddr}
	for _, o := range opts {
		if o != nil {
			o.applyProxy(&cfg)
		}
	}
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if err := plan.Validate(); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", cfg.listen)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	p := &Proxy{
		target: target,
		plan:   append(Plan(nil), plan...),
		ln:     ln,
		ctx:    ctx,
		cancel: cancel,
		linger: DefaultLinger,
		conns:  make(map[*proxyConn]struct{}),

		names:   make(map[string]bool, len(plan)),
		pending: make(map[int]bool),
		cleared: make(chan struct{}),
	}
	for _, f := range plan {
		p.names[f.Name] = true
	}
	p.faults.hook = cfg.faultHook
	p.faults.setPlan(p.plan)
	p.wg.Add(1)
	go p.acceptLoop()
	return p, nil
}

// Addr returns the address the proxy listens on.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// FaultEvents returns what the plan's faults and those injected did (at
// most the last 4096 events), in the order Broker.FaultEvents gives.
func (p *Proxy) FaultEvents() []FaultEvent { return p.faults.snapshot() }

// Close stops the listener, closes every connection on both sides and
// waits for every goroutine of the proxy to end.
func (p *Proxy) Close() error {
	p.cancel()
	err := p.ln.Close()
	p.mu.Lock()
	p.closed = true
	for pc := range p.conns {
		pc.closeBoth()
	}
	p.mu.Unlock()
	p.wg.Wait()
	if errors.Is(err, net.ErrClosed) {
		err = nil
	}
	return err
}

func (p *Proxy) acceptLoop() {
	defer p.wg.Done()
	for {
		nc, err := p.ln.Accept()
		if err != nil {
			if p.ctx.Err() != nil {
				return
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return
		}
		index := int(p.accepted.Add(1))
		p.wg.Add(1)
		go p.handle(nc, index)
	}
}

// handle applies the accept faults, dials the target and runs the copies.
func (p *Proxy) handle(nc net.Conn, index int) {
	defer p.wg.Done()
	start := time.Now()
	p.injMu.Lock()
	cf := p.plan.forConn(index, start, &p.faults)
	p.pending[index] = true
	p.injMu.Unlock()
	pc := p.connect(nc, cf, index, start)
	if pc == nil {
		return
	}
	pc.run()
	p.mu.Lock()
	delete(p.conns, pc)
	p.mu.Unlock()
}

// connect applies the accept faults of cf, dials the target and registers
// the connection with the faults in effect then (Inject and Clear may have
// changed them meanwhile). It returns nil when the connection ends there.
func (p *Proxy) connect(nc net.Conn, cf *connFaults, index int, start time.Time) *proxyConn {
	notPending := func() {
		p.injMu.Lock()
		delete(p.pending, index)
		p.injMu.Unlock()
	}
	defer notPending()
	// A connection the proxy ends here stops counting as open before its
	// client can see the close, so that an Inject made once the client
	// saw it is told the connection has closed.
	if cf != nil && cf.accept != nil {
		f := cf.accept
		cf.record(f, FaultEvent{Delay: f.Delay})
		if f.Kind == RefuseAccept || !p.stall(f, start) {
			notPending()
			_ = nc.Close()
			return nil
		}
	}
	d := net.Dialer{Timeout: proxyDialTimeout}
	server, err := d.DialContext(p.ctx, "tcp", p.target)
	if err != nil {
		notPending()
		_ = nc.Close()
		return nil
	}
	p.injMu.Lock()
	defer p.injMu.Unlock()
	cf = p.plan.forConn(index, start, &p.faults)
	if cf == nil {
		cf = &connFaults{index: index, start: start, log: &p.faults}
	}
	if cf.filter == nil {
		// Always there, so that Inject can add frame faults.
		cf.filter = newFrameFilter(cf)
	}
	fc := newFaultConn(nc, cf)
	for _, r := range cf.bytes {
		fc.addRule(r)
	}
	pc := &proxyConn{p: p, client: fc, fc: fc, server: server, cf: cf, filter: cf.filter, done: make(chan struct{})}
	pc.w = frames.NewWriter(pc.client, frames.Encoder{Version: frames.V12})
	pc.perFrame = cf.delaysPerFrame()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		pc.closeBoth()
		return nil
	}
	p.conns[pc] = struct{}{}
	return pc
}

// proxyConn is one proxied connection.
type proxyConn struct {
	p      *Proxy
	client net.Conn // fc, as a net.Conn
	fc     *faultConn
	server net.Conn
	cf     *connFaults
	filter *frameFilter
	wmu    sync.Mutex // serializes writes to the client
	w      *frames.Writer
	// perFrame: flush after every frame (see connFaults.delaysPerFrame).
	perFrame bool
	done     chan struct{}
	endOnce  sync.Once
}

// run copies both ways until both are done.
func (pc *proxyConn) run() {
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); pc.toServer() }()
	go func() { defer wg.Done(); pc.toClient() }()
	if pc.filter != nil {
		for _, at := range pc.cf.ticks {
			wg.Add(1)
			go func() { defer wg.Done(); pc.tickAt(at) }()
		}
	}
	wg.Wait()
	pc.closeBoth()
}

// closeBoth closes both sockets at once.
func (pc *proxyConn) closeBoth() {
	pc.endOnce.Do(func() { close(pc.done) })
	_ = pc.client.Close()
	_ = pc.server.Close()
}

// end finishes the connection as a frame fault asks.
func (pc *proxyConn) end(mode closeMode) {
	switch mode {
	case closeGraceful:
		_ = pc.server.Close()
		if cw, ok := pc.client.(interface{ CloseWrite() error }); ok && cw.CloseWrite() == nil {
			// The client reads what was sent, then an end of stream; the
			// sockets close when it closes its side or the linger passes.
			time.AfterFunc(pc.p.linger, pc.closeBoth)
			return
		}
		pc.closeBoth()
	case closeAbort:
		pc.closeBoth()
	}
}

// tickAt fires the time-only frame faults at time at.
func (pc *proxyConn) tickAt(at time.Time) {
	t := time.NewTimer(max(time.Until(at), 0))
	defer t.Stop()
	select {
	case <-t.C:
	case <-pc.done:
		return
	}
	pc.wmu.Lock()
	mode, err := pc.filter.tick(pc.w.WriteFrame)
	ferr := pc.w.Flush()
	pc.wmu.Unlock()
	if err != nil || ferr != nil {
		mode = closeAbort
	}
	pc.end(mode)
}
