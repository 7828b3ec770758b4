package api

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/stompactor/stompactor/frames"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// refusedThenConfirmed is a scripted broker that answers every frame
// asking for a receipt (DISCONNECT aside) with one write: an ERROR that
// names its receipt, then a RECEIPT for the same id (a duplicating or
// hostile broker, or one that keeps the connection after an ERROR and
// answers again).
func refusedThenConfirmed(t *testing.T) *scripted {
	return newScripted12(t, func(conn net.Conn, f *frames.Frame) bool {
		if id, ok := f.Headers.Get(frames.HdrReceipt); ok && f.Command != frames.CmdDisconnect {
			_, _ = conn.Write([]byte("ERROR\nreceipt-id:" + id + "\nmessage:refused\n\nno\x00" +
				"RECEIPT\nreceipt-id:" + id + "\n\n\x00"))
		}
		return true
	})
}

// errorEvents returns a channel that hears the Err of every ErrorEvent
// of s.
func errorEvents(s *STOMP) <-chan error {
	ch := make(chan error, 64)
	s.OnError(func(e *ErrorEvent) {
		select {
		case ch <- e.Err:
		default:
		}
	})
	return ch
}

// The broker answers a SEND with an ERROR that names its receipt, and
// then a RECEIPT for the same id. The first answer on the wire is the
// refusal, and it is the one that counts: the send fails with the
// broker's ERROR, and the RECEIPT after it is one for a receipt id nobody
// awaits any more (reported with OnError as such).
func TestAnErrorNamingAReceiptIsNotOvertakenByALaterReceipt(t *testing.T) {
	srv := refusedThenConfirmed(t)
	s := newClient(t, WithSupportedVersions("1.2"), WithTimeout(5*time.Second), WithRequestReceipts(true))
	errs := errorEvents(s)
	require.NoError(t, s.Connect(srv.host, srv.port))
	err := s.SendMessage("/queue/e", "refused")
	assert.ErrorIs(t, err, ErrServer, "the broker's first answer to the frame was an ERROR naming it")
	assert.ErrorIs(t, recv(t, errs), ErrServer, "OnError hears the ERROR first")
	late := recv(t, errs)
	assert.ErrorIs(t, late, ErrProtocol, "then the RECEIPT, for an id nobody awaits")
	assert.ErrorContains(t, late, "unknown receipt-id")
	assert.Zero(t, s.Stats().ReceiptsPending)
	s.Close()
}

// The same holds for at-least-once messages, whose receipts the session
// answers itself (both frames reach it in order): a synchronous send and
// SendDataAsync's done both hear the ERROR, and the outbox lets the
// messages go (a broker ERROR is their outcome).
func TestAnErrorNamingAnOutboxMessageIsNotOvertakenByALaterReceipt(t *testing.T) {
	srv := refusedThenConfirmed(t)
	s := newClient(t, WithSupportedVersions("1.2"), WithTimeout(5*time.Second), WithAtLeastOnce(AtLeastOnce{Enabled: true}))
	require.NoError(t, s.Connect(srv.host, srv.port))
	assert.ErrorIs(t, s.SendMessage("/queue/e", "refused"), ErrServer)
	done := make(chan error, 2)
	for range 2 {
		require.NoError(t, s.SendDataAsync(context.Background(), "/queue/e", []byte("refused too"), func(err error) { done <- err }))
	}
	assert.ErrorIs(t, recv(t, done), ErrServer)
	assert.ErrorIs(t, recv(t, done), ErrServer)
	assert.Zero(t, s.Stats().Outbox)
	s.Close()
}

// An ERROR that names no receipt, which the broker sent before the
// RECEIPT of a send, is reported before that RECEIPT: a send that waited
// for its RECEIPT, with an OnReceiptIn handler registered, returns once
// the OnError handler of the ERROR before it has run too ("the call then
// also waits for the handlers of every event queued before those"; a
// program, the stomp command's send among them, checks right after the
// send whether the broker complained). The reader answered the RECEIPT
// directly, while the ERROR went through the session's mailbox, so the
// ERROR's event could come after the RECEIPT's.
func TestAnErrorBeforeAReceiptIsReportedBeforeIt(t *testing.T) {
	srv := newScripted12(t, func(conn net.Conn, f *frames.Frame) bool {
		if id, ok := f.Headers.Get(frames.HdrReceipt); ok && f.Command != frames.CmdDisconnect {
			_, _ = conn.Write([]byte("ERROR\nmessage:complaint\n\nsomething else\x00" +
				"RECEIPT\nreceipt-id:" + id + "\n\n\x00"))
		}
		return true
	})
	s := newClient(t, WithSupportedVersions("1.2"), WithTimeout(5*time.Second), WithRequestReceipts(true))
	errs := errorEvents(s)
	s.OnReceiptIn(func(*ReceiptInEvent) {})
	require.NoError(t, s.Connect(srv.host, srv.port))
	for i := range 3 {
		require.NoError(t, s.SendMessage("/queue/e", "confirmed"), "send %d", i)
		select {
		case err := <-errs:
			assert.ErrorIs(t, err, ErrServer)
		default:
			t.Fatalf("send %d returned before the OnError handler of the ERROR the broker sent before its RECEIPT ran", i)
		}
	}
	s.Close()
}
