package actors

import (
	"errors"
	"strconv"
	"time"

	"github.com/asynkron/protoactor-go/actor"
)

// keepsTrying reports whether losing the connection (or a reconnect
// attempt) with err should lead to another attempt rather than the end.
func (s *session) keepsTrying(prev State, err error) bool {
	if !s.cfg.Reconnect.Enabled || s.stopping || err == nil ||
		errors.Is(err, ErrInterrupted) || errors.Is(err, ErrClosed) {
		return false
	}
	return prev == Connected || (prev == Connecting && s.reconnecting)
}

// scheduleReconnect arms the wait before the next attempt; the session
// stays Connecting meanwhile, so Disconnect or Interrupt end the loop.
func (s *session) scheduleReconnect(ctx actor.Context, cause error) {
	p := s.cfg.Reconnect
	if p.MaxAttempts > 0 && s.attempt >= p.MaxAttempts {
		s.giveUp(ctx, cause)
		return
	}
	s.reconnecting = true
	s.attempt++
	s.setState(Connecting)
	wait := p.delay(s.attempt)
	s.status("reconnecting", "attempt "+strconv.Itoa(s.attempt)+" in "+wait.Round(time.Millisecond).String()+" after: "+cause.Error())
	self, sys, gen := ctx.Self(), ctx.ActorSystem(), s.gen
	s.reconnectTimer = time.AfterFunc(wait, func() { sys.Root.Send(self, &reconnectTick{gen: gen}) })
}

// reconnect starts the attempt the timer was armed for, on the next broker
// of Addr and Failover in turn.
func (s *session) reconnect(ctx actor.Context, m *reconnectTick) {
	if m.gen != s.gen || !s.reconnecting || s.state != Connecting || s.conn != nil {
		return
	}
	s.reconnectTimer = nil
	servers := append([]string{s.cfg.Addr}, s.cfg.Failover...)
	s.curAddr = servers[(s.attempt-1)%len(servers)]
	s.gen++
	s.startAttempt(ctx)
}

// resubscribe gives every kept subscription the new connection and sends
// its SUBSCRIBE again, once CONNECTED arrived on a reconnect.
func (s *session) resubscribe(ctx actor.Context) {
	s.reconnecting, s.attempt = false, 0
	for _, e := range s.subs {
		ctx.Send(e.pid, &linkChanged{link: s.link})
		ctx.Send(s.writer, &writeFrame{frame: subscribeFrame(e.spec, s.info.Server)})
	}
	// Counted once the SUBSCRIBE frames are queued, so whoever sees the
	// count and then sends is queued behind them.
	s.c.stats.Reconnects.Add(1)
	s.status("reconnected", s.curAddr+", "+strconv.Itoa(len(s.subs))+" subscriptions restored")
}

// giveUp ends the reconnect loop: the subscriptions end too.
func (s *session) giveUp(ctx actor.Context, cause error) {
	s.endSubscriptions(ctx)
	s.reconnecting = false
	s.setState(Disconnected)
	err := &reconnectError{attempts: s.attempt, cause: cause}
	s.attempt = 0
	s.status("gave up", err.Error())
	s.c.log(LogError, "info", err.Error())
	s.c.emit(&ErrorEvent{Err: err})
}

// reconnectError says the client stopped trying; it wraps the last cause.
type reconnectError struct {
	attempts int
	cause    error
}

func (e *reconnectError) Error() string {
	return "stomp: gave up reconnecting after " + strconv.Itoa(e.attempts) + " attempts: " + e.cause.Error()
}

func (e *reconnectError) Unwrap() []error { return []error{ErrConnectionLost, e.cause} }
