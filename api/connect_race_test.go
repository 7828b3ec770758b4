package api

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Eight goroutines call Connect at once: exactly one connects, the others
// are told ErrAlreadyConnected, and RemoteHost/RemotePort name the broker
// the client is connected to.
func TestRacingConnectsLeaveTheWinnersRemoteHost(t *testing.T) {
	bad := 0
	for round := range 20 {
		b1 := newBroker(t)
		b2 := newBroker(t)
		h1, p1 := hostPort(t, b1.Addr())
		h2, p2 := hostPort(t, b2.Addr())
		s := newClient(t, WithTimeout(10*time.Second))
		var wg sync.WaitGroup
		var ok atomic.Int32
		errs := make(chan error, 8)
		for g := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				h, p := h1, p1
				if g%2 == 1 {
					h, p = h2, p2
				}
				err := s.Connect(h, p)
				if err == nil {
					ok.Add(1)
				}
				errs <- err
			}()
		}
		runWithin(t, "the Connects", raceBound, wg.Wait)
		close(errs)
		for err := range errs {
			if err != nil {
				assert.ErrorIs(t, err, ErrAlreadyConnected, "round %d", round)
				assert.True(t, typedOrNil(err))
			}
		}
		require.EqualValues(t, 1, ok.Load(), "round %d: exactly one Connect succeeds", round)
		host, port, connected := s.ConnectedServer()
		require.True(t, connected)
		if got, want := fmt.Sprintf("%s:%d", s.RemoteHost(), s.RemotePort()), fmt.Sprintf("%s:%d", host, port); got != want {
			bad++
			t.Logf("round %d: connected to %s, but RemoteHost:RemotePort say %s (a Connect that returned ErrAlreadyConnected set them)", round, want, got)
		}
		s.Close()
	}
	assert.Zero(t, bad, "rounds of 20 where RemoteHost/RemotePort name a broker the client is not connected to")
}

// A Connect made from the OnConnected handler of a failed attempt goes
// ahead: the first Connect stops counting as under way once its attempt
// began, not once its caller woke to the outcome.
func TestConnectFromOnConnectedOfAFailedAttemptGoesAhead(t *testing.T) {
	dh, dp := deadAddr(t)
	b := newBroker(t)
	h, p := hostPort(t, b.Addr())
	s := newClient(t, WithTimeout(10*time.Second))
	retried := make(chan error, 1)
	s.OnConnected(func(e *ConnectedEvent) {
		if e.Err != nil {
			retried <- s.Connect(h, p)
		}
	})
	for round := range 30 {
		err := s.Connect(dh, dp)
		require.Error(t, err, "round %d: nobody listens there", round)
		var rerr error
		select {
		case rerr = <-retried:
		case <-time.After(raceBound):
			t.Fatalf("round %d: the handler's Connect did not return", round)
		}
		require.NoError(t, rerr, "round %d: the Connect of OnConnected", round)
		require.Equal(t, fmt.Sprintf("%s:%d", h, p), fmt.Sprintf("%s:%d", s.RemoteHost(), s.RemotePort()))
		require.NoError(t, s.Disconnect())
	}
}
