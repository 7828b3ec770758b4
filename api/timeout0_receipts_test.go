package api

import (
	"context"
	"errors"
	"testing"

	"github.com/stompactor/stompactor/frames"
	"github.com/stompactor/stompactor/sim"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// With Timeout 0 a call given no deadline does not wait (doc.go, "Calls
// and timeouts"), and a send with RequestReceipts is no exception: its nil
// says the message is queued, not that the broker confirmed it. A broker
// that refuses that very frame (an ERROR naming its receipt) reaches
// OnError, naming that send's receipt. A call with a context deadline
// waits, Timeout 0 or not: it fails with the server's error. (The
// data-loss review, F6, found the docs of SendMessage, RequestReceipts and
// the README promising the wait.)
func TestWithTimeout0AReceiptedSendIsQueuedNotConfirmedAndItsRefusalReachesOnError(t *testing.T) {
	b := newBroker(t, sim.WithPlan(sim.Plan{
		{Name: "refuse", Kind: sim.SendError, Conn: 1, ReceiptOf: 1, Message: "refused"},
		{Name: "refuse again", Kind: sim.SendError, Conn: 1, ReceiptOf: 2, Message: "refused again"},
	}))
	s := connectTo(t, b, "1.2", WithRequestReceipts(true))
	errs := collect(s.OnError)
	outs := collect(s.OnReceiptOut)
	s.SetTimeout(0)
	require.NoError(t, s.SendMessage("/queue/r", "refused by the broker"), "with Timeout 0 the call does not wait: nil once queued")
	out := recv(t, outs)
	require.Equal(t, "SEND", out.Command)
	// The refusal came for this frame: it names its receipt. OnError gets
	// it as the ERROR arrives, and again as the queued send's failure;
	// both are that ERROR (code 600, its headers).
	for range 2 {
		e := recv(t, errs)
		require.Equal(t, CodeServerError, e.ErrorCode, e.Description)
		assert.Contains(t, e.Description, "refused")
		var se *Error
		require.True(t, errors.As(e.Err, &se))
		assert.Equal(t, out.ReceiptID, se.Headers.Value(frames.HdrReceiptID), "the ERROR on OnError names the send's receipt")
	}
	// A deadline on the context makes the call wait, Timeout 0 or not: it
	// fails with the server's error.
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	err := s.SendMessageContext(ctx, "/queue/r", "refused again")
	require.ErrorIs(t, err, ErrServer, "a context-bounded receipted send with Timeout 0 waits for its answer")
	assert.Contains(t, err.Error(), "refused again")
	var se *Error
	require.True(t, errors.As(err, &se))
	assert.Equal(t, recv(t, outs).ReceiptID, se.Headers.Value(frames.HdrReceiptID))
}
