package bench

import (
	"net"
	"sync/atomic"

	"github.com/stompactor/stompactor/frames"
)

// Sink is a frame-parsing STOMP peer that consumes what clients publish: it
// answers CONNECT (or STOMP) with CONNECTED and every frame carrying a
// receipt header with its RECEIPT, counts SEND frames and discards them. It
// decodes every frame with the frames codec, so a publisher measured
// against it pays for a real parse on the other side, as with a broker,
// without a broker's routing and storage.
type Sink struct {
	srv   *server
	sends atomic.Int64
}

// NewSink starts a sink listening on listen ("127.0.0.1:0" when empty).
func NewSink(listen string) (*Sink, error) {
	s := &Sink{}
	srv, err := startServer(listen, s.serve)
	if err != nil {
		return nil, err
	}
	s.srv = srv
	return s, nil
}

// Addr returns the address the sink listens on.
func (s *Sink) Addr() string { return s.srv.Addr() }

// Sends returns how many SEND frames the sink has received.
func (s *Sink) Sends() int64 { return s.sends.Load() }

// Close stops the sink and closes its connections.
func (s *Sink) Close() error { return s.srv.Close() }

func (s *Sink) serve(c net.Conn) {
	dec := frames.NewDecoder(c, frames.V10, peerLimits)
	w := frames.NewWriter(c, frames.Encoder{Version: frames.V10})
	for {
		f, err := dec.Decode()
		if err != nil {
			return
		}
		var reply *frames.Frame
		end := false
		switch f.Command {
		case frames.Heartbeat:
			continue
		case frames.CmdConnect, frames.CmdStomp:
			var v frames.Version
			var ok bool
			reply, v, ok = connected(f, "stompactor-bench-sink")
			end = !ok
			dec.SetVersion(v)
			w.SetVersion(v)
		case frames.CmdSend:
			s.sends.Add(1)
			reply = receiptFor(f)
		case frames.CmdDisconnect:
			reply, end = receiptFor(f), true
		default:
			reply = receiptFor(f)
		}
		if reply != nil {
			if err := w.WriteFrame(reply); err != nil {
				return
			}
		}
		// Answers go out once the frames already read are handled: one
		// write for a burst, never a wait behind one.
		if end || dec.Buffered() == 0 {
			if err := w.Flush(); err != nil || end {
				return
			}
		}
	}
}
