package api

import (
	"context"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// With AtLeastOnce a send returns once the broker confirmed it.
func TestAtLeastOnceSendWaitsForItsReceipt(t *testing.T) {
	b := newBroker(t)
	s := connectTo(t, b, "1.2", WithAtLeastOnce(AtLeastOnce{Enabled: true, DedupHeader: "x-dedup"}))
	require.NoError(t, s.SendMessage("/queue/alo", "safe"))
	// The simulator answers a receipt once the frame took effect.
	d, ok := b.Destination("/queue/alo")
	require.True(t, ok)
	assert.EqualValues(t, 1, d.Enqueued)
	assert.Zero(t, s.Stats().Outbox)
	// The message carries its de-duplication id.
	got := collect(s.OnMessageIn)
	_, err := s.Subscribe("/queue/alo", false)
	require.NoError(t, err)
	m := recv(t, got)
	assert.NotEmpty(t, headerValue(m.Headers, "x-dedup"))
}

// SendDataAsync returns at once and reports each confirmation.
func TestSendDataAsync(t *testing.T) {
	b := newBroker(t)
	s := connectTo(t, b, "1.2")
	const n = 500
	outcomes := make(chan error, n)
	for i := range n {
		require.NoError(t, s.SendDataAsync(context.Background(), "/queue/async", []byte(strconv.Itoa(i)), func(err error) { outcomes <- err }))
	}
	for range n {
		require.NoError(t, recv(t, outcomes))
	}
	d, _ := b.Destination("/queue/async")
	assert.EqualValues(t, n, d.Enqueued)
}

// An at-least-once message cannot join a transaction.
func TestAtLeastOnceRefusesTransactions(t *testing.T) {
	b := newBroker(t)
	s := connectTo(t, b, "1.2", WithAtLeastOnce(AtLeastOnce{Enabled: true}))
	require.NoError(t, s.BeginTransaction("t1"))
	require.NoError(t, s.SetTransactionID("t1"))
	err := s.SendMessage("/queue/tx", "x")
	require.ErrorIs(t, err, ErrInvalidArgument)
	require.ErrorContains(t, err, "transaction")
}

// The settings read and write through Config like the others.
func TestAtLeastOnceSettings(t *testing.T) {
	s := newClient(t)
	for _, kv := range []string{"AtLeastOnce=true", "MaxOutbox=16", "DedupHeader=x-id"} {
		_, err := s.Config(kv)
		require.NoError(t, err, kv)
	}
	for k, want := range map[string]string{"AtLeastOnce": "true", "MaxOutbox": "16", "DedupHeader": "x-id"} {
		got, err := s.Config(k)
		require.NoError(t, err)
		assert.Equal(t, want, got, k)
	}
	_, err := s.Config("DedupHeader=bad:name")
	require.ErrorIs(t, err, ErrInvalidArgument)
	_, err = s.Config("MaxOutbox=-1")
	require.Error(t, err)
	require.ErrorIs(t, NewSTOMP(WithAtLeastOnce(AtLeastOnce{MaxOutbox: -1})).Connect("127.0.0.1", 1), ErrInvalidArgument)
}
