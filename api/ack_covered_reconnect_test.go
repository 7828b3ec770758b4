package api

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Outside transactions, ack mode client: a message a later ACK covered is
// answered ErrAlreadyAcked, and still is after a reconnect. The broker
// has it acknowledged and does not deliver it again, so "the broker will
// redeliver it" would be wrong.
func TestACoveredAckStaysAlreadyAckedAfterReconnect(t *testing.T) {
	b := newBroker(t)
	s := connectTo(t, b, "1.2", WithReconnect(Reconnect{Enabled: true, InitialDelay: time.Millisecond}))
	ctx := context.Background()
	ms := pullAcked(t, s, "/queue/coveredreconnect", AckClient, 2)
	require.NoError(t, s.Ack(ctx, ms[1]))
	require.ErrorIs(t, s.Ack(ctx, ms[0]), ErrAlreadyAcked)
	waitFor(t, "both acknowledged", func() bool {
		d, ok := b.Destination("/queue/coveredreconnect")
		return ok && d.Unacked == 0 && d.Ready == 0
	})
	_, err := b.CloseConnections()
	require.NoError(t, err)
	waitFor(t, "reconnected", func() bool { return s.Connected() && s.Stats().Reconnects == 1 })
	err = s.Ack(ctx, ms[0])
	require.ErrorIs(t, err, ErrAlreadyAcked, "got %v", err)
	require.EqualValues(t, 1, s.Stats().Acks)
}
