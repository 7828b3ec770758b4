package bench

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stompactor/stompactor/frames"
)

// stalledBroker answers CONNECT, then either stops reading (a broker in
// a resource alarm, a stopped process) or reads on and never answers a
// receipt (a broker still working through a backlog). It tells accepted
// of each connection once CONNECTED is written.
func stalledBroker(t *testing.T, readOn bool) (*Target, <-chan struct{}) {
	release := make(chan struct{})
	accepted := make(chan struct{}, 16)
	srv, err := startServer("", func(c net.Conn) {
		dec := frames.NewDecoder(c, frames.V12, peerLimits)
		w := frames.NewWriter(c, frames.Encoder{Version: frames.V12})
		for {
			f, err := dec.Decode()
			if err != nil {
				return
			}
			if f.Command == frames.CmdConnect || f.Command == frames.CmdStomp {
				_ = w.WriteFrame(frames.New(frames.CmdConnected, frames.HdrVersion, "1.2", frames.HdrHeartBeat, "0,0"))
				_ = w.Flush()
				accepted <- struct{}{}
				if !readOn {
					<-release
					return
				}
			}
		}
	})
	require.NoError(t, err)
	t.Cleanup(func() { _ = srv.Close() })
	t.Cleanup(func() { close(release) })
	return &Target{Name: "stalled", Addr: srv.Addr()}, accepted
}

// A run is interrupted (Ctrl-C: the command cancels Run's context) while
// a raw loop talks to a broker that has stopped reading, or that has not
// answered a RECEIPT yet (the last SEND's, or a SUBSCRIBE's). Run returns
// at once, its error saying the run was interrupted; before, the raw
// loops' writes and RECEIPT waits did not watch the context, and Run
// returned only when the raw loop's own --timeout expired (6 s here; 30
// s by default), with "i/o timeout".
func TestInterruptEndsARawPublishToAStalledBroker(t *testing.T) {
	for _, scenario := range []string{"publish", "pubsub", "latency"} {
		for name, readOn := range map[string]bool{"broker stopped reading": false, "receipt not answered yet": true} {
			t.Run(scenario+"/"+name, func(t *testing.T) {
				target, accepted := stalledBroker(t, readOn)
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				type result struct {
					rep *Report
					err error
				}
				done := make(chan result, 1)
				go func() {
					rep, err := Run(ctx, Config{Scenarios: []string{scenario}, Sizes: []int{64 << 10},
						Duration: 300 * time.Millisecond, Timeout: 6 * time.Second, Broker: target})
					done <- result{rep, err}
				}()
				select {
				case <-accepted:
				case <-time.After(10 * time.Second):
					t.Fatal("the raw side never connected")
				}
				// Whenever the interrupt comes, the raw loop ends up blocked
				// in a write (buffers full) or waiting for a RECEIPT.
				cancel()
				start := time.Now()
				select {
				case r := <-done:
					took := time.Since(start)
					t.Logf("Run returned %v %s after the interrupt", r.err, took.Round(time.Millisecond))
					assert.ErrorIs(t, r.err, context.Canceled)
					assert.ErrorContains(t, r.err, "raw reference: interrupted")
					assert.Less(t, took, 2*time.Second, "an interrupted run should end promptly, not after --timeout")
				case <-time.After(20 * time.Second):
					t.Fatal("Run did not return within 20s of its context's end")
				}
			})
		}
	}
}
