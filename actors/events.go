package actors

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/stompactor/stompactor/frames"
)

// Event is any of the *...Event types below.
type Event interface{ event() }

// ConnectedEvent follows every connection attempt, successful or not.
type ConnectedEvent struct {
	Err  error // nil on success
	Info ConnectInfo
}

// ConnectionStatusEvent reports a step of the connection's life.
type ConnectionStatusEvent struct {
	Status string // "dialing", "connected-tcp", "connecting", "connected", "disconnecting", "lost"
	Detail string
}

// DisconnectedEvent follows the end of a connection. Err is nil after a
// clean Disconnect.
type DisconnectedEvent struct{ Err error }

// ErrorEvent reports an error that is not the answer to a call: a
// non-fatal server ERROR, a failed automatic ACK, a panic in an actor.
type ErrorEvent struct{ Err error }

// Log levels of LogEvent.
const (
	LogError   = 0
	LogInfo    = 1
	LogVerbose = 2
	LogDebug   = 3
)

// LogEvent is one log line. Type is "info", "ack" or "frame".
type LogEvent struct {
	Level   int
	Type    string
	Message string
}

// MessageOutEvent follows a SEND frame written to the socket.
type MessageOutEvent struct {
	Destination string
	Headers     frames.Headers
	Size        int
}

// ReadyToSendEvent fires when a full outgoing queue has room again.
type ReadyToSendEvent struct{}

// ReceiptInEvent reports a RECEIPT from the server.
type ReceiptInEvent struct{ ReceiptID string }

// ReceiptOutEvent reports a frame sent with a receipt header.
type ReceiptOutEvent struct {
	ReceiptID string
	Command   frames.Command
}

// SubscribedEvent follows a SUBSCRIBE written (or confirmed, with receipts).
type SubscribedEvent struct{ ID, Destination string }

// UnsubscribedEvent follows an UNSUBSCRIBE.
type UnsubscribedEvent struct{ ID, Destination string }

func (*ConnectedEvent) event()        {}
func (*ConnectionStatusEvent) event() {}
func (*DisconnectedEvent) event()     {}
func (*ErrorEvent) event()            {}
func (*LogEvent) event()              {}
func (*MessageOutEvent) event()       {}
func (*ReadyToSendEvent) event()      {}
func (*ReceiptInEvent) event()        {}
func (*ReceiptOutEvent) event()       {}
func (*SubscribedEvent) event()       {}
func (*UnsubscribedEvent) event()     {}

// dispatcher runs event callbacks in order on one goroutine, or queues them
// for DispatchEvents in manual mode. Its queue is bounded: log, message-out
// and receipt events are dropped (and counted) once it is three quarters
// full, so that state events always have room; posting never blocks.
type dispatcher struct {
	fn      func(Event)
	manual  bool
	ch      chan Event
	done    chan struct{}
	wg      sync.WaitGroup
	dropped atomic.Int64
	closed  atomic.Bool
	mu      sync.Mutex    // serializes manual DispatchEvents callers
	active  *atomic.Int32 // the client's count of running callbacks
}

func newDispatcher(fn func(Event), size int, manual bool) *dispatcher {
	if size <= 0 {
		size = 4096
	}
	d := &dispatcher{fn: fn, manual: manual, ch: make(chan Event, size), done: make(chan struct{})}
	if !manual {
		d.wg.Add(1)
		go d.run()
	}
	return d
}

func (d *dispatcher) post(e Event) {
	if d.fn == nil || d.closed.Load() {
		return
	}
	switch e.(type) {
	case *LogEvent, *MessageOutEvent, *ReceiptInEvent, *ReceiptOutEvent:
		if len(d.ch) >= cap(d.ch)*3/4 {
			d.dropped.Add(1)
			return
		}
	}
	select {
	case d.ch <- e:
	default:
		d.dropped.Add(1)
	}
}

func (d *dispatcher) run() {
	defer d.wg.Done()
	for {
		select {
		case e := <-d.ch:
			d.call(e)
		case <-d.done:
			for {
				select {
				case e := <-d.ch:
					d.call(e)
				default:
					return
				}
			}
		}
	}
}

func (d *dispatcher) call(e Event) {
	if d.active != nil {
		d.active.Add(1)
		defer d.active.Add(-1)
	}
	defer func() { _ = recover() }() // a panicking user callback must not kill the dispatcher
	d.fn(e)
}

// dispatchManual runs queued events on the caller's goroutine, waiting up
// to wait for the first one. It returns how many ran.
func (d *dispatcher) dispatchManual(wait time.Duration) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	n := 0
	if wait > 0 {
		t := time.NewTimer(wait)
		select {
		case e := <-d.ch:
			t.Stop()
			d.call(e)
			n++
		case <-t.C:
			return 0
		case <-d.done:
			t.Stop()
		}
	}
	for {
		select {
		case e := <-d.ch:
			d.call(e)
			n++
		default:
			return n
		}
	}
}

// close runs (or, in manual mode, discards) what is queued and stops.
func (d *dispatcher) close() {
	if d.closed.Swap(true) {
		return
	}
	close(d.done)
	d.wg.Wait()
}
