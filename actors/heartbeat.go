package actors

import (
	"time"

	"github.com/asynkron/protoactor-go/actor"
)

// heartbeatState keeps a connection alive in both directions. It sends an
// EOL when nothing was written for half the outgoing interval (so the gap
// never exceeds the interval), and reports the server silent when no byte
// arrived for tolerance times the incoming interval, not counting time the
// reader spent paused for backpressure.
type heartbeatState struct {
	c                   *Client
	l                   *link
	session, writer     *actor.PID
	out, in             time.Duration
	tolerance           float64
	sendTimer, chkTimer *time.Timer
	// seq numbers the armed timers: a tick armed before a restart carries
	// an older number and is ignored, so a restart never runs two loops.
	seq uint64
}

type heartbeat struct{ *heartbeatState }

func newHeartbeatProducer(c *Client, l *link, session, writer *actor.PID, out, in time.Duration, tolerance float64) actor.Producer {
	st := &heartbeatState{c: c, l: l, session: session, writer: writer, out: out, in: in, tolerance: tolerance}
	return func() actor.Actor { return &heartbeat{st} }
}

func (h *heartbeat) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *actor.Started:
		h.stop()
		h.seq++
		if h.out > 0 {
			h.armSend(ctx)
		}
		if h.in > 0 {
			h.armCheck(ctx, time.Duration(float64(h.in)*h.tolerance))
		}
	case *sendTick:
		if m.gen != h.l.gen || m.seq != h.seq {
			return
		}
		idle := time.Since(time.Unix(0, h.l.stats.lastWrite.Load()))
		if idle >= h.out/2 {
			ctx.Send(h.writer, &writeHeartbeat{})
		}
		h.armSend(ctx)
	case *checkTick:
		if m.gen != h.l.gen || m.seq != h.seq {
			return
		}
		limit := time.Duration(float64(h.in) * h.tolerance)
		if h.l.stats.readPaused.Load() {
			h.armCheck(ctx, limit)
			return
		}
		silence := time.Since(time.Unix(0, h.l.stats.lastRead.Load()))
		if silence >= limit {
			ctx.Send(h.session, &heartbeatMissed{gen: h.l.gen, silence: silence})
			return
		}
		h.armCheck(ctx, limit-silence)
	case *actor.Stopping, *actor.Restarting:
		h.stop()
	}
}

func (h *heartbeat) armSend(ctx actor.Context) {
	self, sys, gen, seq := ctx.Self(), ctx.ActorSystem(), h.l.gen, h.seq
	h.sendTimer = time.AfterFunc(h.out/2, func() { sys.Root.Send(self, &sendTick{gen: gen, seq: seq}) })
}

func (h *heartbeat) armCheck(ctx actor.Context, after time.Duration) {
	self, sys, gen, seq := ctx.Self(), ctx.ActorSystem(), h.l.gen, h.seq
	h.chkTimer = time.AfterFunc(after, func() { sys.Root.Send(self, &checkTick{gen: gen, seq: seq}) })
}

func (h *heartbeat) stop() {
	if h.sendTimer != nil {
		h.sendTimer.Stop()
	}
	if h.chkTimer != nil {
		h.chkTimer.Stop()
	}
}
