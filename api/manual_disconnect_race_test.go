package api

import (
	"context"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Disconnect (which pumps events in manual mode) or Interrupt racing
// Close, with messages queued behind a handler: each message received is
// handled once or counted dropped once.
func TestManualEventsDisconnectOrInterruptRacingCloseCountsEveryMessageOnce(t *testing.T) {
	for _, how := range []string{"disconnect", "interrupt"} {
		for _, mode := range []AckMode{AckAuto, AckClientIndividual} {
			t.Run(how+"/"+string(mode), func(t *testing.T) {
				b := newBroker(t)
				other := connectTo(t, b, "1.2")
				for round := range 10 {
					s := connectTo(t, b, "1.2", WithManualEvents(), WithLogLevel(0), WithDisconnectTimeout(200*time.Millisecond))
					h := newHandledOnce(round%5 + 1)
					dest := "/queue/manual-" + how + "-" + string(mode) + "-" + strconv.Itoa(round)
					_, err := s.SubscribeWith(context.Background(), dest, SubscribeOptions{AckMode: mode, Handler: h.handle})
					require.NoError(t, err)
					for i := range 20 {
						require.NoError(t, other.SendMessage(dest, strconv.Itoa(i)))
					}
					var wg sync.WaitGroup
					wg.Add(2)
					go func() {
						defer wg.Done()
						for s.DoEvents() == nil {
						}
					}()
					recv(t, h.reached)
					go func() {
						defer wg.Done()
						if how == "disconnect" {
							_ = s.Disconnect()
						} else {
							s.Interrupt()
						}
					}()
					s.Close()
					wg.Wait()
					checkEveryMessageCountedOnce(t, s, h)
				}
			})
		}
	}
}
