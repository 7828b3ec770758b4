package actors

import (
	"testing"
	"time"

	"github.com/stompactor/stompactor/frames"
	"github.com/stretchr/testify/require"
)

// A queued send that cannot be encoded (no one waits for its answer) is
// reported as an ErrorEvent naming the header, never dropped unsaid; the
// frames queued after it still go out. TrySend, which its callers use
// without checking the frame first, refuses it instead, on the writer's
// mailbox route too (the event sink here makes SENDs go that way).
func TestQueuedUnencodableSendIsReported(t *testing.T) {
	srv, got := newBroker(t, connectedFrame(""), politeBroker)
	c, rec := newTestClient(t, ConnOptions{})
	connectTo(t, c, srv.addr(), ConnectConfig{Versions: []frames.Version{frames.V10}})
	expectFrame(t, got, frames.CmdConnect)
	queued, err := c.TrySend(frames.New(frames.CmdSend, "destination", "/q/a\nx"))
	require.ErrorIs(t, err, ErrInvalidHeader)
	require.False(t, queued)
	require.NoError(t, c.Send(testCtx(t), frames.New(frames.CmdSend, "destination", "/q/a\nx"), 0, false))
	require.NoError(t, c.Send(testCtx(t), frames.New(frames.CmdSend, "destination", "/q/ok"), 0, false))
	ev := waitEvent[*ErrorEvent](t, rec, nil)
	require.ErrorIs(t, ev.Err, ErrInvalidHeader)
	var he *HeaderError
	require.ErrorAs(t, ev.Err, &he)
	require.Equal(t, frames.HdrDestination, he.Key)
	require.Contains(t, he.Reason, "line feed")
	require.Equal(t, "/q/ok", expectFrame(t, got, frames.CmdSend).Header("destination"))
	require.Equal(t, Connected, c.State())
}

// An extra SUBSCRIBE header may not replace one the client sets: each is
// refused before anything is sent, and no subscription is left behind.
func TestSubscribeRefusesTheClientsOwnHeaders(t *testing.T) {
	srv, got := newBroker(t, connectedFrame("1.2"), politeBroker)
	c, _ := newTestClient(t, ConnOptions{})
	connectTo(t, c, srv.addr(), ConnectConfig{})
	expectFrame(t, got, frames.CmdConnect)
	for _, key := range ownHeaders {
		_, err := c.Subscribe(testCtx(t), SubscribeSpec{Destination: "/queue/a", ID: "s-" + key, Mode: AckClientIndividual,
			Headers: frames.Headers{{Key: key, Value: "forged"}}})
		require.ErrorIs(t, err, ErrInvalidHeader, key)
		require.ErrorContains(t, err, key)
	}
	require.Empty(t, c.Subscriptions())
	_, err := c.Subscribe(testCtx(t), SubscribeSpec{Destination: "/queue/a", ID: "fine", Headers: frames.Headers{{Key: "selector", Value: "x"}}})
	require.NoError(t, err)
	f := expectFrame(t, got, frames.CmdSubscribe)
	require.Equal(t, "fine", f.Header("id"), "the first SUBSCRIBE on the wire is the allowed one")
}

// A SUBSCRIBE the negotiated version cannot encode is refused before it is
// queued, naming the header.
func TestSubscribeRefusesWhatTheVersionCannotEncode(t *testing.T) {
	srv, got := newBroker(t, connectedFrame("1.1"), politeBroker)
	c, _ := newTestClient(t, ConnOptions{})
	connectTo(t, c, srv.addr(), ConnectConfig{Versions: []frames.Version{frames.V11}})
	expectFrame(t, got, frames.CmdConnect)
	_, err := c.Subscribe(testCtx(t), SubscribeSpec{Destination: "/queue/a", Headers: frames.Headers{{Key: "selector", Value: "a\rb"}}})
	var he *HeaderError
	require.ErrorAs(t, err, &he)
	require.Equal(t, "selector", he.Key)
	require.Contains(t, he.Reason, "carriage return")
	require.Empty(t, c.Subscriptions())
	require.Equal(t, Connected, c.State())
}

