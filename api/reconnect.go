package api

import (
	"net"
	"strconv"
	"strings"
	"time"
)

// Reconnect says whether and how the client restores a lost connection by
// itself. When Enabled, losing an established connection (not Disconnect,
// Interrupt or Close) starts a loop of attempts: RemoteHost:RemotePort and
// then each FailoverServers broker in turn, waiting between attempts with
// a capped, jittered exponential backoff. On success every live
// subscription is sent again with its id, ack mode and headers, so
// OnMessageIn handlers keep receiving. Meanwhile the client is connecting:
// sends fail with ErrNotConnected, Connect with ErrAlreadyConnected, and
// Disconnect or Interrupt end the loop. OnDisconnected fires for the lost
// connection, OnConnectionStatus with "reconnecting", "reconnected" or
// "gave up", OnConnected for the restored one; after MaxAttempts failures
// in a row OnError reports that the client gave up. Open transactions and
// pending receipts end with the old connection, as the broker ends them,
// and messages received but not acknowledged are redelivered by the
// broker. Failover servers share every transport setting; with a
// WebSocketURL the URL is always the one dialed.
type Reconnect struct {
	// Enabled turns reconnecting on. Default false.
	Enabled bool
	// InitialDelay is the wait before the first attempt. Default 100ms.
	InitialDelay time.Duration
	// MaxDelay caps the wait between attempts. Default 30s.
	MaxDelay time.Duration
	// MaxAttempts gives up after this many failed attempts in a row; 0
	// never gives up. Default 0.
	MaxAttempts int
}

// WithReconnect sets the reconnect policy (the AutoReconnect,
// ReconnectDelay, MaxReconnectDelay and MaxReconnectAttempts settings).
// Default: no reconnecting.
func WithReconnect(r Reconnect) Option {
	return setOpt("Reconnect", func(c *config, r Reconnect) error {
		return c.all(
			func(c *config) error { c.reconnect.Enabled = r.Enabled; return nil },
			func(c *config) error { return c.setReconnectDelay(r.InitialDelay) },
			func(c *config) error { return c.setMaxReconnectDelay(r.MaxDelay) },
			func(c *config) error { return c.setMaxReconnectAttempts(r.MaxAttempts) },
		)
	}, r)
}

// WithFailoverServers sets FailoverServers: more brokers ("host:port"),
// tried in turn after RemoteHost:RemotePort when reconnecting. Default
// none.
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
	c.failover = out
	return nil
}

// Settings beyond the reference: reconnecting and failover. Connect hands
// the policy to the engine, so like every setting it reads they cannot
// change while connected.
var reconnectSettings = []setting{
	boolSetting("AutoReconnect", true, func(c *config) *bool { return &c.reconnect.Enabled }),
	durationSetting(reconnectDelayBound, true, func(c *config) time.Duration { return c.reconnect.InitialDelay }, (*config).setReconnectDelay),
	durationSetting(maxReconnectDelayBound, true, func(c *config) time.Duration { return c.reconnect.MaxDelay }, (*config).setMaxReconnectDelay),
	intSetting(maxAttemptsBound, true, func(c *config) int { return c.reconnect.MaxAttempts }, (*config).setMaxReconnectAttempts),
	{name: "FailoverServers", connect: true,
		get: configGet(func(c *config) string { return strings.Join(c.failover, ",") }),
		set: func(c *config, v string) error { return c.setFailover(strings.Split(v, ",")) }},
}
