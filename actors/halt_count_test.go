package actors

import (
	"runtime"
	"sync/atomic"

	"github.com/stompactor/stompactor/frames"
	"testing"

	"github.com/stretchr/testify/require"
)

// Review 15, finding 1: haltHandovers used to set sub.halted and only
// then count the rest (haltTurn read rt.queued); the actor skipped
// uncounted every message it found halted in between. The halt is now
// one step (haltTurn: the turn becomes halted and the queue's count is
// taken with it), and the actor skips only what that step counted. These
// replays, step by step on one goroutine, put the halt at each place it
// can fall relative to the actor's batch: every message is handled or
// counted dropped, exactly once.
func TestAHaltLandingInAHandoversBatchCountsEveryMessageNotHandedOnOnce(t *testing.T) {
	const n = 3
	for _, haltAt := range []int{-1, 0, 1, 2, n} { // -1: before the batch; i: during message i's handler; n: after it
		c, _ := newTestClient(t, ConnOptions{})
		var s *subscription
		handled := 0
		spec := &SubscribeSpec{ID: "h", Destination: "/queue/h", Mode: AckAuto, QueueSize: 10, QueueBytes: 1 << 20,
			Handler: func(Message) AckAction {
				if handled == haltAt {
					c.stats.Dropped.Add(s.haltTurn()) // the session, while this message's delivery runs
				}
				handled++
				return AckNone
			}}
		rt := newRoute(spec)
		s = &subscription{c: c, spec: spec, rt: rt}
		// A handover under way: Unsubscribe ended the route; three
		// auto-ack messages are queued for the handler.
		s.handingOver.Store(true)
		rt.end()
		b := newBatch(n)
		for range n {
			require.True(t, rt.take(1))
			b.msgs = append(b.msgs, Message{rt: rt, size: 1})
		}
		before := c.Stats().Dropped
		if haltAt < 0 {
			c.stats.Dropped.Add(s.haltTurn())
		}
		s.deliverFrom(b, 0)
		if haltAt == n {
			c.stats.Dropped.Add(s.haltTurn())
		}
		dropped := c.Stats().Dropped - before
		wantHandled := min(max(haltAt+1, 0), n)
		require.Equal(t, wantHandled, handled, "halt at %d: the messages whose delivery started before the halt are handled", haltAt)
		require.Equal(t, int64(n-wantHandled), dropped,
			"halt at %d: messages of a halted handover that were not handed on must each be counted dropped once", haltAt)
		// The places given back are those of the messages handled
		// before the halt; the rest stay counted in the halted queue.
		require.Equal(t, int64(n-min(max(haltAt, 0), n)), rt.queued.Load()&^haltBit, "halt at %d", haltAt)
	}
}

// The same race end to end: a fast handler works through a handover's
// queue while the connection ends for good (Interrupt). A halt that lands
// while the actor gives back a message's place (turnReleasing: haltTurn
// yields, runtime.Gosched) or between the session's halted.Store and its
// haltTurn lets the actor skip the messages after it uncounted. Every
// message received must end up handled or counted dropped.
func TestAHaltDuringAFastHandoverCountsEveryMessageHandledOrDropped(t *testing.T) {
	b := newSim(t)
	c, _ := newTestClient(t, ConnOptions{})
	connectTo(t, c, b.Addr(), ConnectConfig{})
	var handled atomic.Int64
	const n = 4000
	gate := make(chan struct{})
	id, err := c.Subscribe(testCtx(t), SubscribeSpec{Destination: "/queue/r15h", QueueSize: 2 * n, Handler: func(m Message) AckAction {
		if handled.Add(1) == 1 {
			<-gate
		}
		return AckNone
	}})
	require.NoError(t, err)
	p, _ := newTestClient(t, ConnOptions{})
	connectTo(t, p, b.Addr(), ConnectConfig{})
	for range n {
		f := frames.New(frames.CmdSend, frames.HdrDestination, "/queue/r15h")
		f.Body = []byte("m")
		require.NoError(t, p.Send(testCtx(t), f, 0, false))
	}
	waitFor(t, "every message received", func() bool { return c.Stats().MessagesIn == n })
	pid := c.routes.Load().find(id).pid
	require.NoError(t, c.Unsubscribe(testCtx(t), id, 0))
	close(gate)
	// Let the handover run a little, then end the connection for good.
	for handled.Load() < n/8 {
		runtime.Gosched()
	}
	c.Interrupt()
	waitFor(t, "the subscription's actor to stop", func() bool {
		_, live := c.eng.sys.ProcessRegistry.GetLocal(pid.Id)
		return !live
	})
	st := c.Stats()
	t.Logf("in %d handled %d dropped %d", st.MessagesIn, handled.Load(), st.Dropped)
	require.Equal(t, st.MessagesIn, handled.Load()+st.Dropped,
		"every message received is handled or counted dropped once: MessagesIn %d, handled %d, Dropped %d", st.MessagesIn, handled.Load(), st.Dropped)
}

// Review 15, finding 2: a MESSAGE the reader admitted (rt.take, counted
// in rt.queued) just as Unsubscribe ended the route is then dropped by
// the reader (reader.deliver: draining and ended, dropTaken). A halt
// (haltTurn) that counts the queue between the reader's take and that
// drop used to count it a second time. Replayed step by step, with the
// halt before and after the drop: the reader's take, the session's halt,
// the reader's drop, the actor's skip.
func TestAHaltBetweenTheReadersTakeAndDropCountsItOnce(t *testing.T) {
	for _, haltFirst := range []bool{true, false} {
		c, _ := newTestClient(t, ConnOptions{})
		spec := &SubscribeSpec{ID: "h2", Destination: "/queue/h2", Mode: AckAuto, QueueSize: 10, QueueBytes: 1 << 20}
		rt := newRoute(spec)
		s := &subscription{c: c, spec: spec, rt: rt}
		// Two messages queued for the handover's handler.
		const queued = 2
		b := newBatch(queued)
		for range queued {
			require.True(t, rt.take(1))
			b.msgs = append(b.msgs, Message{rt: rt, size: 1})
		}
		// Reader: it found the route before Unsubscribe ended it, and
		// admits a third message (reader.admit: rt.take).
		require.True(t, rt.take(1))
		// Session: Unsubscribe (draining, handingOver, end), then the
		// connection's end for good halts the handover (haltHandovers).
		rt.draining.Store(true)
		s.handingOver.Store(true)
		rt.end()
		before := c.Stats().Dropped
		if haltFirst {
			c.stats.Dropped.Add(s.haltTurn())
		}
		// Reader: draining and ended: it drops the third (reader.deliver).
		c.dropTaken(rt, 1)
		if !haltFirst {
			c.stats.Dropped.Add(s.haltTurn())
		}
		// Actor: skips the two queued.
		s.deliverFrom(b, 0)
		// A reader that finds the halted queue takes no place in it.
		require.False(t, rt.take(1))

		require.Equal(t, int64(queued+1), c.Stats().Dropped-before,
			"halt first %v: three messages were not handed on: each is counted dropped once", haltFirst)
	}
}
