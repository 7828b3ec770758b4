package api

import (
	"testing"

	"github.com/stompactor/stompactor/frames"
	"github.com/stompactor/stompactor/sim"
	"github.com/stretchr/testify/require"
)

// A plain send is checked as the engine encodes it, not before; a frame
// that goes to the writer's mailbox instead (frames logged, or each SEND
// reported with a MessageOutEvent) is encoded later, where no caller
// hears its error. Every route refuses a header the version cannot carry
// when the call is made, and writes nothing of it.
func TestAPlainSendIsRefusedOnEveryRouteToTheWriter(t *testing.T) {
	for _, tt := range []struct {
		name string
		opts []Option
		set  func(*STOMP)
	}{
		{name: "written by the sender"},
		{name: "frames logged", opts: []Option{WithLogLevel(3)}},
		{name: "each SEND reported", set: func(s *STOMP) { s.OnMessageOut(func(*MessageOutEvent) {}) }},
		{name: "Timeout 0", set: func(s *STOMP) { require.NoError(t, s.SetTimeout(0)) }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			b := newBroker(t, sim.WithFrameLog(64))
			s := connectTo(t, b, "1.0", tt.opts...)
			if tt.set != nil {
				tt.set(s)
			}
			requireRefused(t, s.SendData("/queue/a\nb", []byte("x")), "destination")
			require.NoError(t, s.AddHeader("x", "a\nb"))
			requireRefused(t, s.SendMessage("/queue/a", "x"), `"x"`)
			s.ResetHeaders()
			sendBarrier(t, s, b)
		})
	}
}

// A frame refused on its way to the writer's mailbox gives back the
// outgoing queue's room it took: as many refusals as the queue has room
// for, and a good message still goes at once.
func TestARefusedSendGivesItsRoomBack(t *testing.T) {
	b := newBroker(t, sim.WithFrameLog(64))
	s := connectTo(t, b, "1.0", WithLogLevel(3))
	require.NoError(t, s.SetTimeout(0))
	for i := 0; i < 3000; i++ {
		requireRefused(t, s.SendData("/queue/a\nb", []byte("x")), "destination")
	}
	require.NoError(t, s.SetTimeout(5))
	sendBarrier(t, s, b)
	require.Equal(t, "/queue/barrier", waitFrame(t, b, 1, frames.CmdSend).Header("destination"))
}
