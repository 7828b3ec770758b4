package api

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
)

// Disconnect: "ends the connection gracefully: running message handlers
// finish and their acknowledgements go out, then DISCONNECT". On an auto
// subscription (the README's first program subscribes so) the broker
// counts every MESSAGE it sent as consumed, so a graceful Disconnect
// hands the messages the client already received to the handler before
// it ends the connection (bounded by DisconnectTimeout), and drops none.
func TestDisconnectHandsOverReceivedAutoAckMessagesToTheirHandler(t *testing.T) {
	b := newBroker(t)
	h, p := hostPort(t, b.Addr())
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	s := newClient(t)
	if err := s.ConnectContext(ctx, h, p); err != nil {
		t.Fatal(err)
	}
	var handled atomic.Int32
	first := make(chan struct{})
	release := make(chan struct{})
	_, err := s.SubscribeWith(ctx, "/queue/auto", SubscribeOptions{Handler: func(e *MessageInEvent) {
		if handled.Add(1) == 1 {
			close(first)
			<-release // a slow first message
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	disconnecting := make(chan struct{})
	s.OnConnectionStatus(func(e *ConnectionStatusEvent) {
		if e.ConnectionEvent == "disconnecting" {
			close(disconnecting)
		}
	})
	pub := newClient(t, WithRequestReceipts(true))
	if err := pub.ConnectContext(ctx, h, p); err != nil {
		t.Fatal(err)
	}
	const n = 10
	for i := 0; i < n; i++ {
		if err := pub.SendMessageContext(ctx, "/queue/auto", fmt.Sprint(i)); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case <-first:
	case <-ctx.Done():
		t.Fatal("no message")
	}
	// Every message has left the broker (auto: counted as consumed) and
	// reached the client.
	waitFor(t, "the client to receive every message", func() bool {
		d, _ := b.Destination("/queue/auto")
		return d.Delivered == n && s.Stats().MessagesIn == n
	})
	done := make(chan error, 1)
	go func() { done <- s.DisconnectContext(ctx) }()
	select {
	case <-disconnecting:
	case <-ctx.Done():
		t.Fatal("Disconnect did not start")
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatalf("Disconnect: %v", err)
	}
	if got, dropped := handled.Load(), s.Stats().Dropped; got != n || dropped != 0 {
		t.Errorf("a graceful Disconnect returned nil after %d of the %d messages the client had received (the broker counts all %d consumed); Stats.Dropped=%d",
			got, n, n, dropped)
	}
}
