package actors

import (
	"errors"
	"strconv"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/stompactor/stompactor/transport"
)

// Coming back: with a Reconnect policy the session keeps trying, at the
// first Connect (through Addr and the Failover brokers until one answers)
// and after losing an established connection. The wait between attempts
// grows until a connection stays up for StableAfter; a connection that
// keeps dying the same way right after CONNECTED is reported once as
// probably a poison message.

// retrying is the session's state between attempts.
// (Its counts are int32 and its flags sit beside them, so that the
// session fits the 256-byte size class.)
type retrying struct {
	active     bool  // the connection was lost, or Connect failed, and is being restored
	reported   bool  // the quick deaths were reported (below)
	attempt    int32 // attempts since the last stable connection
	nextServer int32 // index into Addr+Failover of the next attempt
	// Quick deaths: connections that ended within StableAfter, in a row,
	// with the same error; reported once. (quickDeaths sits among the
	// small fields: the session stays in its size class.)
	quickDeaths int32
	quickErr    string
	timer       *time.Timer // the wait before the next attempt
	// upSince is when the current connection got CONNECTED, as time since
	// monoStart (monotonic, and 8 bytes where a time.Time takes 24: the
	// session stays in its size class).
	upSince time.Duration
	last    *failedAttempt // why the last attempt failed, while retrying
}

// monoStart is the origin of the session's monotonic instants
// (retrying.upSince).
var monoStart = time.Now()

// failedAttempt is the failure of the attempt before the current wait or
// attempt (a pointer, to keep the session in its size class).
type failedAttempt struct{ err error }

// gaveUpWaiting is the verdict on a first Connect whose caller stopped
// waiting (its Timeout or context) while the policy was still retrying:
// err is the caller's, last what the last attempt met, so the reason the
// broker could not be reached is not lost.
type gaveUpWaiting struct {
	err      error
	attempts int
	last     error
}

func (e *gaveUpWaiting) Error() string {
	return e.err.Error() + " after " + strconv.Itoa(e.attempts) + " attempts; the last failed: " + e.last.Error()
}

// Unwrap gives the caller's error (its code is the error's) and then the
// last attempt's.
func (e *gaveUpWaiting) Unwrap() []error { return []error{e.err, e.last} }

// LastAttempt returns how many attempts failed, the caller's error and
// what the last attempt met: the facade maps the last (a rejected
// certificate, a proxy's refusal) as it maps a single attempt's failure.
func (e *gaveUpWaiting) LastAttempt() (attempts int, own, last error) {
	return e.attempts, e.err, e.last
}

// quickDeathsReported is how many connections in a row must end the same
// way right after connecting before the client says so.
const quickDeathsReported = 3

// keepsTrying reports whether losing the connection (or an attempt) with
// err should lead to another attempt rather than the end.
func (s *session) keepsTrying(prev State, err error) bool {
	if !s.cfg.Reconnect.Enabled || s.stopping || err == nil ||
		errors.Is(err, ErrInterrupted) || errors.Is(err, ErrClosed) || invalidSetting(err) {
		return false
	}
	switch {
	case prev == Connected, prev == Connecting && s.retry.active:
		return true
	case prev == Connecting && s.connectWaiter != nil:
		// The first Connect tries the next broker after a failure to
		// reach one, not after a broker refused the client (a login,
		// a virtual host, a version: another broker of the same cluster
		// says the same).
		return !IsServerError(err) && !errors.Is(err, ErrProtocol)
	}
	return false
}

// invalidSetting reports whether err is a setting's fault, which another
// attempt would meet again: ErrInvalidArgument, or a request the proxy
// protocol cannot carry (transport.ProxyBadRequest).
func invalidSetting(err error) bool {
	var pe *transport.ProxyError
	return errors.Is(err, ErrInvalidArgument) || errors.As(err, &pe) && pe.Kind == transport.ProxyBadRequest
}

// lostWhileUp notes a connection that ended after CONNECTED: a stable one
// resets the backoff; one that ended quickly adds to the quick deaths,
// which are reported once when they repeat.
func (s *session) lostWhileUp(err error) {
	r := &s.retry
	if time.Since(monoStart)-r.upSince >= s.cfg.Reconnect.StableAfter {
		r.attempt, r.quickDeaths, r.quickErr, r.reported = 0, 0, "", false
		return
	}
	if msg := err.Error(); msg == r.quickErr {
		r.quickDeaths++
	} else {
		r.quickErr, r.quickDeaths = msg, 1
	}
	if r.quickDeaths >= quickDeathsReported && !r.reported {
		r.reported = true
		perr := &poisonError{times: int(r.quickDeaths), within: s.cfg.Reconnect.StableAfter, cause: err}
		s.c.log(LogError, "info", perr.Error())
		s.c.emit(&ErrorEvent{Err: perr})
	}
}

