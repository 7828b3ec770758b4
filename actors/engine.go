package actors

import (
	"fmt"
	"log/slog"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/asynkron/protoactor-go/actor"
)

// Engine runs the actors of many connections: one protoactor actor system
// (whose process registry alone costs megabytes, so it is paid once), one
// pool of goroutines for every mailbox, and one set of actor props. Every
// connection is a small tree of actors in it. An engine with no connection
// holds no goroutine.
//
// DefaultEngine is shared by the whole process; NewEngine makes another,
// to keep a group of connections apart (its own logger, its own workers).
type Engine struct {
	sys    *actor.ActorSystem
	pool   *pool
	logger *slog.Logger
	props  *actor.Props // every actor's
	// root spawns every actor, under the guardian that stops a failed
	// one. (Props that name the guardian would make protoactor copy its
	// root context at every spawn.)
	root *actor.RootContext

	writerLinger time.Duration // EngineOptions.WriterLinger
	idle         *idlePoller   // waits for the sockets of quiet connections
	gate         *dialGate     // bounds the connection attempts at once (dialgate.go); nil: no bound

	mu     sync.Mutex
	conns  int // live connections (Conns not yet closed)
	closed bool

	// spawning hands an actor, built with its state, to the shared
	// props' producer, which protoactor calls inside Spawn.
	spawnMu  sync.Mutex
	spawning actor.Actor
	spawned  uint64 // the last number an actor's name took (actorName; registry32.go)
}

// EngineOptions configure an Engine.
type EngineOptions struct {
	// Logger receives the actor system's own log lines (each connection
	// logs to its own logger). Nil discards them.
	Logger *slog.Logger
	// MaxIdleWorkers bounds the goroutines that wait for work between
	// messages. Default: 4 per CPU.
	MaxIdleWorkers int
	// WorkerLinger is how long an idle goroutine waits for work before it
	// ends. Default 2s.
	WorkerLinger time.Duration
	// WriterLinger is how long a connection's writer actor stays after
	// its last write; the next frame starts another. Default 100ms.
	WriterLinger time.Duration
	// MaxConcurrentConnects bounds the automatic reconnect attempts of
	// the engine's connections that run at once: the attempts a Reconnect
	// policy makes after an established connection was lost. Such an
	// attempt holds a slot from its dial (with the proxy, TLS and
	// WebSocket handshakes) until CONNECTED or its failure; one that
	// finds none free waits in line (first come, first served) before it
	// starts, so the time in line counts neither towards its connect
	// timeout nor towards the policy's MaxAttempts. Disconnect, Interrupt
	// and Close end the wait; nothing else bounds it, but it is bounded in
	// practice, since every attempt that holds a slot is bounded by its
	// own connect timeout. A Connect the program calls is never held (its
	// attempts, failover and retries included, do not take slots): the
	// program chose that concurrency. So many connections that lose one
	// broker together come back a bounded number at a time rather than in
	// one storm of dials and handshakes. Waiting shows in the "queued"
	// connection status, Stats.ConnectsQueued and Engine.ConnectSlots.
	// The slots are shared by every broker the engine's connections use:
	// attempts that hang (a broker whose address drops packets) hold
	// theirs until their connect timeout, so keep connections to brokers
	// that fail apart on engines of their own, or raise the limit. Default
	// (0) DefaultMaxConcurrentConnects, 64: on a LAN, where a handshake
	// takes a few milliseconds, 64 in flight pass ten thousand or more
	// connections a second, more than a broker accepts; it stays under
	// common listen backlogs (128), so a storm of SYNs is not dropped and
	// retransmitted a second later; and it is few enough that TLS
	// handshakes do not starve each other of the CPU. A fleet over long
	// round trips (say 200 ms for TCP, TLS and CONNECT: 320 connections a
	// second) may want more. Negative: no limit (and no counting).
	MaxConcurrentConnects int
}

// discardLogger is the logger of whoever was given none.
var discardLogger = slog.New(slog.DiscardHandler)

var (
	defaultEngine     *Engine
	defaultEngineOnce sync.Once
)

// DefaultEngine returns the process-wide engine, starting it on first use.
// It is never closed; with no connection it holds no goroutine.
func DefaultEngine() *Engine {
	defaultEngineOnce.Do(func() { defaultEngine = NewEngine(EngineOptions{}) })
	return defaultEngine
}

