package api

import (
	"context"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stompactor/stompactor/frames"
	"github.com/stompactor/stompactor/sim"
)

// A handler that ends its goroutine (runtime.Goexit, which t.FailNow does
// when a test's handler calls it) is reported like a panic: its message
// is NACKed, the subscription goes on with the next ones, and Close
// returns.
func TestAHandlerThatEndsItsGoroutineIsReportedAndTheSubscriptionGoesOn(t *testing.T) {
	b := newBroker(t, sim.WithFrameLog(64))
	s := connectTo(t, b, "1.2")
	errs := collect(s.OnError)
	var calls atomic.Int32
	after := make(chan string, 2)
	_, err := s.SubscribeWith(context.Background(), "/queue/goexit", SubscribeOptions{AckMode: AckClientIndividual, Handler: func(e *MessageInEvent) {
		if calls.Add(1) == 1 {
			runtime.Goexit()
		}
		after <- string(e.Data)
	}})
	require.NoError(t, err)
	require.NoError(t, s.SendMessage("/queue/goexit", "first"))
	waitFrame(t, b, 1, frames.CmdNack)
	assert.Contains(t, recv(t, errs).Description, "ended its goroutine")
	require.NoError(t, s.SendMessage("/queue/goexit", "second"))
	// The NACKed message comes again (the simulator redelivers it).
	assert.ElementsMatch(t, []string{"first", "second"}, []string{recv(t, after), recv(t, after)})
	closesWithin(t, s, 10*time.Second)
}

// An event handler that ends its goroutine is reported, and the events
// after it still run.
func TestAnEventHandlerThatEndsItsGoroutineDoesNotStopTheEvents(t *testing.T) {
	b := newBroker(t)
	s := newClient(t)
	s.OnConnected(func(*ConnectedEvent) { runtime.Goexit() })
	subscribed := collect(s.OnSubscribed)
	h, p := hostPort(t, b.Addr())
	require.NoError(t, s.Connect(h, p))
	_, err := s.Subscribe("/queue/after-goexit", false)
	require.NoError(t, err)
	recv(t, subscribed)
	closesWithin(t, s, 10*time.Second)
}

// closesWithin fails the test if Close has not returned within d.
func closesWithin(t *testing.T, s *STOMP, d time.Duration) {
	t.Helper()
	done := make(chan struct{})
	go func() { s.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(d):
		t.Fatalf("Close did not return within %v", d)
	}
}

// In the manual mode the handler runs inside DoEvents: one that ends the
// caller's goroutine is reported and its message NACKed, and the next
// DoEvents runs the events after it.
func TestAHandlerThatEndsDoEventsGoroutineLeavesTheRestForTheNext(t *testing.T) {
	b := newBroker(t, sim.WithFrameLog(64))
	s := connectTo(t, b, "1.2", WithManualEvents(), WithSelectWait(5*time.Millisecond))
	errs := collect(s.OnError)
	var calls atomic.Int32
	var handled []string // appended only inside DoEvents, on one goroutine at a time
	_, err := s.SubscribeWith(context.Background(), "/queue/manual-goexit", SubscribeOptions{AckMode: AckClientIndividual, Handler: func(e *MessageInEvent) {
		if calls.Add(1) == 1 {
			runtime.Goexit()
		}
		handled = append(handled, string(e.Data))
	}})
	require.NoError(t, err)
	require.NoError(t, s.SendMessage("/queue/manual-goexit", "first"))
	exited := make(chan struct{})
	go func() {
		defer close(exited)
		for {
			if err := s.DoEvents(); err != nil {
				return
			}
		}
	}()
	recv(t, exited) // the handler ended the goroutine running DoEvents
	require.NoError(t, s.SendMessage("/queue/manual-goexit", "second"))
	doEventsUntil(t, s, "the messages after it", func() bool { return len(handled) == 2 })
	assert.ElementsMatch(t, []string{"first", "second"}, handled, "the NACKed message comes again")
	waitFrame(t, b, 1, frames.CmdNack)
	doEventsUntil(t, s, "the error", func() bool { return len(errs) > 0 })
	assert.Contains(t, (<-errs).Description, "ended its goroutine")
	closesWithin(t, s, 10*time.Second)
}

