package api

import (
	"context"
	"testing"
	"time"

	"github.com/stompactor/stompactor/frames"
	"github.com/stompactor/stompactor/sim"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A context already cancelled stops the call before anything is written,
// as database/sql does and as the error table says (303 ErrCanceled):
// a shutdown path that cancelled its context neither sends nor
// acknowledges, and the Ack may be made again.
func TestACancelledContextWritesNothing(t *testing.T) {
	b := newBroker(t, sim.WithFrameLog(256))
	s := connectTo(t, b, "1.2")
	bg := context.Background()
	id, err := s.SubscribeWith(bg, "/queue/pc", SubscribeOptions{Pull: true, AckMode: AckClientIndividual})
	require.NoError(t, err)
	require.NoError(t, s.SendMessage("/queue/pc", "m"))
	rctx, rcancel := context.WithTimeout(bg, wait)
	defer rcancel()
	ev, err := s.Receive(rctx, id)
	require.NoError(t, err)

	dead, cancel := context.WithCancel(bg)
	cancel()
	errs := map[string]error{
		"SendMessageContext":      s.SendMessageContext(dead, "/queue/other", "x"),
		"Send":                    s.Send(dead, "/queue/other", []byte("y"), SendOptions{}),
		"SendDataAsync":           s.SendDataAsync(dead, "/queue/other", []byte("z"), nil),
		"Ack":                     s.Ack(dead, ev),
		"Nack":                    s.Nack(dead, ev),
		"BeginTransactionContext": s.BeginTransactionContext(dead, "t"),
	}
	require.NoError(t, s.BeginTransaction("open"))
	errs["CommitTransactionContext"] = s.CommitTransactionContext(dead, "open")
	errs["AbortTransactionContext"] = s.AbortTransactionContext(dead, "open")
	errs["UnsubscribeContext"] = s.UnsubscribeContext(dead, id)
	for name, e := range errs {
		assert.ErrorIs(t, e, ErrCanceled, name)
		assert.ErrorIs(t, e, context.Canceled, name)
	}
	assert.Equal(t, []string{"open"}, s.OpenTransactions())
	// Nothing was done: the Ack may be made now.
	require.NoError(t, s.Ack(bg, ev))
	require.NoError(t, s.Disconnect())
	waitFor(t, "closed at the broker", func() bool { return len(b.ClosedConnections()) == 1 })
	var wrote []string
	for _, f := range b.ClosedConnections()[0].Received {
		switch f.Command {
		case frames.CmdSend:
			if dst, _ := f.Headers.Get("destination"); dst == "/queue/other" {
				wrote = append(wrote, "SEND "+string(f.Body))
			}
		case frames.CmdAck, frames.CmdNack, frames.CmdBegin, frames.CmdCommit, frames.CmdAbort, frames.CmdUnsubscribe:
			wrote = append(wrote, f.Command.String())
		}
	}
	assert.Equal(t, []string{"BEGIN", "ACK"}, wrote, "frames written for calls whose context was already cancelled")
}

// A deadline already passed is ErrTimeout, before anything is written.
func TestAPassedDeadlineWritesNothing(t *testing.T) {
	b := newBroker(t)
	s := connectTo(t, b, "1.2")
	dead, cancel := context.WithDeadline(context.Background(), time.Unix(1, 0))
	defer cancel()
	assert.ErrorIs(t, s.SendMessageContext(dead, "/queue/other", "x"), ErrTimeout)
	assert.ErrorIs(t, s.BeginTransactionContext(dead, "t"), ErrTimeout)
	assert.Empty(t, s.OpenTransactions())
	d, _ := b.Destination("/queue/other")
	assert.Equal(t, uint64(0), d.Enqueued)
}
