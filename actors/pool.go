package actors

import (
	"sync"
	"time"
)

// pool is the dispatcher of every engine actor: it runs mailboxes on
// goroutines it reuses. protoactor's default dispatcher starts a goroutine
// each time an idle mailbox gets a message, so every hand-off on a hot path
// cost a goroutine start; here a mailbox is handed to a parked worker when
// there is one, and only otherwise to a new goroutine. The pool never makes
// a mailbox wait for a worker (a handler or a socket write may hold one for
// long), so it cannot deadlock; it bounds only how many workers wait idle,
// and each waits at most linger before it ends. When the engine has no
// connection left, release ends every idle worker at once, so an idle
// engine holds no goroutine.
type pool struct {
	mu      sync.Mutex
	idle    []*worker // parked workers, most recently parked last
	maxIdle int
	linger  time.Duration
	active  bool // false: workers end instead of parking
	wg      sync.WaitGroup
	// spare keeps up to maxSpare ended workers (their channel and timer)
	// for the next goroutine the pool starts: a busy engine starts and
	// ends workers all the time, and each would otherwise leave its
	// channel and timer behind as garbage.
	spare    []*worker
	maxSpare int
}

type worker struct {
	p     *pool
	run   chan job // one job at a time; nil asks the worker to end
	timer *time.Timer
}

func newPool(maxIdle int, linger time.Duration) *pool {
	// A burst of work (connections opened many at a time, say) runs
	// many more workers than may wait idle: the spares cover it.
	return &pool{maxIdle: maxIdle, linger: linger, maxSpare: 8 * maxIdle}
}

// job is work for a worker: a mailbox to process (which costs no
// allocation to hand over), or any function (funcJob).
type job interface{ process() }

type funcJob func()

func (f funcJob) process() { f() }

// Schedule runs fn on an idle worker, or on a new one (actor.Dispatcher).
func (p *pool) Schedule(fn func()) { p.run(funcJob(fn)) }

// run runs j on an idle worker, or on a new one. Mailboxes come here
// directly: a method value handed to Schedule would be a new closure at
// every schedule.
func (p *pool) run(fn job) {
	p.mu.Lock()
	if n := len(p.idle); n > 0 {
		w := p.idle[n-1]
		p.idle[n-1] = nil
		p.idle = p.idle[:n-1]
		p.mu.Unlock()
		w.run <- fn // buffered: never blocks, the worker waits for it
		return
	}
	var w *worker
	if n := len(p.spare); n > 0 {
		w = p.spare[n-1]
		p.spare[n-1] = nil
		p.spare = p.spare[:n-1]
	}
	p.wg.Add(1)
	p.mu.Unlock()
	if w == nil {
		w = &worker{p: p, run: make(chan job, 1)}
	}
	go w.loop(fn)
}

// Throughput is how many messages a mailbox handles before it lets other
// goroutines run.
func (p *pool) Throughput() int { return 300 }

// setActive lets workers park (true) or ends the idle ones and makes the
// busy ones end when they finish (false).
func (p *pool) setActive(on bool) {
	p.mu.Lock()
	p.active = on
	var stop []*worker
	if !on {
		stop, p.idle, p.spare = p.idle, nil, nil
	}
	p.mu.Unlock()
	for _, w := range stop {
		w.run <- nil
	}
}

// idleWorkers counts the parked workers (for tests and benchmarks).
func (p *pool) idleWorkers() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.idle)
}

func (w *worker) loop(fn job) {
	defer w.p.wg.Done()
	for fn != nil {
		fn.process()
		fn = w.park()
	}
	if w.timer != nil {
		w.timer.Stop()
	}
	// Nobody sends to an ended worker (it is not among the idle), so its
	// channel is empty: the next goroutine may take it over.
	p := w.p
	p.mu.Lock()
	if p.active && len(p.spare) < p.maxSpare {
		p.spare = append(p.spare, w)
	}
	p.mu.Unlock()
}

// park waits for the next job; nil means end.
func (w *worker) park() job {
	p := w.p
	p.mu.Lock()
	if !p.active || len(p.idle) >= p.maxIdle {
		p.mu.Unlock()
		return nil
	}
	p.idle = append(p.idle, w)
	p.mu.Unlock()
	if w.timer == nil {
		w.timer = time.NewTimer(p.linger)
	} else {
		w.timer.Reset(p.linger)
	}
	select {
	case fn := <-w.run:
		w.timer.Stop()
		return fn
	case <-w.timer.C:
	}
	// Lingered long enough: leave, unless Schedule took this worker in
	// the meantime, in which case its job is on the way.
	p.mu.Lock()
	for i, x := range p.idle {
		if x == w {
			p.idle = append(p.idle[:i], p.idle[i+1:]...)
			p.mu.Unlock()
			return nil
		}
	}
	p.mu.Unlock()
	return <-w.run
}