// A handler that acknowledged its message itself (an Ack in the handler,
// or ManualAck and an Ack from elsewhere) and then ends its goroutine:
// the client writes no NACK of its own for that message, as for a handler
// that panics (review 7: the engine NACKed it, and the broker ended the
// connection for an unknown ack id).
func TestAHandlerThatAckedItsMessageAndThenEndsItsGoroutineGetsNoNack(t *testing.T) {
	for _, manual := range []bool{false, true} {
		name := "AckInHandler"
		if manual {
			name = "ManualAckThenAckFromTest"
		}
		t.Run(name, func(t *testing.T) {
			b := newBroker(t, sim.WithFrameLog(64))
			s := connectTo(t, b, "1.2")
			errs := collect(s.OnError)
			ctx, cancel := context.WithTimeout(context.Background(), wait)
			defer cancel()
			acked := make(chan error, 1)
			evs := make(chan *MessageInEvent, 4)
			first := true
			_, err := s.SubscribeWith(ctx, "/queue/own", SubscribeOptions{AckMode: AckClientIndividual, ManualAck: manual,
				Handler: func(e *MessageInEvent) {
					if first {
						first = false
						if !manual {
							acked <- s.Ack(ctx, e)
						} else {
							evs <- e // a worker acknowledges it
						}
						runtime.Goexit() // t.FailNow in a test's handler
					}
					if manual {
						_ = s.Ack(ctx, e)
					}
				}})
			if err != nil {
				t.Fatal(err)
			}
			if err := s.SendMessage("/queue/own", "first"); err != nil {
				t.Fatal(err)
			}
			if !manual {
				if err := recv(t, acked); err != nil {
					t.Fatalf("Ack in the handler: %v", err)
				}
			}
			recv(t, errs) // "ended its goroutine"
			if manual {
				if err := s.Ack(ctx, recv(t, evs)); err != nil {
					t.Errorf("Ack of the message whose handler ended its goroutine: %v", err)
				}
			}
			// A second message, acknowledged normally: its ACK comes after
			// anything the client wrote for the first.
			if err := s.SendMessage("/queue/own", "second"); err != nil {
				t.Fatal(err)
			}
			var nacks, acks int
			gone := false
			waitFor(t, "two ACKs, a NACK or the end of the connection", func() bool {
				ci, ok := b.Connection(1)
				if !ok {
					gone = true
					return true
				}
				acks, nacks = 0, 0
				for _, f := range ci.Received {
					switch f.Command {
					case frames.CmdAck:
						acks++
					case frames.CmdNack:
						nacks++
					}
				}
				return acks >= 2 || nacks > 0
			})
			if gone {
				var msgs []string
				for len(errs) > 0 {
					msgs = append(msgs, (<-errs).Description)
				}
				t.Errorf("the connection ended after the program acknowledged the message itself; errors: %q", msgs)
			} else if nacks != 0 {
				t.Errorf("the client wrote %d NACK(s) for a message the program acknowledged itself (ACKs: %d)", nacks, acks)
			}
		})
	}
}

// SendMessageAsync's done is user code: one that ends its goroutine (t.FailNow
// on the failure it was told of) while the connection ends is reported, and
// the connection's end goes on (review 7: it cut the engine's step short,
// and Interrupt, Close and Connect waited for ever).
func TestAnAsyncDoneThatEndsItsGoroutineDoesNotWedgeTheClient(t *testing.T) {
	s, b := withholdingClient(t)
	h, p := hostPort(t, b.Addr())
	disconnected := collect(s.OnDisconnected)
	told := make(chan error, 1)
	sendWithheld(t, s, b, "/queue/async", exitOnFailure(told))
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	interrupted := make(chan struct{})
	go func() { s.Interrupt(); close(interrupted) }()
	if err := recv(t, told); err == nil {
		t.Error("done was told nil")
	}
	select {
	case <-interrupted:
	case <-time.After(5 * time.Second):
		// The session stopped mid-step: Interrupt waits for its answer
		// for ever, and so would Close. (The goroutines are left behind.)
		t.Fatal("Interrupt did not return within 5s after the done callback ended its goroutine")
	}
	select {
	case <-disconnected:
	case <-time.After(5 * time.Second):
		t.Errorf("no DisconnectedEvent after Interrupt (Connected()=%v)", s.Connected())
	}
	// The client can connect again.
	cctx, ccancel := context.WithTimeout(ctx, 5*time.Second)
	defer ccancel()
	if err := s.ConnectContext(cctx, h, p); err != nil {
		t.Errorf("Connect after the interrupted connection: %v", err)
	}
	closesWithin(t, s, 10*time.Second)
}

