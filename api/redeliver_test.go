package api

import (
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stompactor/stompactor/sim"
)

// A team rehearses a redelivery: the simulator's RedeliverMessage fault
// sends the second MESSAGE again with redelivered:true to a service that
// consumes with acknowledgements. The service handles (and so ACKs) both
// copies; its connection must survive, every message must be settled, and
// no server ERROR may come.
func TestServiceSurvivesARedeliveryAndSettlesEveryMessage(t *testing.T) {
	b := newBroker(t, sim.WithPlan(sim.Plan{{Name: "again", Kind: sim.RedeliverMessage, Conn: 1, Nth: 2}}))
	s := connectTo(t, b, "1.2")
	errs := collect(s.OnError)
	msgs := collect(s.OnMessageIn)
	_, err := s.Subscribe("/queue/redeliver", true)
	require.NoError(t, err)
	p := connectTo(t, b, "1.2")
	for i := range 4 {
		require.NoError(t, p.SendMessage("/queue/redeliver", strconv.Itoa(i)))
	}
	var got []string
	for len(got) < 5 {
		m := recv(t, msgs)
		got = append(got, m.Text()+" redelivered="+strconv.FormatBool(m.Redelivered))
	}
	assert.Equal(t, []string{"0 redelivered=false", "1 redelivered=false", "1 redelivered=true",
		"2 redelivered=false", "3 redelivered=false"}, got)
	// Every ACK reaches the broker, or the connection ends on one.
	waitFor(t, "the ACKs to settle or the connection to end", func() bool {
		_, open := b.Connection(1)
		return !open || b.Stats().Acked == 4
	})
	_, open := b.Connection(1)
	assert.True(t, open, "the broker ended the service's connection")
	select {
	case e := <-errs:
		t.Errorf("OnError: %v", e.Err)
	default:
	}
	d, _ := b.Destination("/queue/redeliver")
	assert.Zero(t, d.Ready+d.Unacked, "messages left on the broker: %+v", d)
}
