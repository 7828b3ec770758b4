package actors

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// A later Close called from inside a handler (or a DeadLetter hook) while
// the first Close, on another goroutine, is still inside its work returns
// once the connection is closed: it must not deadlock.
func TestALaterCloseFromAHandlerOrHookReturns(t *testing.T) {
	for _, hook := range []bool{false, true} {
		name := "handler"
		if hook {
			name = "deadletter"
		}
		t.Run(name, func(t *testing.T) {
			c, e := messageOnSend(t, "ack", "a1", HdrDeliveryCount, "9")
			inHandler := make(chan struct{})
			goOn := make(chan struct{})
			returned := make(chan bool, 1)
			body := func() {
				close(inHandler)
				<-goOn
				c.Close()
				select {
				case <-c.closed:
					returned <- true
				default:
					returned <- false
				}
			}
			spec := SubscribeSpec{ID: "s1", Destination: "/queue/p", Mode: AckClientIndividual}
			if hook {
				spec.MaxDeliveries = 3
				spec.Handler = func(Message) AckAction { return AckAck }
				spec.DeadLetter = func(Message) { body() }
			} else {
				spec.Handler = func(Message) AckAction { body(); return AckAck }
			}
			_, err := c.Subscribe(testCtx(t), spec)
			require.NoError(t, err)
			require.NoError(t, c.Send(testCtx(t), sendFrame("/queue/go", "go"), 0, true))
			recv(t, inHandler, "the handler")
			ob := c.outbox(OutboxConfig{})
			ob.post.Lock()
			firstDone := make(chan struct{})
			go func() { c.Close(); close(firstDone) }()
			waitFor(t, "the first Close to begin", func() bool { return c.finished.Load() != nil })
			close(goOn) // the handler's Close is now a later one, and waits for down
			ob.post.Unlock()
			require.True(t, recv(t, returned, "the later Close from inside "+name), "returned before the connection was closed")
			recv(t, firstDone, "the first Close")
			waitFor(t, "the connection's actors to stop", func() bool { return e.Actors() == 0 && e.Connections() == 0 })
			require.NoError(t, e.Close())
		})
	}
}
