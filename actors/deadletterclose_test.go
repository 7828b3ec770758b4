package actors

import (
	"testing"
	"time"

	"github.com/stompactor/stompactor/frames"
	"github.com/stretchr/testify/require"
)

// Close called from a DeadLetter hook (user code on the subscription's
// goroutine, like a handler) returns: the hook counts as a running
// handler, so Close does not wait for the actor that runs it.
func TestCloseFromADeadLetterHookReturns(t *testing.T) {
	srv, got := newBroker(t, connectedFrame("1.2"), func(p *peer, f *frames.Frame) bool {
		receiptFor(p, f)
		if f.Command == frames.CmdSend { // the test's go-ahead, once Subscribe returned
			p.write(rawFrame("MESSAGE", "poison", "subscription", "s1", "message-id", "m1", "ack", "a1", "destination", "/queue/p", HdrDeliveryCount, "9"))
		}
		return true
	})
	// No cleanup Close: once the defect bites, every Close of c hangs;
	// the goroutines left then show in goleak's report.
	c := mustConn(t, NewEngine(EngineOptions{}), ConnOptions{})
	connectTo(t, c, srv.addr(), ConnectConfig{})
	expectFrame(t, got, frames.CmdConnect)
	returned := make(chan struct{})
	entered := make(chan struct{})
	_, err := c.Subscribe(testCtx(t), SubscribeSpec{ID: "s1", Destination: "/queue/p", Mode: AckClientIndividual, MaxDeliveries: 3,
		Handler: func(Message) AckAction { return AckAck },
		DeadLetter: func(Message) {
			close(entered)
			c.Close()
			close(returned)
		}})
	require.NoError(t, err)
	require.NoError(t, c.Send(testCtx(t), sendFrame("/queue/go", "go"), 0, true))
	recv(t, entered, "the dead-letter hook")
	select {
	case <-returned:
		waitFor(t, "the connection's actors to stop", func() bool { return c.Engine().Actors() == 0 && c.Engine().Connections() == 0 })
		require.NoError(t, c.Engine().Close())
	case <-time.After(5 * time.Second):
		t.Fatal("Close called from a DeadLetter hook never returned (finish waits for the subscription actor that runs the hook)")
	}
}
