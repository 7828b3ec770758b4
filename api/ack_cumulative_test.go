package api

import (
	"context"
	"errors"
	"fmt"
	"testing"
)

// cumulativeSetup connects a consumer of version v (ACKs with receipts,
// so that a broker's refusal comes back to the Ack) and a publisher, and
// sends n messages to dest.
func cumulativeSetup(t *testing.T, v, dest string, n int) (*STOMP, func() (int, int)) {
	t.Helper()
	b := newBroker(t)
	s := connectTo(t, b, v, WithRequestAckReceipts(true))
	pub := connectTo(t, b, "1.2", WithRequestReceipts(true))
	for i := 0; i < n; i++ {
		if err := pub.SendMessage(dest, fmt.Sprint(i)); err != nil {
			t.Fatal(err)
		}
	}
	left := func() (int, int) {
		d, _ := b.Destination(dest)
		return int(d.Unacked), int(d.Ready)
	}
	return s, left
}

// AckClient: "an ACK acknowledges the message and every earlier one of
// the subscription"; Ack: "A message is acknowledged once: a second Ack
// or Nack returns ErrAlreadyAcked". Workers that share a Pull
// subscription finish out of order: acknowledging an earlier message
// after a later one returns ErrAlreadyAcked and writes nothing (the
// broker answers an ACK of a message it no longer has with an ERROR and
// ends the connection), on every version: 1.0 and 1.1 name the message
// by message-id, 1.2 by its ack id.
func TestAckClientAckOfAMessageALaterAckCoveredIsAlreadyAcked(t *testing.T) {
	for _, v := range versions {
		t.Run(v, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), wait)
			defer cancel()
			s, left := cumulativeSetup(t, v, "/queue/client-ack", 3)
			id, err := s.SubscribeWith(ctx, "/queue/client-ack", SubscribeOptions{Pull: true, AckMode: AckClient})
			if err != nil {
				t.Fatal(err)
			}
			var evs []*MessageInEvent
			for i := 0; i < 3; i++ {
				ev, err := s.Receive(ctx, id)
				if err != nil {
					t.Fatal(err)
				}
				evs = append(evs, ev)
			}
			if err := s.Ack(ctx, evs[2]); err != nil {
				t.Fatalf("Ack of the last message: %v", err)
			}
			if err := s.Ack(ctx, evs[0]); !errors.Is(err, ErrAlreadyAcked) {
				t.Errorf("Ack of a message the ACK of a later one covered: %v (code %d), want ErrAlreadyAcked", err, codeOf(err))
			}
			if v != "1.0" {
				if err := s.Nack(ctx, evs[1]); !errors.Is(err, ErrAlreadyAcked) {
					t.Errorf("Nack of a message the ACK of a later one covered: %v (code %d), want ErrAlreadyAcked", err, codeOf(err))
				}
			}
			if !s.Connected() {
				t.Fatal("the connection ended: the broker refused an ACK of a message it no longer had")
			}
			if unacked, ready := left(); unacked != 0 || ready != 0 {
				t.Errorf("the broker holds %d unacknowledged and %d ready messages, want none", unacked, ready)
			}
			if n := s.Stats().Acks + s.Stats().Nacks; n != 1 {
				t.Errorf("%d ACKs and NACKs written, want the 1", n)
			}
		})
	}
}

// The same holds on a handler subscription with ManualAck, whose events
// the program acknowledges after their handlers returned.
func TestAckClientManualAckOfAMessageALaterAckCoveredIsAlreadyAcked(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	s, left := cumulativeSetup(t, "1.2", "/queue/client-handler", 3)
	got := make(chan *MessageInEvent, 3)
	_, err := s.SubscribeWith(ctx, "/queue/client-handler", SubscribeOptions{AckMode: AckClient, ManualAck: true,
		Handler: func(e *MessageInEvent) { got <- e }})
	if err != nil {
		t.Fatal(err)
	}
	var evs []*MessageInEvent
	for i := 0; i < 3; i++ {
		evs = append(evs, recv(t, got))
	}
	if err := s.Ack(ctx, evs[1]); err != nil {
		t.Fatalf("Ack of the second message: %v", err)
	}
	if err := s.Nack(ctx, evs[0]); !errors.Is(err, ErrAlreadyAcked) {
		t.Errorf("Nack of a covered message: %v (code %d), want ErrAlreadyAcked", err, codeOf(err))
	}
	if err := s.Ack(ctx, evs[2]); err != nil {
		t.Errorf("Ack of the third message, which no ACK covered: %v", err)
	}
	waitFor(t, "the broker to settle every message", func() bool {
		unacked, ready := left()
		return unacked == 0 && ready == 0
	})
	if !s.Connected() {
		t.Fatal("the connection ended")
	}
}

// Workers acknowledging at once, in any order: each Ack writes its ACK or
// returns ErrAlreadyAcked, none reaches the broker after an ACK that
// covered it, and the connection stays up.
func TestAckClientConcurrentAcksInAnyOrderKeepTheConnection(t *testing.T) {
	const n = 32
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	s, left := cumulativeSetup(t, "1.2", "/queue/client-workers", n)
	id, err := s.SubscribeWith(ctx, "/queue/client-workers", SubscribeOptions{Pull: true, AckMode: AckClient})
	if err != nil {
		t.Fatal(err)
	}
	evs := make([]*MessageInEvent, n)
	for i := range evs {
		if evs[i], err = s.Receive(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	errs := make(chan error, n)
	start := make(chan struct{})
	for i := n - 1; i >= 0; i-- {
		go func(ev *MessageInEvent) {
			<-start
			errs <- s.Ack(ctx, ev)
		}(evs[i])
	}
	close(start)
	written := 0
	for range evs {
		switch err := recv(t, errs); {
		case err == nil:
			written++
		case !errors.Is(err, ErrAlreadyAcked):
			t.Errorf("Ack: %v (code %d), want nil or ErrAlreadyAcked", err, codeOf(err))
		}
	}
	if written == 0 || int64(written) != s.Stats().Acks {
		t.Errorf("%d Acks returned nil, Stats.Acks %d: want the same, at least 1", written, s.Stats().Acks)
	}
	if !s.Connected() {
		t.Fatal("the connection ended: an ACK reached the broker after one that covered it")
	}
	if unacked, ready := left(); unacked != 0 || ready != 0 {
		t.Errorf("the broker holds %d unacknowledged and %d ready messages, want none", unacked, ready)
	}
}