// scheduleReconnect arms the wait before the next attempt; the session
// stays Connecting meanwhile, so Disconnect or Interrupt end the loop.
func (s *session) scheduleReconnect(ctx actor.Context, cause error) {
	p := s.cfg.Reconnect
	r := &s.retry
	if p.MaxAttempts > 0 && int(r.attempt) >= p.MaxAttempts {
		s.giveUp(ctx, cause)
		return
	}
	if !r.active {
		r.active = true
		if s.connectWaiter == nil {
			r.nextServer = 0 // after a loss: the primary first
		}
	}
	r.attempt++
	r.last = &failedAttempt{err: cause}
	s.setState(Connecting)
	wait := p.delay(int(r.attempt))
	what := "reconnecting"
	if s.connectWaiter != nil {
		what = "retrying"
	}
	s.status(what, "attempt "+strconv.Itoa(int(r.attempt))+" in "+wait.Round(time.Millisecond).String()+" after: "+cause.Error())
	self, sys, gen := ctx.Self(), ctx.ActorSystem(), s.gen
	r.timer = time.AfterFunc(wait, func() { sys.Root.Send(self, &reconnectTick{gen: gen}) })
}

// reconnect starts the attempt the timer was armed for, on the next broker
// of Addr and Failover in turn. The attempts of a first Connect start at
// once; those that restore a lost connection first take a slot of the
// engine's dial gate (reconnectAttempt).
func (s *session) reconnect(ctx actor.Context, m *reconnectTick) {
	r := &s.retry
	if m.gen != s.gen || !r.active || s.state != Connecting || s.conn != nil {
		return
	}
	r.timer = nil
	s.curAddr = s.server(int(r.nextServer))
	r.nextServer++
	s.gen++
	if s.connectWaiter == nil {
		s.reconnectAttempt(ctx)
		return
	}
	s.startAttempt(ctx, nil)
}

// server is the i-th broker of Addr and Failover, round and round.
func (s *session) server(i int) string {
	n := 1 + len(s.cfg.Failover)
	if i %= n; i == 0 {
		return s.cfg.Addr
	}
	return s.cfg.Failover[i-1]
}

// restored gives every kept subscription the new connection and sends
// its SUBSCRIBE again, once CONNECTED arrived on a reconnect.
func (s *session) restored(ctx actor.Context) {
	for _, e := range s.subs {
		e.sent = &writeFrame{frame: subscribeFrame(*e.spec, s.info.Server)}
		s.write(e.sent)
	}
	// Counted once the SUBSCRIBE frames are queued, so whoever sees the
	// count and then sends is queued behind them.
	s.c.stats.more().Reconnects.Add(1)
	s.status("reconnected", s.curAddr+", "+strconv.Itoa(len(s.subs))+" subscriptions restored")
}

// giveUp ends the retrying: a waiting Connect fails, the subscriptions end.
func (s *session) giveUp(ctx actor.Context, cause error) {
	s.endSubscriptions(ctx, false)
	// The connection has ended for good: the outbox's messages with it.
	s.outboxLost(false, cause)
	attempts := int(s.retry.attempt)
	s.retry = retrying{}
	s.setState(Disconnected)
	err := &reconnectError{attempts: attempts, first: s.connectWaiter != nil, cause: cause}
	s.status("gave up", err.Error())
	s.c.log(LogError, "info", err.Error())
	if s.connectWaiter != nil {
		s.c.emit(&ConnectedEvent{Err: err}) // before the answer, as in connected
		s.connectWaiter <- connectResult{err: err}
		s.connectWaiter = nil
		return
	}
	s.c.emit(&ErrorEvent{Err: err})
}

// reconnectError says the client stopped trying; it wraps the last cause.
type reconnectError struct {
	attempts int
	first    bool // the first Connect, not a reconnect
	cause    error
}

func (e *reconnectError) Error() string {
	what := "reconnecting"
	if e.first {
		what = "connecting"
	}
	return "stomp: gave up " + what + " after " + strconv.Itoa(e.attempts) + " attempts: " + e.cause.Error()
}

// Unwrap gives the code the error is known by: a Connect that never
// reached a broker failed to connect (ErrConnectFailed, as without a
// Reconnect policy), unless its last cause says more (a TLS or proxy
// failure, a server ERROR); a connection that was up and was lost stays
// ErrConnectionLost.
func (e *reconnectError) Unwrap() []error {
	if e.first {
		return []error{e.cause, ErrConnectFailed}
	}
	return []error{ErrConnectionLost, e.cause}
}

// poisonError reports connections that keep ending the same way right
// after they connect: most often a message the client cannot take (over
// a limit, say) that the broker redelivers to every new connection.
type poisonError struct {
	times  int
	within time.Duration
	cause  error
}

func (e *poisonError) Error() string {
	return "stomp: " + strconv.Itoa(e.times) + " connections in a row ended within " + e.within.String() +
		" of connecting, each with: " + e.cause.Error() +
		"; if a message the client cannot take is being redelivered (a poison message), raise the limit it breaks or remove it from the broker"
}

func (e *poisonError) Unwrap() error { return e.cause }