// NewEngine starts an engine. Close it once its connections are closed.
func NewEngine(opts EngineOptions) *Engine {
	if opts.Logger == nil {
		opts.Logger = discardLogger
	}
	if opts.MaxIdleWorkers <= 0 {
		opts.MaxIdleWorkers = 4 * runtime.GOMAXPROCS(0)
	}
	if opts.WorkerLinger <= 0 {
		opts.WorkerLinger = 2 * time.Second
	}
	if opts.WriterLinger <= 0 {
		opts.WriterLinger = 100 * time.Millisecond
	}
	e := &Engine{logger: opts.Logger, pool: newPool(opts.MaxIdleWorkers, opts.WorkerLinger), writerLinger: opts.WriterLinger, idle: newIdlePoller(),
		gate: newDialGate(opts.MaxConcurrentConnects)}
	e.sys = actor.NewActorSystem(
		actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger { return opts.Logger }),
		// The throttle's goroutine lives this long after a dead letter,
		// so that goleak and Close never wait for it.
		actor.WithDeadLetterThrottleInterval(10*time.Millisecond),
	)
	e.props = actor.PropsFromProducer(e.produce,
		actor.WithDispatcher(e.pool),
		actor.WithMailbox(newMailbox),
	)
	// A failure that reaches supervision (a panic outside Receive, which
	// guarded does not see) stops the actor: none is ever restarted.
	e.root = e.sys.Root.Copy().WithGuardian(stopOnFailure)
	startGuardian(e.sys, e.root)
	return e
}

// spawn starts a, already holding its state, at the top of the actor
// system (see Conn.spawn). Every actor of the engine shares one props
// value (each props value costs a few hundred bytes): its producer takes
// the actor handed over here, so an actor never runs without its state,
// not even for a Stop that overtakes its first message.
func (e *Engine) spawn(a owned) *actor.PID {
	e.spawnMu.Lock()
	defer e.spawnMu.Unlock()
	if sg, ok := a.(selfGuarded); ok {
		e.spawning = sg
	} else {
		e.spawning = guarded{a}
	}
	e.spawned++
	name := actorName(e.spawned)
	for !registrable(name) { // on a 32-bit platform only (registry32.go)
		e.spawned++
		name = actorName(e.spawned)
	}
	pid, err := e.root.SpawnNamed(e.props, name)
	e.spawning = nil
	if err != nil {
		// The names are the engine's own, one per spawn: this is a bug.
		panic(err)
	}
	return pid
}

// registryShards is how many maps each bucket of protoactor's process
// registry is split into (the concurrent map it uses: 32, hashed with
// FNV-1 and taken modulo).
const registryShards = 32

// actorName is the name of the engine's n-th actor. protoactor's process
// registry is 1024 buckets of 32 Go maps each, and a Go map allocates
// its first group of slots (288 bytes for the registry's entries) at its
// first entry and keeps it: with names spread over all 32 768 maps,
// nearly every actor of a process with a few thousand connections pays a
// group of its own. So the last character of each name is chosen to put
// the actor in the first map of whatever bucket its name falls in: the
// actors share 1 024 maps, a few dozen to a group, and the lock striping
// of the buckets stays as it was. ("c" and base 36 keep the names apart
// from protoactor's own, which start with "$" or a word.)
func actorName(n uint64) string {
	var b [16]byte
	name := strconv.AppendUint(append(b[:0], 'c'), n, 36)
	// FNV-1 multiplies, then xors each byte in: the last byte decides
	// the low five bits of the hash outright.
	h := uint32(2166136261)
	for _, c := range name {
		h *= 16777619
		h ^= uint32(c)
	}
	h *= 16777619
	return string(append(name, byte(0x40|h%registryShards)))
}

// produce is the props' producer. protoactor also calls it to restart an
// actor, which the engine never asks for (panics are recovered, see
// guarded, and supervision stops a failed actor); should it happen, the
// new incarnation stops at once.
func (e *Engine) produce() actor.Actor {
	if a := e.spawning; a != nil {
		e.spawning = nil
		return a
	}
	return stopped{}
}

// stopped is what a restarted actor becomes: it stops itself.
type stopped struct{}

func (stopped) Receive(ctx actor.Context) {
	if _, ok := ctx.Message().(*actor.Started); ok {
		ctx.Stop(ctx.Self())
	}
}

