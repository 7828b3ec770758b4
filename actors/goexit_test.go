package actors

import (
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/stompactor/stompactor/frames"
)

// A handler that ends its goroutine (runtime.Goexit, which t.FailNow
// calls) is reported like a panic and its message NACKed; the messages
// handed over with it in the same batch, and those after, are still
// handled in order, and Close returns.
func TestAHandlerThatEndsItsGoroutineDoesNotStopItsSubscription(t *testing.T) {
	srv, got := newBroker(t, connectedFrame("1.2"), onSubscribe(func(f *frames.Frame) string {
		id := f.Header("id")
		return message(frames.V12, id, "m1", "/q", "exit") + message(frames.V12, id, "m2", "/q", "fine") +
			message(frames.V12, id, "m3", "/q", "exit") + message(frames.V12, id, "m4", "/q", "fine")
	}))
	c, rec := newTestClient(t, ConnOptions{})
	connectTo(t, c, srv.addr(), ConnectConfig{})
	expectFrame(t, got, frames.CmdConnect)
	_, err := c.Subscribe(testCtx(t), SubscribeSpec{ID: "s1", Destination: "/q", Mode: AckClientIndividual, Handler: func(m Message) AckAction {
		if string(m.Body) == "exit" {
			runtime.Goexit()
		}
		return AckAck
	}})
	require.NoError(t, err)
	expectFrame(t, got, frames.CmdSubscribe)
	requireAck(t, expectFrame(t, got, frames.CmdNack), frames.V12, "s1", "m1", "")
	requireAck(t, expectFrame(t, got, frames.CmdAck), frames.V12, "s1", "m2", "")
	requireAck(t, expectFrame(t, got, frames.CmdNack), frames.V12, "s1", "m3", "")
	requireAck(t, expectFrame(t, got, frames.CmdAck), frames.V12, "s1", "m4", "")
	require.ErrorContains(t, waitEvent[*ErrorEvent](t, rec, nil).Err, "ended its goroutine")
	require.Equal(t, int64(2), c.Stats().Panics)
	closesWithin(t, c, 10*time.Second)
}

// A DeadLetter handler that ends its goroutine is reported and has not
// taken its message: it is NACKed (for the broker to deliver again), as
// after a handler that does the same, and the subscription goes on.
func TestADeadLetterHandlerThatEndsItsGoroutineRefusesItsMessage(t *testing.T) {
	srv, got := newBroker(t, connectedFrame("1.2"), func(p *peer, f *frames.Frame) bool {
		if f.Command == frames.CmdSubscribe {
			p.write(rawFrame("MESSAGE", "x", "subscription", f.Header("id"), "message-id", "m1", "destination", "/q", "ack", "a1", HdrDeliveryCount, "7") +
				rawFrame("MESSAGE", "y", "subscription", f.Header("id"), "message-id", "m2", "destination", "/q", "ack", "a2"))
		}
		return true
	})
	c, rec := newTestClient(t, ConnOptions{})
	connectTo(t, c, srv.addr(), ConnectConfig{})
	handled := make(chan string, 1)
	_, err := c.Subscribe(testCtx(t), SubscribeSpec{Destination: "/q", Mode: AckClientIndividual, MaxDeliveries: 5,
		DeadLetter: func(Message) { runtime.Goexit() },
		Handler:    func(m Message) AckAction { handled <- m.MessageID; return AckAck }})
	require.NoError(t, err)
	expectFrame(t, got, frames.CmdConnect)
	expectFrame(t, got, frames.CmdSubscribe)
	require.Equal(t, "a1", expectFrame(t, got, frames.CmdNack).Header("id"), "the message the hook failed to take is refused, not acknowledged")
	require.Equal(t, "m2", recv(t, handled, "the message behind it"))
	require.Equal(t, "a2", expectFrame(t, got, frames.CmdAck).Header("id"))
	require.ErrorContains(t, waitEvent[*ErrorEvent](t, rec, nil).Err, "dead-letter handler ended its goroutine")
	require.Zero(t, c.Stats().DeadLettered, "not dead-lettered: the hook did not take it")
	closesWithin(t, c, 10*time.Second)
}

// closesWithin fails the test if Close has not returned within d.
func closesWithin(t *testing.T, c *Conn, d time.Duration) {
	t.Helper()
	done := make(chan struct{})
	go func() { c.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(d):
		t.Fatalf("Close did not return within %v", d)
	}
}

// Close from outside waits for a done that runs when it is called, so the
// engine has no connection left once Close returned.
func TestCloseWaitsForARunningDone(t *testing.T) {
	b := newSim(t)
	e := NewEngine(EngineOptions{})
	c := mustConn(t, e, ConnOptions{})
	connectTo(t, c, b.Addr(), ConnectConfig{})
	entered, release := make(chan struct{}), make(chan struct{})
	require.NoError(t, c.SendReliable(testCtx(t), sendFrame("/queue/slow-done", "x"), OutboxConfig{}, func(error) {
		close(entered)
		<-release
	}))
	recv(t, entered, "the done") // the RECEIPT came: the done runs
	closed := make(chan struct{})
	go func() { c.Close(); close(closed) }()
	select { // nothing may happen here: Close waits while the done runs
	case <-closed:
		t.Fatal("Close returned while a done ran")
	case <-time.After(100 * time.Millisecond):
	}
	close(release)
	recv(t, closed, "Close")
	require.NoError(t, e.Close(), "no connection left")
}
