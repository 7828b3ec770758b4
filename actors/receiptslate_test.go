package actors

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stompactor/stompactor/frames"
	"github.com/stretchr/testify/require"
)

// A RECEIPT that comes after its caller stopped waiting (ErrReceiptTimeout)
// is a late confirmation: the broker took the frame, and did nothing
// wrong. It is counted in Stats.ReceiptsLate, not reported as a protocol
// violation. A RECEIPT for an id the client never gave out still is one.
func TestALateReceiptIsALateConfirmationNotAProtocolViolation(t *testing.T) {
	held := make(chan struct {
		p  *peer
		id string
	}, 1)
	srv, got := newBroker(t, connectedFrame("1.2"), func(p *peer, f *frames.Frame) bool {
		if f.Command == frames.CmdSend && f.Header(frames.HdrDestination) == "/late" {
			held <- struct {
				p  *peer
				id string
			}{p, f.Header(frames.HdrReceipt)}
			return true
		}
		return politeBroker(p, f)
	})
	c, rec := newTestClient(t, ConnOptions{})
	connectTo(t, c, srv.addr(), ConnectConfig{})
	expectFrame(t, got, frames.CmdConnect)

	late := frames.New(frames.CmdSend, frames.HdrDestination, "/late")
	require.ErrorIs(t, c.Send(context.Background(), late, 30*time.Millisecond, true), ErrReceiptTimeout)
	h := recv(t, held, "the held SEND")
	h.p.write(rawFrame("RECEIPT", "", "receipt-id", h.id))
	waitFor(t, "the late RECEIPT counted", func() bool { return c.Stats().ReceiptsLate == 1 })

	// One never given out, written after the late one: once it is
	// reported, the late one was handled (in order) and was not.
	h.p.write(rawFrame("RECEIPT", "", "receipt-id", "r-never"))
	unknown := func(e *ErrorEvent) bool { return strings.Contains(e.Err.Error(), "unknown receipt-id") }
	e := waitEvent(t, rec, unknown)
	require.ErrorIs(t, e.Err, ErrProtocol)
	require.ErrorContains(t, e.Err, "r-never")
	require.Equal(t, 1, count(rec, unknown), "only the id never given out is a violation")
	// The late id is forgotten once confirmed: its RECEIPT again is one.
	h.p.write(rawFrame("RECEIPT", "", "receipt-id", h.id))
	waitEventN(t, rec, 2, unknown)
	require.Equal(t, int64(1), c.Stats().ReceiptsLate)
	require.Equal(t, Connected, c.State())
	// The connection works on.
	require.NoError(t, c.Send(testCtx(t), frames.New(frames.CmdSend, frames.HdrDestination, "/ok"), time.Second, true))
}

// The ids given up on are bounded: past lateKept the oldest is forgotten.
func TestLateReceiptsKeepTheLastIDsOnly(t *testing.T) {
	var l lateReceipts
	for i := 0; i < lateKept+10; i++ {
		l.add("r-1-" + itoa(i))
	}
	require.Len(t, l.set, lateKept)
	require.False(t, l.take("r-1-9"), "the oldest are forgotten")
	require.True(t, l.take("r-1-10"))
	require.True(t, l.take("r-1-"+itoa(lateKept+9)))
	require.False(t, l.take("r-1-"+itoa(lateKept+9)), "taken once")
	require.False(t, (*lateReceipts)(nil).take("x"))
}
