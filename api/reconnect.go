package api

import (
	"context"
	"net"
	"strconv"
	"strings"
	"time"
)

// Reconnect says whether and how the client keeps trying. When Enabled:
//
//   - Connect tries RemoteHost:RemotePort and then each FailoverServers
//     broker in turn until one answers (OnConnectionStatus "retrying" for
//     each failed attempt), bounded by Timeout or the caller's context. A
//     broker that refuses the client (an ERROR: a login, a virtual host)
//     is not retried: the others would say the same. Nor is a setting
//     that no attempt can carry out (ErrInvalidArgument: proxy
//     credentials or a broker address the proxy protocol cannot carry).
//   - Losing an established connection (not Disconnect, Interrupt or
//     Close) starts the same loop of attempts, the primary first. On
//     success every live subscription is sent again with its id, ack mode
//     and headers, so OnMessageIn handlers keep receiving.
//
// So do not subscribe again after a reconnect: the client has already. A
// program that subscribes in its OnConnected handler, as with clients that
// restore nothing, doubles its subscriptions at every reconnect (after one
// lost connection, two subscriptions and two copies of each topic
// message); it subscribes when ConnectedEvent.Reconnected is false only,
// or once after the first Connect. ConnectedServer says which broker
// answered.
//
// The wait before each attempt is drawn at random, uniformly, from zero up
// to a ceiling ("full jitter"): the ceiling is InitialDelay for the first
// attempt, doubles with each failed one up to MaxDelay, and starts over
// only after a connection stayed up for StableAfter. So a connection that
// dies right after connecting (a message the client cannot take, say)
// does not make the client hammer the broker (when it happens three times
// in a row in the same way OnError says so once), and the many clients of
// a process that lose one broker together spread their attempts over the
// whole ceiling instead of coming back at once. Their engine also bounds
// the reconnect attempts that run at once after a lost connection
// (actors.EngineOptions.MaxConcurrentConnects, 64 by default; a Connect's
// own attempts are never held back): an attempt past it waits in line for
// a slot before it starts, reported by OnConnectionStatus as "queued" and
// counted in Stats.ConnectsQueued. Its Timeout starts when it has the
// slot, and the time in line is not an attempt of MaxAttempts; Disconnect,
// Interrupt and Close end the wait, which is bounded in practice by the
// Timeout of the attempts ahead.
// Meanwhile the client is connecting: sends fail with ErrNotConnected
// (with WithAtLeastOnce they wait in the outbox), Connect with
// ErrAlreadyConnected, and Disconnect or Interrupt end the loop.
// OnDisconnected fires for the lost connection, OnConnectionStatus with
// "reconnecting", "reconnected" or "gave up", OnConnected for the restored
// one; after MaxAttempts attempts OnError (or the waiting Connect) reports
// that the client gave up, with the number of attempts: ErrConnectionLost
// for a connection that was up and was lost, ErrConnectFailed (as without
// a policy) for a Connect that never reached a broker. A first Connect
// whose Timeout or context ends while attempts still fail (MaxAttempts 0
// never gives up) returns ErrTimeout (or ErrCanceled) that names the last
// attempt's failure and holds it, typed, in its chain: errors.Is(err,
// ErrCertRejected) or errors.As(err, &proxyErr) find it as when
// MaxAttempts runs out. Open transactions end with the old connection,
// as the broker ends them, and messages received but not acknowledged are
// redelivered by the broker. Failover servers share every transport
// setting; with a WebSocketURL the URL is always the one dialed (and
// FailoverServers are not used).
type Reconnect struct {
	// Enabled turns reconnecting on. Default false.
	Enabled bool
	// InitialDelay is the most the client waits before its first
	// attempt (the wait is drawn from zero up to it). Default 100ms.
	InitialDelay time.Duration
	// MaxDelay caps the ceiling of the wait between attempts. Default
	// 30s.
	MaxDelay time.Duration
	// MaxAttempts gives up after this many attempts since the last
	// stable connection; 0 never gives up. Default 0.
	MaxAttempts int
	// StableAfter is how long a connection must stay up for the backoff
	// to start over (and for a death after it not to count as a quick
	// one). Default (0) MaxDelay. The ReconnectStableAfter setting, in
	// milliseconds.
	StableAfter time.Duration
}

