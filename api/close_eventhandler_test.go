package api

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Close's doc: it waits "for running handlers to return (a MessageIn
// handler, a DeadLetter hook, an event handler, a call that Timeout 0
// queued). Called from inside one of them, it does not wait for the
// handlers". An event handler (OnMessageOut here) that calls Close while
// a MessageIn handler of the same client is running must therefore get
// Close back without waiting for that MessageIn handler: the event
// handler is what would let the MessageIn handler go on.
func TestCloseFromAnEventHandlerDoesNotWaitForTheMessageHandler(t *testing.T) {
	b := newBroker(t)
	h, p := hostPort(t, b.Addr())
	c := newClient(t)
	entered, unblock, _ := blockingHandler(t, c)
	closeReturned := make(chan time.Duration, 1)
	var outOnce sync.Once
	inEvent := make(chan struct{})
	c.OnMessageOut(func(e *MessageOutEvent) {
		if e.Destination != "/queue/other" {
			return
		}
		outOnce.Do(func() {
			close(inEvent)
			st := time.Now()
			c.Close() // from an event handler: must not wait for the MessageIn handler
			closeReturned <- time.Since(st)
			unblock()
		})
	})
	require.NoError(t, c.Connect(h, p))
	_, err := c.Subscribe("/queue/running", false)
	require.NoError(t, err)
	require.NoError(t, c.SendMessage("/queue/running", "x"))
	recv(t, entered)
	go func() { _ = c.SendMessage("/queue/other", "y") }()

	recv(t, inEvent)
	select {
	case took := <-closeReturned:
		t.Logf("Close from the OnMessageOut handler returned after %v", took)
	case <-time.After(3 * time.Second):
		unblock() // let the test end
		t.Fatalf("Close called from an OnMessageOut handler did not return within 3s: it waits for the running MessageIn handler (which waits for the event handler)")
	}
}

// Close's doc: "called from a handler of another client while one of this
// client's runs, it does not wait either". Client a's MessageIn handler
// waits for client b; b's OnMessageOut handler closes a and then lets a's
// handler go. a.Close must return.
func TestCloseFromAnotherClientsEventHandlerDoesNotWait(t *testing.T) {
	b := newBroker(t)
	h, p := hostPort(t, b.Addr())
	a := newClient(t)
	other := newClient(t)
	entered, unblock, _ := blockingHandler(t, a) // waits for the other client
	inEvent := make(chan struct{})
	closeReturned := make(chan struct{})
	var outOnce sync.Once
	other.OnMessageOut(func(*MessageOutEvent) {
		outOnce.Do(func() {
			close(inEvent)
			a.Close()
			close(closeReturned)
			unblock()
		})
	})
	require.NoError(t, a.Connect(h, p))
	require.NoError(t, other.Connect(h, p))
	_, err := a.Subscribe("/queue/r20-cross", false)
	require.NoError(t, err)
	require.NoError(t, a.SendMessage("/queue/r20-cross", "x"))
	recv(t, entered)
	go func() { _ = other.SendMessage("/queue/r20-cross-other", "y") }()
	recv(t, inEvent)
	select {
	case <-closeReturned:
	case <-time.After(3 * time.Second):
		unblock()
		t.Fatal("a.Close called from b's OnMessageOut handler did not return within 3s while a's MessageIn handler (waiting for b) ran")
	}
}

// In the manual mode a MessageIn handler runs on DoEvents too, so an
// event handler never runs beside one of its own client's. It may run
// beside another client's: b's OnMessageOut handler, run by b.DoEvents,
// closes a while a's MessageIn handler waits for it. a.Close must return.
func TestCloseFromAnEventHandlerRunByDoEventsDoesNotWait(t *testing.T) {
	b := newBroker(t)
	h, p := hostPort(t, b.Addr())
	a := newClient(t)
	other := newClient(t, WithManualEvents(), WithSelectWait(5*time.Millisecond))
	entered, unblock, _ := blockingHandler(t, a)
	closed := make(chan struct{})
	var outOnce sync.Once
	other.OnMessageOut(func(e *MessageOutEvent) {
		if e.Destination != "/queue/manual-other" {
			return
		}
		outOnce.Do(func() {
			a.Close()
			close(closed)
			unblock()
		})
	})
	require.NoError(t, a.Connect(h, p))
	require.NoError(t, other.Connect(h, p))
	_, err := a.Subscribe("/queue/manual-running", false)
	require.NoError(t, err)
	require.NoError(t, a.SendMessage("/queue/manual-running", "x"))
	recv(t, entered)
	require.NoError(t, other.SendMessage("/queue/manual-other", "y"))
	loopDone := make(chan struct{})
	go func() {
		defer close(loopDone)
		for {
			select {
			case <-closed:
				return
			default:
			}
			if other.DoEvents() != nil {
				return
			}
		}
	}()
	select {
	case <-closed:
	case <-time.After(3 * time.Second):
		unblock()
		t.Fatal("a.Close called from b's OnMessageOut handler run by b.DoEvents did not return within 3s while a's MessageIn handler ran")
	}
	recv(t, loopDone)
}