// The prefetch goes in the header the broker named by CONNECTED reads;
// a broker the client does not know gets both, and an auto subscription
// or one that says its prefetch by hand gets none added.
func TestSubscribePrefetchHeaderPerBroker(t *testing.T) {
	for _, tt := range []struct {
		server string
		want   map[string]string
	}{
		{"RabbitMQ/3.10.8", map[string]string{"prefetch-count": "7"}},
		{"stompactor-sim/1.0", map[string]string{"prefetch-count": "7"}},
		{"ActiveMQ/5.17.2", map[string]string{"activemq.prefetchSize": "7"}},
		{"ActiveMQ-Artemis/2.31.2", map[string]string{"prefetch-count": "7", "activemq.prefetchSize": "7"}},
		{"", map[string]string{"prefetch-count": "7", "activemq.prefetchSize": "7"}},
	} {
		t.Run(tt.server, func(t *testing.T) {
			connected := rawFrame("CONNECTED", "", "version", "1.2", "server", tt.server)
			srv, got := newBroker(t, connected, politeBroker)
			c, _ := newTestClient(t, ConnOptions{})
			info := connectTo(t, c, srv.addr(), ConnectConfig{})
			require.Equal(t, tt.server, info.Server)
			expectFrame(t, got, frames.CmdConnect)
			prefetchOf := func(f *frames.Frame) map[string]string {
				out := map[string]string{}
				for _, k := range []string{"prefetch-count", "activemq.prefetchSize"} {
					if v, ok := f.Headers.Get(k); ok {
						out[k] = v
					}
				}
				return out
			}
			_, err := c.Subscribe(testCtx(t), SubscribeSpec{Destination: "/queue/a", Mode: AckClientIndividual, Prefetch: 7})
			require.NoError(t, err)
			require.Equal(t, tt.want, prefetchOf(expectFrame(t, got, frames.CmdSubscribe)))

			_, err = c.Subscribe(testCtx(t), SubscribeSpec{Destination: "/queue/b", Mode: AckAuto, Prefetch: 7})
			require.NoError(t, err)
			require.Empty(t, prefetchOf(expectFrame(t, got, frames.CmdSubscribe)), "brokers do not apply a prefetch to auto")

			_, err = c.Subscribe(testCtx(t), SubscribeSpec{Destination: "/queue/c", Mode: AckClient, Prefetch: 7,
				Headers: frames.Headers{{Key: "prefetch-count", Value: "2"}}})
			require.NoError(t, err)
			require.Equal(t, map[string]string{"prefetch-count": "2"}, prefetchOf(expectFrame(t, got, frames.CmdSubscribe)), "a prefetch header by hand wins")
		})
	}
}

// A message queued without waiting behind DISCONNECT is not sent, and is
// reported rather than dropped unsaid.
func TestSendQueuedAfterDisconnectIsReported(t *testing.T) {
	srv, got := newBroker(t, connectedFrame("1.2"), func(*peer, *frames.Frame) bool { return true })
	c, rec := newTestClient(t, ConnOptions{})
	connectTo(t, c, srv.addr(), ConnectConfig{})
	expectFrame(t, got, frames.CmdConnect)
	done := make(chan error, 1)
	go func() { done <- c.Disconnect(testCtx(t), true, time.Hour) }()
	expectFrame(t, got, frames.CmdDisconnect)
	queued, err := c.TrySend(frames.New(frames.CmdSend, "destination", "/q/late"))
	require.NoError(t, err)
	require.True(t, queued)
	ev := waitEvent[*ErrorEvent](t, rec, nil)
	require.ErrorIs(t, ev.Err, ErrNotConnected)
	require.ErrorContains(t, ev.Err, "/q/late")
	require.Equal(t, int64(1), c.Stats().Dropped)
	c.Interrupt()
	require.ErrorIs(t, recv(t, done, "Disconnect"), ErrInterrupted)
}
