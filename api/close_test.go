package api

import (
	"testing"
)

// Close may be called from inside a handler: it returns, and everything
// still stops (goleak checks the goroutines at the end of the package).
func TestCloseFromInsideHandlers(t *testing.T) {
	b := newBroker(t)
	t.Run("OnMessageIn", func(t *testing.T) {
		s := connectTo(t, b, "1.2")
		closed := make(chan struct{})
		s.OnMessageIn(func(*MessageInEvent) {
			s.Close()
			close(closed)
		})
		_, err := s.Subscribe("/queue/close-in-handler", false)
		if err != nil {
			t.Fatal(err)
		}
		p := connectTo(t, b, "1.2")
		if err := p.SendMessage("/queue/close-in-handler", "x"); err != nil {
			t.Fatal(err)
		}
		recv(t, closed)
	})
	t.Run("OnDisconnected", func(t *testing.T) {
		s := connectTo(t, b, "1.2")
		closed := make(chan struct{})
		s.OnDisconnected(func(*DisconnectedEvent) {
			s.Close()
			close(closed)
		})
		if err := s.Disconnect(); err != nil {
			t.Fatal(err)
		}
		recv(t, closed)
	})
}
