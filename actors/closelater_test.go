package actors

import (
	"runtime"
	"testing"
	"time"

	"github.com/stompactor/stompactor/frames"
	"github.com/stretchr/testify/require"
)

// A later Close from a goroutine that is no handler, while some handler of
// the connection runs, returns once the connection is closed and the
// handler returned, as the first does (here the first Close is held at
// the outbox's lock, the test's way to keep it inside its work).
func TestALaterCloseWhileAHandlerRunsReturnsOnceTheConnectionIsClosed(t *testing.T) {
	c, e := messageOnSend(t)
	inHandler := make(chan struct{})
	release := make(chan struct{})
	_, err := c.Subscribe(testCtx(t), SubscribeSpec{ID: "s1", Destination: "/queue/p",
		Handler: func(Message) AckAction { close(inHandler); <-release; return AckAck }})
	require.NoError(t, err)
	require.NoError(t, c.Send(testCtx(t), sendFrame("/queue/go", "go"), 0, true))
	recv(t, inHandler, "the handler")

	ob := c.outbox(OutboxConfig{})
	ob.post.Lock()
	firstDone := make(chan struct{})
	go func() { c.Close(); close(firstDone) }()
	waitFor(t, "the first Close to begin", func() bool { return c.finished.Load() != nil })

	// The second, on a goroutine that is no handler: it must not return
	// before the connection is closed.
	closedYet := make(chan bool, 1)
	started := make(chan struct{})
	go func() {
		close(started)
		c.Close()
		select {
		case <-c.closed:
			closedYet <- true
		default:
			closedYet <- false
		}
	}()
	// The first Close can only go on once the lock is given back: let
	// the second reach its wait first (which, were it wrong, returns
	// before the connection is closed; right, it waits either way).
	<-started
	for range 100 {
		runtime.Gosched()
	}
	ob.post.Unlock()
	close(release)
	closed := recv(t, closedYet, "the second Close")
	recv(t, firstDone, "the first Close")
	waitFor(t, "the connection's actors to stop", func() bool { return e.Actors() == 0 && e.Connections() == 0 })
	require.NoError(t, e.Close())
	require.True(t, closed, "the second Close returned while the connection was still open")
}

// A broker that refuses a SUBSCRIBE with an ERROR naming its receipt (and
// keeps the connection, as ActiveMQ does after some errors) holds no
// subscription: Subscribe fails with that ERROR and writes no UNSUBSCRIBE,
// which such a broker would answer with a second ERROR.
func TestASubscribeTheBrokerRefusedIsNotUnsubscribed(t *testing.T) {
	srv, got := newBroker(t, connectedFrame("1.2"), func(p *peer, f *frames.Frame) bool {
		if f.Command == frames.CmdSubscribe {
			p.write(rawFrame("ERROR", "", "message", "not authorized to read /queue/secret", "receipt-id", f.Header(frames.HdrReceipt)))
			return true
		}
		receiptFor(p, f)
		return true
	})
	e := NewEngine(EngineOptions{})
	c := mustConn(t, e, ConnOptions{})
	connectTo(t, c, srv.addr(), ConnectConfig{})
	expectFrame(t, got, frames.CmdConnect)
	_, err := c.Subscribe(testCtx(t), SubscribeSpec{ID: "s1", Destination: "/queue/secret", Receipt: 5 * time.Second, Handler: func(Message) AckAction { return AckNone }})
	require.True(t, IsServerError(err), "err %v", err)
	expectFrame(t, got, frames.CmdSubscribe)
	require.NoError(t, c.Send(testCtx(t), sendFrame("/queue/marker", "m"), time.Second*5, true))
	var unsub *frames.Frame
	for {
		f := nextFrame(t, got)
		if f.Command == frames.CmdUnsubscribe {
			unsub = f
		}
		if f.Command == frames.CmdSend {
			break
		}
	}
	c.Close()
	waitFor(t, "the connection's actors to stop", func() bool { return e.Actors() == 0 && e.Connections() == 0 })
	require.NoError(t, e.Close())
	require.Nil(t, unsub, "UNSUBSCRIBE %v written for a subscription the broker refused", unsub)
}

// messageOnSend connects a client, on an engine of its own, to a broker
// that answers every SEND with a MESSAGE "m" of subscription s1 on
// /queue/p, with the extra headers given (name, value, ...).
func messageOnSend(t *testing.T, extra ...string) (*Conn, *Engine) {
	t.Helper()
	hs := append([]string{"subscription", "s1", "message-id", "m1", "destination", "/queue/p"}, extra...)
	srv, got := newBroker(t, connectedFrame("1.2"), func(p *peer, f *frames.Frame) bool {
		receiptFor(p, f)
		if f.Command == frames.CmdSend {
			p.write(rawFrame("MESSAGE", "m", hs...))
		}
		return true
	})
	e := NewEngine(EngineOptions{})
	c := mustConn(t, e, ConnOptions{})
	connectTo(t, c, srv.addr(), ConnectConfig{})
	expectFrame(t, got, frames.CmdConnect)
	return c, e
}
