package bench

import (
	"bytes"
	"net"
	"strconv"
	"sync/atomic"

	"github.com/stompactor/stompactor/frames"
)

// Headers a SUBSCRIBE sent to a Firehose may carry to shape its stream.
// Absent ones take the firehose's defaults (FirehoseConfig).
const (
	// HdrCount is how many MESSAGE frames to send; 0 sends until the
	// client leaves.
	HdrCount = "x-bench-count"
	// HdrSize is the body size in bytes.
	HdrSize = "x-bench-size"
	// HdrInflight bounds the messages sent but not yet acknowledged, on a
	// subscription whose ack mode is client or client-individual; 0 sets
	// no bound.
	HdrInflight = "x-bench-inflight"
)

// maxFirehoseBody bounds HdrSize: a client cannot make the firehose
// allocate more than this per frame.
const maxFirehoseBody = 16 << 20

// FirehoseConfig holds a firehose's defaults for subscriptions that do
// not say otherwise.
type FirehoseConfig struct {
	Count    int64 // messages per subscription; 0: until the client leaves
	Size     int   // body size in bytes
	Inflight int64 // most unacknowledged messages in acking modes; 0: no bound
}

// Firehose is a STOMP peer that feeds consumers: after a SUBSCRIBE it
// writes MESSAGE frames, encoded once and patched only in their ids, as
// fast as the socket takes them, a batch per write. It answers CONNECT and
// receipts like Sink and accepts ACK and NACK; in the client and
// client-individual ack modes it can keep at most Inflight messages
// unacknowledged, so the client's acknowledgements pace it. Each
// connection serves one stream at a time.
type Firehose struct {
	srv  *server
	def  FirehoseConfig
	sent atomic.Int64
	acks atomic.Int64
}

// NewFirehose starts a firehose listening on listen ("127.0.0.1:0" when
// empty) with the given defaults.
func NewFirehose(listen string, def FirehoseConfig) (*Firehose, error) {
	h := &Firehose{def: def}
	srv, err := startServer(listen, h.serve)
	if err != nil {
		return nil, err
	}
	h.srv = srv
	return h, nil
}

// Addr returns the address the firehose listens on.
func (h *Firehose) Addr() string { return h.srv.Addr() }

// Sent returns how many MESSAGE frames the firehose has written.
func (h *Firehose) Sent() int64 { return h.sent.Load() }

// Acks returns how many ACK and NACK frames the firehose has received.
func (h *Firehose) Acks() int64 { return h.acks.Load() }

// Close stops the firehose and closes its connections.
func (h *Firehose) Close() error { return h.srv.Close() }

// stream is one subscription's feed.
type stream struct {
	sub, dest string
	ack       string // auto, client or client-individual
	count     int64
	size      int
	inflight  int64
	version   frames.Version
}

// control is a frame the reader asks the writer to send, in order.
type control struct {
	f       *frames.Frame
	version frames.Version // when not 0, encode from now on with it
	end     bool           // close the connection once it is written
}

// hose is one firehose connection: the reader (serve's goroutine) decodes
// what the client sends; the writer goroutine owns the socket's write
// half.
type hose struct {
	h        *Firehose
	c        net.Conn
	ctrl     chan control  // bounded; the reader waits when it is full
	streams  chan stream   // at most one stream waits
	ackSig   chan struct{} // a settlement arrived
	gone     chan struct{} // the reader ended
	done     chan struct{} // the writer ended
	settled  atomic.Int64  // client-individual: ACKs and NACKs; client: highest id acknowledged
	cumulate atomic.Bool   // the stream's mode is client
}

func (h *Firehose) serve(c net.Conn) {
	hs := &hose{h: h, c: c, ctrl: make(chan control, 64), streams: make(chan stream, 1),
		ackSig: make(chan struct{}, 1), gone: make(chan struct{}), done: make(chan struct{})}
	go hs.write()
	hs.read()
	close(hs.gone)
	_ = c.Close() // ends a write blocked on a client that stopped reading
	<-hs.done
}

func (hs *hose) read() {
	dec := frames.NewDecoder(hs.c, frames.V10, peerLimits)
	version := frames.V10
	for {
		f, err := dec.Decode()
		if err != nil {
			return
		}
		var ctl control
		switch f.Command {
		case frames.Heartbeat:
			continue
		case frames.CmdConnect, frames.CmdStomp:
			reply, v, ok := connected(f, "stompactor-bench-firehose")
			version = v
			dec.SetVersion(v)
			ctl = control{f: reply, version: v, end: !ok}
		case frames.CmdSubscribe:
			hs.subscribe(f, version)
			ctl.f = receiptFor(f)
		case frames.CmdAck, frames.CmdNack:
			hs.settle(f, version)
			ctl.f = receiptFor(f)
		case frames.CmdDisconnect:
			ctl = control{f: receiptFor(f), end: true}
		default:
			ctl.f = receiptFor(f)
		}
		if ctl.f == nil && !ctl.end {
			continue
		}
		select {
		case hs.ctrl <- ctl:
		case <-hs.done:
			return
		}
	}
}