// A done that panics is reported and counted, and the outcomes after it
// are still told.
func TestAnAsyncDoneThatPanicsIsReportedAndTheOthersAreTold(t *testing.T) {
	b := newBroker(t, sim.WithPlan(sim.Plan{{Name: "no receipt", Kind: sim.WithholdReceipt, Times: -1}}))
	s := connectTo(t, b, "1.2")
	errs := collect(s.OnError)
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	second := make(chan error, 1)
	require.NoError(t, s.SendMessageAsync(ctx, "/queue/async-panic", "1", func(error) { panic("done bug") }))
	require.NoError(t, s.SendMessageAsync(ctx, "/queue/async-panic", "2", func(err error) { second <- err }))
	waitFor(t, "the broker to withhold both RECEIPTs", func() bool { return len(b.FaultEvents()) >= 2 })
	s.Interrupt()
	require.ErrorIs(t, recv(t, second), ErrOutcomeUnknown)
	assert.Contains(t, recv(t, errs).Description, "done bug")
	assert.EqualValues(t, 1, s.Stats().Panics)
}

// The done callbacks of reliable sends run on a goroutine of their own
// (review 9: one that ended its goroutine when Close told it of its
// outcome stopped the engine from ever finishing, and a slow one held
// CloseContext past its context).
func TestAnAsyncDoneThatEndsItsGoroutineAtCloseDoesNotWedgeClose(t *testing.T) {
	s, b := withholdingClient(t)
	told := make(chan error, 1)
	sendWithheld(t, s, b, "/queue/async-close", exitOnFailure(told))
	closed := make(chan struct{})
	go func() { s.Close(); close(closed) }()
	if err := recv(t, told); err == nil {
		t.Error("done was told nil")
	}
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not return within 5s after the done callback ended its goroutine (the goroutines are left behind)")
	}
}

// Review 9: since 31c3eb4 the engine's CloseContext, once ctx ended,
// keeps waiting (polling every millisecond) for as long as no MessageIn
// handler runs. A done callback of a reliable send is user code that runs
// on the session actor (c8dc7ca) but is not counted as a handler: while a
// slow one runs, CloseContext with an ended context waits for it with no
// bound, where before it returned ctx.Err().
func TestCloseContextIsBoundedWhileASlowDoneRuns(t *testing.T) {
	s, b := withholdingClient(t)
	release := make(chan struct{})
	entered := make(chan struct{}, 1)
	sendWithheld(t, s, b, "/queue/async-slow", func(err error) {
		entered <- struct{}{}
		select { // a slow done (bounded, so nothing leaks)
		case <-release:
		case <-time.After(30 * time.Second):
		}
	})
	cctx, ccancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer ccancel()
	returned := make(chan error, 1)
	go func() { returned <- s.CloseContext(cctx) }()
	recv(t, entered)
	done := false
	select {
	case <-returned:
		done = true
	case <-time.After(5 * time.Second):
		t.Error("CloseContext with a 200ms context did not return within 5s while a done callback ran")
	}
	close(release)
	if !done {
		select {
		case <-returned:
		case <-time.After(10 * time.Second):
			t.Error("CloseContext did not return after the done did")
		}
	}
	closesWithin(t, s, 10*time.Second)
}

