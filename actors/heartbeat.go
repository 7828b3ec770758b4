package actors

import (
	"time"

	"github.com/asynkron/protoactor-go/actor"
)

// heartbeat keeps a connection alive in both directions. It looks every
// half outgoing interval and sends an EOL when nothing was written for
// three eighths of it (heartbeatDue), so the gap stays under the interval
// with an eighth of it to spare for the timer's and the writer's delays,
// and reports the server silent when no byte
// arrived for tolerance times the incoming interval, not counting time the
// reader spent paused for backpressure. It exists only when heart-beats
// were negotiated; its timers hold no goroutine while they wait.
type heartbeat struct {
	c                   *Conn
	l                   *link
	session             *actor.PID
	out, in             time.Duration
	tolerance           float64
	sendTimer, chkTimer *time.Timer
}

func (h *heartbeat) Receive(ctx actor.Context) { guard(ctx, h, h.receive) }

func (h *heartbeat) receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *actor.Started:
		if h.out > 0 {
			h.armSend(ctx)
		}
		if h.in > 0 {
			h.armCheck(ctx, time.Duration(float64(h.in)*h.tolerance))
		}
	case *sendTick:
		if m.gen != h.l.gen {
			return
		}
		if heartbeatDue(time.Since(time.Unix(0, h.l.stats.lastWrite.Load())), h.out) {
			h.l.out.heartbeat()
		}
		h.armSend(ctx)
	case *checkTick:
		if m.gen != h.l.gen {
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
	case *actor.Stopping:
		h.stop()
	}
}

// heartbeatDue reports whether a look of the heart-beat's, every half
// outgoing interval out, sends an EOL after idle without a write. The
// margin is what keeps the gap under out. A write stamps the time once the
// writer wrote it, after the look that asked for it re-armed its timer:
// with a threshold of half the interval the next look would find the
// connection idle a little less than that and skip, and the one after
// would send at the interval plus the delays (review "embed", finding 3).
// With three eighths, the next look sends unless the writer took more than
// an eighth of the interval longer than the timer's delay; and a write
// made just after a look that found the connection busy is followed by
// an EOL at most 3/8 + 1/2 = 7/8 of the interval later, plus the delays.
func heartbeatDue(idle, out time.Duration) bool { return idle >= out/2-out/8 }

// failed reports a panic to the session and stops the actor.
func (h *heartbeat) failed(ctx actor.Context, err error, stack string) {
	h.stop()
	ctx.Send(h.session, &actorPanicked{who: ctx.Self(), err: err, stack: stack})
	ctx.Stop(ctx.Self())
}

func (h *heartbeat) armSend(ctx actor.Context) {
	self, sys, gen := ctx.Self(), ctx.ActorSystem(), h.l.gen
	h.sendTimer = time.AfterFunc(h.out/2, func() { sys.Root.Send(self, &sendTick{gen: gen}) })
}

func (h *heartbeat) armCheck(ctx actor.Context, after time.Duration) {
	self, sys, gen := ctx.Self(), ctx.ActorSystem(), h.l.gen
	h.chkTimer = time.AfterFunc(after, func() { sys.Root.Send(self, &checkTick{gen: gen}) })
}

func (h *heartbeat) stop() {
	if h.sendTimer != nil {
		h.sendTimer.Stop()
	}
	if h.chkTimer != nil {
		h.chkTimer.Stop()
	}
}