func (hs *hose) subscribe(f *frames.Frame, v frames.Version) {
	def := hs.h.def
	st := stream{sub: f.Header(frames.HdrID), dest: f.Header(frames.HdrDestination), ack: f.Header(frames.HdrAck),
		count: def.Count, size: def.Size, inflight: def.Inflight, version: v}
	if st.ack == "" {
		st.ack = "auto"
	}
	if n, err := strconv.ParseInt(f.Header(HdrCount), 10, 64); err == nil && n >= 0 {
		st.count = n
	}
	if n, err := strconv.Atoi(f.Header(HdrSize)); err == nil && n >= 0 && n <= maxFirehoseBody {
		st.size = n
	}
	if n, err := strconv.ParseInt(f.Header(HdrInflight), 10, 64); err == nil && n >= 0 {
		st.inflight = n
	}
	if st.ack == "auto" {
		st.inflight = 0
	}
	st.size = min(max(st.size, 0), maxFirehoseBody)
	select {
	case hs.streams <- st:
	default: // one stream at a time: a SUBSCRIBE while one waits is ignored
	}
}

// settle records an ACK or NACK and wakes a writer waiting for room.
func (hs *hose) settle(f *frames.Frame, v frames.Version) {
	hs.h.acks.Add(1)
	if hs.cumulate.Load() {
		key := frames.HdrID
		if v < frames.V12 {
			key = frames.HdrMessageID
		}
		if n, err := strconv.ParseInt(f.Header(key), 10, 64); err == nil && n > hs.settled.Load() {
			hs.settled.Store(n)
		}
	} else {
		hs.settled.Add(1)
	}
	select {
	case hs.ackSig <- struct{}{}:
	default:
	}
}

func (hs *hose) write() {
	defer close(hs.done)
	defer hs.c.Close()
	w := frames.NewWriter(hs.c, frames.Encoder{Version: frames.V10})
	for {
		select {
		case <-hs.gone:
			return
		case ctl := <-hs.ctrl:
			if !hs.reply(w, ctl) {
				return
			}
		case st := <-hs.streams:
			if !hs.stream(w, st) {
				return
			}
		}
	}
}

// reply writes one control frame, and flushes when no other waits. It
// returns false when the connection is to end.
func (hs *hose) reply(w *frames.Writer, ctl control) bool {
	if ctl.version != 0 {
		w.SetVersion(ctl.version)
	}
	if ctl.f != nil {
		if err := w.WriteFrame(ctl.f); err != nil {
			return false
		}
	}
	if ctl.end || len(hs.ctrl) == 0 {
		if err := w.Flush(); err != nil {
			return false
		}
	}
	return !ctl.end
}

// Offsets of the ids in an encoded MESSAGE (see template).
const (
	idDigits = 12
	idOff    = len("MESSAGE\nmessage-id:")
	ackOff   = idOff + idDigits + len("\nack:")
)

// template encodes one MESSAGE of the stream with zero ids. The
// message-id, and the ack header in acking modes, come first so that
// their digits sit at fixed offsets.
func template(st stream) ([]byte, error) {
	zeros := string(bytes.Repeat([]byte("0"), idDigits))
	f := frames.New(frames.CmdMessage, frames.HdrMessageID, zeros)
	if st.ack != "auto" {
		f.Headers.Add(frames.HdrAck, zeros)
	}
	f.Headers.Add(frames.HdrSubscription, st.sub)
	f.Headers.Add(frames.HdrDestination, st.dest)
	f.Body = Body(st.size)
	return frames.Encoder{Version: st.version}.Append(nil, f)
}

// patchID writes n as idDigits decimal digits at b[off:].
func patchID(b []byte, off int, n int64) {
	for i := off + idDigits - 1; i >= off; i-- {
		b[i] = byte('0' + n%10)
		n /= 10
	}
}

// stream writes st's messages, answering control frames between batches.
// It returns false when the connection is to end.
func (hs *hose) stream(w *frames.Writer, st stream) bool {
	one, err := template(st)
	if err != nil {
		return false
	}
	hs.cumulate.Store(st.ack == "client")
	hs.settled.Store(0)
	per := min(max(batchBytes/len(one), 1), 1024)
	batch := bytes.Repeat(one, per)
	var sent int64
	for st.count == 0 || sent < st.count {
		for len(hs.ctrl) > 0 {
			if !hs.reply(w, <-hs.ctrl) {
				return false
			}
		}
		n := int64(per)
		if st.count > 0 {
			n = min(n, st.count-sent)
		}
		if st.inflight > 0 {
			room := st.inflight - (sent - hs.settled.Load())
			if room <= 0 {
				select {
				case <-hs.gone:
					return false
				case <-hs.ackSig:
				case ctl := <-hs.ctrl:
					if !hs.reply(w, ctl) {
						return false
					}
				}
				continue
			}
			n = min(n, room)
		}
		b := batch[:int(n)*len(one)]
		for i := range int(n) {
			id := sent + int64(i) + 1
			patchID(b[i*len(one):], idOff, id)
			if st.ack != "auto" {
				patchID(b[i*len(one):], ackOff, id)
			}
		}
		if _, err := hs.c.Write(b); err != nil {
			return false
		}
		sent += n
		hs.h.sent.Add(n)
	}
	return true
}
