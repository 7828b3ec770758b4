package api

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/stompactor/stompactor/sim"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// MaxOutbox goes up to 1<<20 and "a send waits for room": the outbox's
// messages take none of the connection's receipt slots
// (actors.ConnectConfig.MaxPendingReceipts, 4096, which the api does not
// expose). More than 4096 unconfirmed messages wait at once, and none is
// refused with ErrTooManyReceipts (code 302, "nothing written") and
// dropped from the outbox, as each past the 4096th was.
func TestTheOutboxKeepsWhatItTookPastTheReceiptSlots(t *testing.T) {
	b := newBroker(t, sim.WithOutboundQueue(1<<20)) // RECEIPTs wait in it, unread
	s := connectTo(t, b, "1.2", WithTimeout(30*time.Second), WithAtLeastOnce(AtLeastOnce{Enabled: true, MaxOutbox: 8192}))
	// The broker takes every SEND but its RECEIPTs are held up (a slow
	// network to the client), until the stall is cleared.
	require.NoError(t, b.Inject(sim.Fault{Name: "slow", Kind: sim.StallWrites, Conn: 1}))
	const n = 4200
	outcomes := make(chan error, n)
	for i := range n {
		require.NoError(t, s.SendDataAsync(context.Background(), "/queue/many", []byte(strconv.Itoa(i)), func(err error) { outcomes <- err }))
	}
	// A barrier through the session and the writer, behind every message.
	_, err := s.Subscribe("/queue/other", true)
	require.NoError(t, err)
	waitFor(t, "the SUBSCRIBE at the broker", func() bool {
		ci, ok := b.Connection(1)
		return ok && len(ci.Subscriptions) == 1
	})
	require.NoError(t, b.Clear("slow"))
	var failed []error
	for range n {
		if err := recv(t, outcomes); err != nil {
			failed = append(failed, err)
		}
	}
	if len(failed) > 0 {
		t.Logf("first failure: %v (code %d)", failed[0], failed[0].(*Error).Code)
	}
	assert.Zero(t, len(failed), "%d of %d messages the outbox took were dropped unsent", len(failed), n)
	d, _ := b.Destination("/queue/many")
	assert.EqualValues(t, n, d.Enqueued)
}

// After a reconnect, the outbox sends again every message written on the
// old connection and not confirmed, more than the 4096 receipt slots, and
// none is refused for want of one: 302 ("not written") would have been
// said of messages the broker may hold, and a program that sent them
// again would have made copies with new DedupHeader ids.
func TestTheOutboxResendsPastTheReceiptSlotsAfterAReconnect(t *testing.T) {
	b := newBroker(t, sim.WithOutboundQueue(1<<20)) // RECEIPTs wait in it, unread
	s := connectTo(t, b, "1.2", WithTimeout(30*time.Second),
		WithAtLeastOnce(AtLeastOnce{Enabled: true, MaxOutbox: 8192, DedupHeader: "x-dedup"}),
		WithReconnect(Reconnect{Enabled: true, InitialDelay: time.Millisecond, MaxDelay: 10 * time.Millisecond}))
	// Connection 1 takes every SEND, and its RECEIPTs never leave.
	require.NoError(t, b.Inject(sim.Fault{Name: "slow", Kind: sim.StallWrites, Conn: 1}))
	const n = 4200
	outcomes := make(chan error, n)
	for i := range n {
		require.NoError(t, s.SendDataAsync(context.Background(), "/queue/again", []byte(strconv.Itoa(i)), func(err error) { outcomes <- err }))
	}
	waitFor(t, "every message at the broker", func() bool {
		d, _ := b.Destination("/queue/again")
		return d.Enqueued == n
	})
	require.EqualValues(t, n, s.Stats().Outbox)
	require.NoError(t, b.CloseConnection(1))
	var failed []error
	for range n {
		if err := recv(t, outcomes); err != nil {
			failed = append(failed, err)
		}
	}
	if len(failed) > 0 {
		t.Logf("first failure: %v (code %d)", failed[0], failed[0].(*Error).Code)
	}
	assert.Zero(t, len(failed), "%d of %d messages were not confirmed after the reconnect", len(failed), n)
	assert.EqualValues(t, n, s.Stats().Resent)
	d, _ := b.Destination("/queue/again")
	assert.EqualValues(t, 2*n, d.Enqueued, "each on both connections")
}
