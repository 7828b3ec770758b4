package actors

import (
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/asynkron/protoactor-go/actor"
)

// mailbox is the queue of every engine actor. It behaves like protoactor's
// default mailbox (system messages first, then user messages in order,
// run by the dispatcher, yielding every Throughput messages) but costs
// only what it holds: protoactor's ring never shrinks, so an actor that
// once took a burst of a thousand frames kept a thousand slots for the
// rest of its life. Here the ring shrinks back once it empties, and
// system messages (rare) live in a slice that is nil when empty.
type mailbox struct {
	mu        sync.Mutex
	user      ring
	sys       []any
	pending   atomic.Int32 // messages queued, user and system
	sysQueued atomic.Int32
	running   atomic.Bool
	suspended atomic.Bool

	invoker    actor.MessageInvoker
	dispatcher actor.Dispatcher
}

func newMailbox() actor.Mailbox { return &mailbox{} }

func (m *mailbox) PostUserMessage(msg any) {
	m.mu.Lock()
	m.user.push(msg)
	m.mu.Unlock()
	m.pending.Add(1)
	m.schedule()
}

func (m *mailbox) PostSystemMessage(msg any) {
	m.mu.Lock()
	m.sys = append(m.sys, msg)
	m.mu.Unlock()
	m.sysQueued.Add(1)
	m.pending.Add(1)
	m.schedule()
}

func (m *mailbox) RegisterHandlers(invoker actor.MessageInvoker, dispatcher actor.Dispatcher) {
	m.invoker, m.dispatcher = invoker, dispatcher
}

func (m *mailbox) Start() {}

func (m *mailbox) UserMessageCount() int { return int(m.pending.Load() - m.sysQueued.Load()) }

func (m *mailbox) schedule() {
	if m.running.CompareAndSwap(false, true) {
		if p, ok := m.dispatcher.(*pool); ok {
			p.run(m)
		} else {
			m.dispatcher.Schedule(m.process)
		}
	}
}

func (m *mailbox) process() {
	for {
		m.run()
		m.running.Store(false)
		// A message posted after run saw the queues empty, and before
		// running was cleared, found the mailbox running: look again.
		if m.sysQueued.Load() == 0 && (m.suspended.Load() || m.pending.Load() == 0) {
			return
		}
		if !m.running.CompareAndSwap(false, true) {
			return // a poster scheduled it again
		}
	}
}

func (m *mailbox) run() {
	var msg any
	returned := false
	defer func() {
		if r := recover(); r != nil {
			m.invoker.EscalateFailure(r, msg)
		} else if !returned {
			// A handler ended the goroutine (runtime.Goexit): the
			// messages after msg are processed on another one.
			m.running.Store(false)
			if m.sysQueued.Load() > 0 || (!m.suspended.Load() && m.pending.Load() > 0) {
				m.schedule()
			}
		}
	}()
	m.runLoop(&msg)
	returned = true
}

// runLoop processes the queued messages, system ones first, until none
// is left or the mailbox is suspended; *msg is the one being processed.
func (m *mailbox) runLoop(msg *any) {
	throughput := m.dispatcher.Throughput()
	for i := 0; ; i++ {
		if i >= throughput {
			i = 0
			runtime.Gosched()
		}
		m.mu.Lock()
		if len(m.sys) > 0 {
			*msg = m.sys[0]
			m.sys[0] = nil
			m.sys = m.sys[1:]
			if len(m.sys) == 0 {
				m.sys = nil
			}
			m.mu.Unlock()
			m.sysQueued.Add(-1)
			m.pending.Add(-1)
			switch (*msg).(type) {
			case *actor.SuspendMailbox:
				m.suspended.Store(true)
			case *actor.ResumeMailbox:
				m.suspended.Store(false)
			default:
				m.invoker.InvokeSystemMessage(*msg)
			}
			continue
		}
		if m.suspended.Load() {
			m.mu.Unlock()
			return
		}
		var ok bool
		*msg, ok = m.user.pop()
		m.mu.Unlock()
		if !ok {
			return
		}
		m.pending.Add(-1)
		m.invoker.InvokeUserMessage(*msg)
	}
}

// ring is a FIFO of messages that grows by doubling and, once empty, gives
// back any room beyond its first few slots. Its positions are 32-bit, which
// puts the mailbox in the 112-byte size class (a mailbox holds at most the
// messages its senders' bounds let through).
type ring struct {
	buf     []any
	head, n int32
}

// keptSlots is the room an empty ring keeps, so that a quiet actor does
// not allocate for every message.
const keptSlots = 4

func (r *ring) push(x any) {
	size := len(r.buf)
	if int(r.n) == size {
		nb := make([]any, max(keptSlots, 2*size))
		for i := range int(r.n) {
			nb[i] = r.buf[(int(r.head)+i)%size]
		}
		r.buf, r.head = nb, 0
		size = len(nb)
	}
	r.buf[(int(r.head)+int(r.n))%size] = x
	r.n++
}

func (r *ring) pop() (any, bool) {
	if r.n == 0 {
		return nil, false
	}
	x := r.buf[r.head]
	r.buf[r.head] = nil
	r.head = int32((int(r.head) + 1) % len(r.buf))
	r.n--
	if r.n == 0 {
		r.head = 0
		if len(r.buf) > keptSlots {
			r.buf = nil
		}
	}
	return x, true
}
