package actors

import (
	"bufio"
	"context"
	"net"
	"testing"
	"time"

	"github.com/stompactor/stompactor/frames"
	"github.com/stretchr/testify/require"
)

func TestConnectSendSubscribe(t *testing.T) {
	got := make(chan *frames.Frame, 16)
	srv := newScriptedServer(t, func(conn net.Conn, r *bufio.Reader) {
		f, err := readFrame(r)
		if err != nil {
			return
		}
		got <- f
		conn.Write([]byte("CONNECTED\nversion:1.2\nserver:test\nsession:s1\n\n\x00"))
		for {
			f, err := readFrame(r)
			if err != nil {
				return
			}
			got <- f
			switch f.Command {
			case frames.CmdSubscribe:
				conn.Write([]byte("MESSAGE\nsubscription:" + f.Header("id") + "\nmessage-id:m1\ndestination:/queue/a\nack:a1\ncontent-type:text/plain\n\nhello\x00"))
			case frames.CmdDisconnect:
				conn.Write([]byte("RECEIPT\nreceipt-id:" + f.Header("receipt") + "\n\n\x00"))
				return
			}
		}
	})
	c := mustConn(t, nil, ConnOptions{})
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	info, err := c.Connect(ctx, ConnectConfig{Addr: srv.addr(), Host: "/", Login: "guest", Passcode: "guest"})
	require.NoError(t, err)
	require.Equal(t, frames.V12, info.Version)
	f := <-got
	require.Equal(t, frames.CmdConnect, f.Command)
	require.Equal(t, "1.0,1.1,1.2", f.Header("accept-version"))

	require.NoError(t, c.Send(ctx, frames.New(frames.CmdSend, "destination", "/queue/a"), 0, true))
	f = <-got
	require.Equal(t, frames.CmdSend, f.Command)

	msgs := make(chan *Message, 1)
	_, err = c.Subscribe(ctx, SubscribeSpec{Destination: "/queue/a", Mode: AckClientIndividual, Handler: func(m Message) AckAction {
		msgs <- &m
		return AckAck
	}})
	require.NoError(t, err)
	require.Equal(t, frames.CmdSubscribe, (<-got).Command)
	m := <-msgs
	require.Equal(t, "hello", string(m.Body))
	ack := <-got
	require.Equal(t, frames.CmdAck, ack.Command)
	require.Equal(t, "a1", ack.Header("id"))
	require.NoError(t, c.Disconnect(ctx, true, 5*time.Second))
}

// The events a sink says it does not take (Wants) are not made; the
// others come as before.
func TestUnwantedEventsAreNotMade(t *testing.T) {
	b, _ := newBroker(t, connectedFrame("1.2"), politeBroker)
	c, rec := newTestClient(t, ConnOptions{Wants: func(e Event) bool {
		switch e.(type) {
		case *ConnectionStatusEvent, *SubscribedEvent:
			return false
		}
		return true
	}})
	connectTo(t, c, b.addr(), ConnectConfig{})
	_, err := c.Subscribe(testCtx(t), SubscribeSpec{Destination: "/q", Receipt: 5 * time.Second, Handler: func(Message) AckAction { return AckNone }})
	require.NoError(t, err)
	waitEventN[*ReceiptInEvent](t, rec, 1, nil)
	waitEventN[*ConnectedEvent](t, rec, 1, nil)
	for _, e := range rec.all() {
		switch e.(type) {
		case *ConnectionStatusEvent, *SubscribedEvent:
			t.Fatalf("%T made though the sink does not take it", e)
		}
	}
}
