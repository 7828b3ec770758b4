package api

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stompactor/stompactor/sim"
)

// An Ack whose wait ends before its ACK was written (ErrTimeout: "Timeout
// or the context's deadline passed before anything was written") has
// acknowledged nothing: it may be made again, the retry reaches the
// broker, and Stats.Acks counts the one ACK written, not the attempt.
func TestAckThatTimedOutBeforeItWasWrittenCanBeMadeAgain(t *testing.T) {
	b := newBroker(t, sim.WithPlan(sim.Plan{{Name: "alarm", Kind: sim.StopReading, Conn: 1, Dir: sim.ToServer, AfterBytes: 3000, Delay: 500 * time.Millisecond}}))
	h, p := hostPort(t, b.Addr())
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	s := newClient(t, WithTimeout(0)) // Timeout 0: a full queue says ErrWouldBlock at once
	ready := make(chan struct{}, 64)
	s.OnReadyToSend(func(*ReadyToSendEvent) {
		select {
		case ready <- struct{}{}:
		default:
		}
	})
	if err := s.ConnectContext(ctx, h, p); err != nil {
		t.Fatal(err)
	}
	id, err := s.SubscribeWith(ctx, "/queue/jobs", SubscribeOptions{Pull: true, AckMode: AckClientIndividual})
	if err != nil {
		t.Fatal(err)
	}
	pub := newClient(t, WithRequestReceipts(true))
	if err := pub.ConnectContext(ctx, h, p); err != nil {
		t.Fatal(err)
	}
	if err := pub.SendMessageContext(ctx, "/queue/jobs", "job"); err != nil {
		t.Fatal(err)
	}
	ev, err := s.Receive(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	// The broker stops reading (a resource alarm): fill the outgoing queue.
	big := strings.Repeat("x", 64<<10)
	full := false
	for i := 0; i < 10000 && !full; i++ {
		err := s.SendMessage("/queue/other", big)
		full = errors.Is(err, ErrWouldBlock)
		if err != nil && !full {
			t.Fatal(err)
		}
	}
	if !full {
		t.Fatal("the outgoing queue never filled")
	}
	for len(ready) > 0 { // one may have come with the connect
		<-ready
	}
	short, cancelShort := context.WithTimeout(ctx, 20*time.Millisecond)
	err = s.Ack(short, ev)
	cancelShort()
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("Ack with a full queue: %v, want ErrTimeout", err)
	}
	if n := s.Stats().Acks; n != 0 {
		t.Errorf("Stats.Acks is %d after an Ack that wrote nothing", n)
	}
	select { // the broker reads again
	case <-ready:
	case <-ctx.Done():
		t.Fatal("the queue never had room again")
	}
	// The retry waits for room itself (its context has a deadline), so a
	// ReadyToSendEvent of the connect taken for room is harmless.
	if err := s.Ack(ctx, ev); err != nil {
		t.Errorf("Ack again after ErrTimeout (nothing written): %v (code %d), want nil", err, codeOf(err))
	}
	if n := s.Stats().Acks; n != 1 {
		t.Errorf("Stats.Acks is %d, want 1: the one ACK written", n)
	}
	waitFor(t, "the broker to hear the ACK", func() bool {
		d, ok := b.Destination("/queue/jobs")
		return ok && d.Enqueued == 1 && d.Unacked == 0 && d.Ready == 0
	})
}