// WithReconnect sets the reconnect policy (the AutoReconnect,
// ReconnectDelay, MaxReconnectDelay, ReconnectStableAfter and
// MaxReconnectAttempts settings).
// Default: no reconnecting.
func WithReconnect(r Reconnect) Option {
	return setOpt("Reconnect", func(c *config, r Reconnect) error {
		return c.all(
			func(c *config) error { c.rareW().reconnect.Enabled = r.Enabled; return nil },
			func(c *config) error { return c.setReconnectDelay(r.InitialDelay) },
			func(c *config) error { return c.setMaxReconnectDelay(r.MaxDelay) },
			func(c *config) error { return c.setMaxReconnectAttempts(r.MaxAttempts) },
			func(c *config) error { return c.setStableAfter(r.StableAfter) },
		)
	}, r)
}

// WithFailoverServers sets FailoverServers: more brokers ("host:port"),
// tried in turn after RemoteHost:RemotePort by Connect and when
// reconnecting, with a Reconnect policy. Default none. Not used with a
// WebSocketURL, which is always the one dialed.
func WithFailoverServers(servers ...string) Option {
	return setOpt("FailoverServers", func(c *config, v []string) error { return c.setFailover(v) }, servers)
}

func (c *config) setFailover(servers []string) error {
	out := make([]string, 0, len(servers))
	for _, s := range servers {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		host, port, err := net.SplitHostPort(s)
		if err != nil || host == "" {
			return invalid("failover server %q is not host:port", s)
		}
		if n, err := strconv.Atoi(port); err != nil || n <= 0 || n > 65535 {
			return invalid("failover server %q has a bad port", s)
		}
		out = append(out, s)
	}
	c.rareW().failover = out
	return nil
}

// Settings beyond the reference: reconnecting and failover. Connect hands
// the policy to the engine, so like every setting it reads they cannot
// change while connected.
var reconnectSettings = []setting{
	rareBoolSetting("AutoReconnect", true, func(r *rareConfig) *bool { return &r.reconnect.Enabled }),
	durationSetting(reconnectDelayBound, true, func(c *config) time.Duration { return c.rare.reconnect.InitialDelay }, (*config).setReconnectDelay),
	durationSetting(maxReconnectDelayBound, true, func(c *config) time.Duration { return c.rare.reconnect.MaxDelay }, (*config).setMaxReconnectDelay),
	durationSetting(stableAfterBound, true, func(c *config) time.Duration { return c.rare.reconnect.StableAfter }, (*config).setStableAfter),
	intSetting(maxAttemptsBound, true, func(c *config) int { return c.rare.reconnect.MaxAttempts }, (*config).setMaxReconnectAttempts),
	{name: "FailoverServers", connect: true,
		get: configGet(func(c *config) string { return strings.Join(c.rare.failover, ",") }),
		set: func(c *config, v string) error { return c.setFailover(strings.Split(v, ",")) }},
}

// Credentials supplies the user and password of one connection attempt to
// server ("host:port"); see WithCredentials.
type Credentials func(ctx context.Context, server string) (user, password string, err error)

// WithCredentials makes every connection attempt (the first Connect, each
// failover and reconnect) ask f for its user and password instead of
// using User and Password, so logins with expiring tokens survive
// reconnects. f runs on a goroutine of the attempt, bounded by ctx (the
// connection timeout); an error fails the attempt. The passwords it
// returns are scrubbed from logs and errors like Password. Default none.
func WithCredentials(f Credentials) Option {
	return optionFunc(func(c *config) { c.rareW().credentials = f })
}

// credentialsFor wraps f so the passwords it gives are scrubbed.
func (s *STOMP) credentialsFor(f Credentials) func(context.Context, string) (string, string, error) {
	if f == nil {
		return nil
	}
	return func(ctx context.Context, server string) (string, string, error) {
		user, password, err := f(ctx, server)
		if err == nil && password != "" {
			s.noteIssued(password)
		}
		return user, password, err
	}
}
