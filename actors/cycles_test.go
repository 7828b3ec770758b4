package actors

import (
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/stompactor/stompactor/frames"
	"github.com/stompactor/stompactor/sim"
)

// A thousand connect / fault / disconnect cycles leave no actor and no
// goroutine behind: some connections end cleanly, some are cut by the
// broker mid-way, some are interrupted, some closed while connected.
func TestThousandCyclesLeaveNothingBehind(t *testing.T) {
	cycles := 1000
	if testing.Short() {
		cycles = 100
	}
	// Every third connection is cut after its second frame.
	b, err := sim.NewBroker(sim.WithPlan(sim.Plan{{Name: "cut", Kind: sim.DropConn, AfterFrames: 2, Seed: 7}}))
	require.NoError(t, err)
	t.Cleanup(func() { _ = b.Close() })
	e := NewEngine(EngineOptions{})
	before := runtime.NumGoroutine()
	for i := range cycles {
		c := mustConn(t, e, ConnOptions{})
		_, err := c.Connect(testCtx(t), ConnectConfig{Addr: b.Addr(), Reconnect: ReconnectPolicy{Enabled: i%4 == 0, InitialDelay: time.Millisecond, MaxDelay: 2 * time.Millisecond}})
		if err == nil {
			_, _ = c.Subscribe(testCtx(t), SubscribeSpec{Destination: "/queue/cycles", Receipt: time.Second})
			_ = c.Send(testCtx(t), frames.New(frames.CmdSend, frames.HdrDestination, "/queue/cycles"), time.Second, true)
			switch i % 3 {
			case 0:
				_ = c.Disconnect(testCtx(t), true, time.Second)
			case 1:
				c.Interrupt()
			}
		}
		c.Close()
	}
	require.Zero(t, e.Actors(), "actors left behind")
	require.Zero(t, e.Connections())
	require.NoError(t, e.Close())
	waitFor(t, "the goroutines to end", func() bool { return runtime.NumGoroutine() <= before })
}
