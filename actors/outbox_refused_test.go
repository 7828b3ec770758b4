package actors

import (
	"testing"

	"github.com/stompactor/stompactor/frames"
	"github.com/stretchr/testify/require"
)

// An outbox message the writer cannot encode (a header the negotiated
// version cannot carry) fails with the reason, naming the header: its
// receipt, registered only once it is encoded, never reaches the
// session's book, and the messages after it are confirmed.
func TestAnOutboxMessageTheWriterCannotEncodeFailsWithItsReason(t *testing.T) {
	srv, got := newBroker(t, connectedFrame(""), politeBroker)
	c, _ := newTestClient(t, ConnOptions{})
	connectTo(t, c, srv.addr(), ConnectConfig{Versions: []frames.Version{frames.V10}})
	expectFrame(t, got, frames.CmdConnect)
	o := newOutcomes()
	require.NoError(t, c.SendReliable(testCtx(t), sendFrame("/q/a\nx", "bad"), OutboxConfig{}, o.done("bad")))
	require.NoError(t, c.SendReliable(testCtx(t), sendFrame("/q/ok", "good"), OutboxConfig{}, o.done("good")))
	name, err := o.wait(t)
	require.Equal(t, "bad", name)
	require.ErrorIs(t, err, ErrInvalidHeader)
	var he *HeaderError
	require.ErrorAs(t, err, &he)
	require.Equal(t, frames.HdrDestination, he.Key)
	name, err = o.wait(t)
	require.Equal(t, "good", name)
	require.NoError(t, err)
	require.Equal(t, "/q/ok", expectFrame(t, got, frames.CmdSend).Header(frames.HdrDestination))
	require.Zero(t, c.Outbox())
	require.Zero(t, c.Stats().ReceiptsPending, "the refused message's receipt left the book")
	require.Equal(t, Connected, c.State())
}
