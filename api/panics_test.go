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

// fails are the ways a handler fails: a panic, or the end of its goroutine
// (runtime.Goexit, which t.FailNow calls).
var fails = map[string]func(){
	"panic":  func() { panic("handler bug") },
	"Goexit": runtime.Goexit,
}

// A MessageIn handler that panics, or ends its goroutine, counts once in
// Stats.Panics: the api recovers the panic (the engine never sees it),
// and the engine counts a Goexit on its own goroutine, the api one on
// DoEvents' (the manual mode).
func TestStatsCountAFailedMessageInHandlerOnce(t *testing.T) {
	for name, fail := range fails {
		for _, manual := range []bool{false, true} {
			mode := map[bool]string{false: "", true: " inside DoEvents"}[manual]
			t.Run(name+mode, func(t *testing.T) {
				b := newBroker(t, sim.WithFrameLog(64))
				var opts []Option
				if manual {
					opts = append(opts, WithManualEvents(), WithSelectWait(5*time.Millisecond))
				}
				s := connectTo(t, b, "1.2", opts...)
				var calls atomic.Int32
				_, err := s.SubscribeWith(context.Background(), "/queue/fail", SubscribeOptions{AckMode: AckClientIndividual,
					Handler: func(*MessageInEvent) {
						if calls.Add(1) == 1 {
							fail()
						}
					}})
				require.NoError(t, err)
				loop := make(chan struct{})
				if manual {
					go func() {
						defer close(loop)
						for s.DoEvents() == nil {
						}
					}()
				} else {
					close(loop)
				}
				require.NoError(t, s.SendMessage("/queue/fail", "x"))
				// The NACK is written once the handler's failure was
				// counted.
				waitFrame(t, b, 1, frames.CmdNack)
				assert.Equal(t, int64(1), s.Stats().Panics)
				closesWithin(t, s, 10*time.Second)
				recv(t, loop)
			})
		}
	}
}

// An event handler that panics, or ends its goroutine, counts once in
// Stats.Panics.
func TestStatsCountAFailedEventHandlerOnce(t *testing.T) {
	for name, fail := range fails {
		t.Run(name, func(t *testing.T) {
			b := newBroker(t)
			s := newClient(t)
			s.OnConnected(func(*ConnectedEvent) { fail() })
			subscribed := collect(s.OnSubscribed)
			h, p := hostPort(t, b.Addr())
			require.NoError(t, s.Connect(h, p))
			_, err := s.Subscribe("/queue/after-fail", false)
			require.NoError(t, err)
			recv(t, subscribed) // events run in order: OnConnected's ended
			assert.Equal(t, int64(1), s.Stats().Panics)
		})
	}
}