// A synchronous at-least-once send hears its own outcome at once, traced
// or not, never behind another sender's slow done callback (review 10:
// traced, it waited behind them and failed although the broker had
// confirmed it).
func TestASyncAtLeastOnceSendIsNotToldBehindAnAsyncDone(t *testing.T) {
	for _, traced := range []bool{false, true} {
		name := "untraced"
		if traced {
			name = "traced"
		}
		t.Run(name, func(t *testing.T) {
			b := newBroker(t)
			opts := []Option{WithAtLeastOnce(AtLeastOnce{Enabled: true})}
			if traced {
				tp, _ := recorded(t)
				opts = append(opts, WithTracing(Tracing{TracerProvider: tp, Propagator: w3c}))
			}
			s := connectTo(t, b, "1.2", opts...)
			entered := make(chan struct{}, 1)
			release := make(chan struct{})
			returned := make(chan struct{})
			require.NoError(t, s.SendMessageAsync(context.Background(), "/queue/r10-slow", "a", func(error) {
				entered <- struct{}{}
				select { // a slow done, bounded
				case <-release:
				case <-time.After(wait):
				}
				close(returned)
			}))
			recv(t, entered)
			ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
			defer cancel()
			err := s.SendMessageContext(ctx, "/queue/r10-sync", "b")
			close(release)
			recv(t, returned)
			require.NoError(t, err, "the broker confirmed the sync send at once; its wait queued behind the slow async done")
		})
	}
}

// Close called from inside a done callback returns (it must not wait for
// the done that calls it), and a Close from outside waits for a running
// done, so that the engine is free once it returns.
func TestCloseFromInsideADoneReturns(t *testing.T) {
	s, b := withholdingClient(t)
	closed := make(chan struct{})
	sendWithheld(t, s, b, "/queue/close-in-done", func(err error) {
		s.Close()
		close(closed)
	})
	s.Interrupt() // the done is told, and closes the client
	recv(t, closed)
	closesWithin(t, s, 10*time.Second)
}

// A done that calls Close, and an OnDisconnected handler that calls Close
// (on the DisconnectedEvent that first Close makes) both return (review
// 12: the done's Close waited for the event queue, and the handler's, a
// second Close, waited in the engine for the runner goroutine running
// the done).
func TestCloseFromADoneAndFromOnDisconnectedBothReturn(t *testing.T) {
	b := newBroker(t)
	h, p := hostPort(t, b.Addr())
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	s := NewSTOMP()
	handlerClosed := make(chan struct{}, 1)
	s.OnDisconnected(func(*DisconnectedEvent) {
		s.Close()
		select {
		case handlerClosed <- struct{}{}:
		default:
		}
	})
	require.NoError(t, s.ConnectContext(ctx, h, p))
	doneClosed := make(chan struct{})
	require.NoError(t, s.SendMessageAsync(ctx, "/queue/close-in-done", "m", func(err error) {
		s.Close()
		close(doneClosed)
	}))
	select {
	case <-doneClosed:
	case <-time.After(10 * time.Second):
		t.Fatalf("Close from inside the done did not return within 10s (handlerClosed=%d)", len(handlerClosed))
	}
	select {
	case <-handlerClosed:
	case <-time.After(10 * time.Second):
		t.Fatal("Close from OnDisconnected did not return within 10s")
	}
}

// withholdingClient connects a client, which the test closes itself
// (within a bound), to a broker that withholds every RECEIPT.
func withholdingClient(t *testing.T) (*STOMP, *sim.Broker) {
	t.Helper()
	b := newBroker(t, sim.WithPlan(sim.Plan{{Name: "no receipt", Kind: sim.WithholdReceipt, Times: -1}}))
	h, p := hostPort(t, b.Addr())
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	s := NewSTOMP()
	require.NoError(t, s.ConnectContext(ctx, h, p))
	return s, b
}

// sendWithheld sends a message at least once with done, and returns once
// the broker withheld its RECEIPT: done hears of it when the connection
// ends.
func sendWithheld(t *testing.T, s *STOMP, b *sim.Broker, destination string, done func(error)) {
	t.Helper()
	before := len(b.FaultEvents())
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	require.NoError(t, s.SendMessageAsync(ctx, destination, "m", done))
	waitFor(t, "the broker to withhold the RECEIPT", func() bool { return len(b.FaultEvents()) > before })
}

// exitOnFailure is a done that passes its outcome on to told and ends
// its goroutine on a failure, as t.FailNow would.
func exitOnFailure(told chan<- error) func(error) {
	return func(err error) {
		told <- err
		if err != nil {
			runtime.Goexit()
		}
	}
}