// Close ends an engine made by NewEngine once it has no connection left:
// it waits for its goroutines and refuses new connections. It returns an
// ErrEngineInUse while connections are open; closing the DefaultEngine is
// refused with ErrEngineInUse too. A client of a closed engine gets
// ErrEngineClosed (code 105: errors.Is(err, ErrClosed) holds).
func (e *Engine) Close() error {
	if e == defaultEngine {
		return NewError(CodeEngineInUse, "stomp: engine in use: the default engine is shared by the process and never closed", nil)
	}
	e.mu.Lock()
	if e.conns > 0 {
		n := e.conns
		e.mu.Unlock()
		return NewError(CodeEngineInUse, "stomp: engine in use: it still has "+strconv.Itoa(n)+" connections; close them first", nil)
	}
	e.closed = true
	e.mu.Unlock()
	e.pool.setActive(false)
	e.pool.wg.Wait()
	e.idle.wait()
	e.sys.Shutdown()
	return nil
}

// Connections counts the engine's open connections.
func (e *Engine) Connections() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.conns
}

// Actors counts the actors the engine's actor system knows (not its own
// dead-letter and event-stream processes): a check that closed
// connections leave none behind. It walks the whole registry: for tests
// and diagnostics, not hot paths.
func (e *Engine) Actors() int {
	n := 0
	for _, m := range e.sys.ProcessRegistry.LocalPIDs.LocalPIDs {
		if m.Count() == 0 {
			continue
		}
		m.IterCb(func(id string, _ any) {
			if !strings.HasPrefix(id, "guardian") {
				n++
			}
		})
	}
	return n - systemProcesses
}

// systemProcesses are the processes every actor system registers: its
// dead-letter and event-stream processes. (The guardian that stops a
// failed actor is not counted either.)
const systemProcesses = 2

// IdleWorkers counts the goroutines waiting for work.
func (e *Engine) IdleWorkers() int { return e.pool.idleWorkers() }

// attach counts a new connection; false when the engine is closed.
func (e *Engine) attach() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return false
	}
	e.conns++
	if e.conns == 1 {
		e.pool.setActive(true)
	}
	return true
}

// detach counts a connection closed; the last one lets the idle workers go.
func (e *Engine) detach() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.conns--
	if e.conns == 0 {
		e.pool.setActive(false)
	}
}

// stopOnFailure is the supervision of every engine actor.
var stopOnFailure = actor.NewOneForOneStrategy(0, 0, func(any) actor.Directive { return actor.StopDirective })

// owned is an actor of a connection.
type owned interface {
	actor.Actor
	owner() *Conn
}

// failer is an actor that reports its own panics to its connection.
type failer interface {
	failed(ctx actor.Context, err error, stack string)
}

// guarded is how every engine actor runs. It keeps a panic in the actor
// from reaching protoactor's supervision (whose restarts would need each
// actor to keep its state outside itself): the actor reports it, with the
// stack, to its session, which ends the connection; a child stops at
// once, so no message reaches it in the state the panic left. And it
// tells the actor's connection when the actor stopped (Conn.spawn).
//
// It wraps the actor rather than being a receiver middleware: protoactor
// gives every actor with a middleware chain a context extension record
// (about 200 bytes), and wraps each message in an envelope. The actors
// that live as long as their connection guard themselves (selfGuarded),
// so that they are not boxed into a guarded value each.
type guarded struct{ a owned }

func (g guarded) Receive(ctx actor.Context) { guard(ctx, g.a, g.a.Receive) }

// selfGuarded is an actor whose Receive runs its receive through guard;
// it is spawned as it is.
type selfGuarded interface {
	owned
	receive(ctx actor.Context)
}

// The connection's long-lived actors.
var (
	_ selfGuarded = (*session)(nil)
	_ selfGuarded = (*reader)(nil)
	_ selfGuarded = (*subscription)(nil)
	_ selfGuarded = (*heartbeat)(nil)
	_ selfGuarded = (*transactions)(nil)
)

// guard runs receive, a's, as guarded describes.
func guard(ctx actor.Context, a owned, receive func(actor.Context)) {
	if _, ok := ctx.Message().(*actor.Stopped); ok {
		defer a.owner().live.Done()
	}
	defer func() {
		r := recover()
		if r == nil {
			return
		}
		err := fmt.Errorf("stomp: internal panic handling %T: %s", ctx.Message(), panicString(r))
		if f, ok := a.(failer); ok {
			f.failed(ctx, err, string(debug.Stack()))
		}
	}()
	receive(ctx)
}

func panicString(r any) string {
	if e, ok := r.(error); ok {
		return e.Error()
	}
	return fmt.Sprint(r)
}
