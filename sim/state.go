package sim

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/stompactor/stompactor/frames"
)

// state is everything the broker knows. Only the owner goroutine touches it.
type state struct {
	b        *Broker
	cfg      *config
	sessions map[*conn]*session
	dests    map[string]*destination
	touched  []*session // sessions with items to push at the end of the event
	queued   int        // ready messages held in queues and topic subscriptions
	ids      idSlabs
	counters Counters
	closed   []*session // the last sessions forgotten, oldest first (WithClosedLog)
}

func newState(b *Broker) *state {
	return &state{
		b:        b,
		cfg:      b.cfg,
		sessions: make(map[*conn]*session),
		dests:    make(map[string]*destination),
	}
}

// sessionState is where a session is in its life.
type sessionState uint8

const (
	stateNew       sessionState = iota // waiting for CONNECT
	stateConnected                     // CONNECTED sent
	stateClosing                       // ending: frames from it are ignored
)

// session is the broker's state for one connection.
type session struct {
	c        *conn
	id       string
	state    sessionState
	version  frames.Version
	login    string
	host     string
	hbSend   time.Duration // negotiated broker-to-client interval
	hbRecv   time.Duration // negotiated client-to-broker interval
	subs     map[string]*subscription
	subList  []*subscription // in subscription order
	txs      map[string]*transaction
	txList   []string
	acks     map[string]*delivery // 1.2 ack ids of unacknowledged deliveries
	nextAck  uint64
	log      frameRing
	out      []outItem // items to push at the end of the event
	blocked  bool      // the outbound queue is full: deliver nothing
	ended    int       // how many of the reader and writer have ended
	received uint64
	timedOut bool
	wrote    bool // CONNECTED has been written to the socket
}

// handle processes one event.
func (st *state) handle(ev any) {
	switch ev := ev.(type) {
	case *framesIn:
		s := st.sessions[ev.c]
		if s == nil {
			return
		}
		for _, m := range ev.frames {
			st.frame(s, m)
		}
	case *connOpened:
		st.sessions[ev.c] = &session{
			c:    ev.c,
			id:   "sim-" + strconv.Itoa(ev.c.index),
			subs: make(map[string]*subscription),
			txs:  make(map[string]*transaction),
			acks: make(map[string]*delivery),
			log:  frameRing{max: st.cfg.frameLog},
		}
		st.counters.Accepted++
	case *readEnded:
		if s := st.sessions[ev.c]; s != nil {
			st.readEnded(s, ev.err)
			st.ended(s)
		}
	case *writeEnded:
		if s := st.sessions[ev.c]; s != nil {
			st.end(s)
			st.ended(s)
		}
	case *connDrained:
		if s := st.sessions[ev.c]; s != nil && s.blocked {
			s.blocked = false
			st.dispatchSession(s)
		}
	case *copySent:
		if s := st.sessions[ev.c]; s != nil {
			st.copySent(s, ev)
		}
	case *connectedSent:
		if s := st.sessions[ev.c]; s != nil {
			s.wrote = true
		}
	case *adminRequest:
		ev.fn(st)
		close(ev.done)
	}
}

// readEnded reacts to the end of a connection's input.
func (st *state) readEnded(s *session, err error) {
	var se *frames.SyntaxError
	var le *frames.LimitError
	switch {
	case s.state == stateClosing:
	case errors.Is(err, io.EOF):
		st.end(s)
		st.send(s, outItem{kind: itemClose})
	case errors.As(err, &se), errors.As(err, &le):
		st.fail(s, nil, err.Error(), "The broker could not read the frame: "+err.Error())
	case isTimeout(err):
		s.timedOut = true
		st.counters.HeartbeatTimeouts++
		st.end(s)
	default:
		st.end(s)
	}
}

// ended counts the end of a connection goroutine and forgets the session
// once both are done.
func (st *state) ended(s *session) {
	s.ended++
	if s.ended == 2 {
		delete(st.sessions, s.c)
		st.b.unregister(s.c)
		st.keepClosed(s)
	}
}

// frame processes one frame from a client.
func (st *state) frame(s *session, m *message) {
	f := &m.frame
	s.log.add(f)
	s.received++
	if s.state == stateClosing {
		return
	}
	if s.state == stateNew && f.Command != frames.CmdConnect && f.Command != frames.CmdStomp {
		st.fail(s, f, "not connected", "The first frame must be CONNECT or STOMP, not "+f.Command.String()+".")
		return
	}
	var err error
	switch f.Command {
	case frames.CmdConnect, frames.CmdStomp:
		err = st.connect(s, f)
	case frames.CmdSend:
		err = st.sendFrame(s, m)
	case frames.CmdSubscribe:
		err = st.subscribe(s, f)
	case frames.CmdUnsubscribe:
		err = st.unsubscribe(s, f)
	case frames.CmdAck, frames.CmdNack:
		err = st.ackFrame(s, m)
	case frames.CmdBegin:
		err = st.begin(s, f)
	case frames.CmdCommit:
		err = st.commit(s, f)
	case frames.CmdAbort:
		err = st.abort(s, f)
	case frames.CmdDisconnect:
		st.disconnect(s, f)
		return
	default:
		err = protoErr("unexpected command", "Clients do not send %s frames.", f.Command)
	}
	if err != nil {
		var pe *protoError
		if errors.As(err, &pe) {
			st.fail(s, f, pe.msg, pe.detail)
		} else {
			st.fail(s, f, err.Error(), err.Error())
		}
		return
	}
	if s.state != stateClosing {
		st.receipt(s, f)
	}
}

// receipt answers a frame's receipt header, if it has one.
func (st *state) receipt(s *session, f *frames.Frame) {
	if id, ok := f.Headers.Get(frames.HdrReceipt); ok {
		st.send(s, outItem{kind: itemFrame, frame: frames.New(frames.CmdReceipt, frames.HdrReceiptID, id)})
	}
}

// send queues an item for a session's connection.
func (st *state) send(s *session, it outItem) {
	if len(s.out) == 0 {
		st.touched = append(st.touched, s)
	}
	s.out = append(s.out, it)
}

// flush pushes the items queued during an event to their connections and
// updates the flow-control gate.
func (st *state) flush() {
	for _, s := range st.touched {
		if n, ok := s.c.out.push(s.out, st.cfg.outbound); ok && n >= st.cfg.outbound {
			s.blocked = true
		}
		clear(s.out)
		s.out = s.out[:0]
	}
	clear(st.touched)
	st.touched = st.touched[:0]
	switch {
	case st.queued > st.cfg.maxQueued:
		if st.b.flow.shut() && st.cfg.flowHook != nil {
			st.cfg.flowHook(FlowEvent{Paused: true, Queued: st.queued, MaxQueued: st.cfg.maxQueued})
		}
	case st.queued <= st.cfg.maxQueued/2:
		if st.b.flow.open() && st.cfg.flowHook != nil {
			st.cfg.flowHook(FlowEvent{Paused: false, Queued: st.queued, MaxQueued: st.cfg.maxQueued})
		}
	}
}

// fail sends an ERROR for frame f (nil for a frame that could not be
// decoded) and ends the session; the connection closes once the ERROR is
// written.
func (st *state) fail(s *session, f *frames.Frame, msg, detail string) {
	receipt := ""
	if f != nil {
		receipt = f.Header(frames.HdrReceipt)
		detail = "The frame:\n-----\n" + f.String() + "\n-----\n" + detail
	}
	st.counters.Errors++
	st.send(s, outItem{kind: itemFrame, frame: errorFrame(msg, receipt, detail), close: true})
	st.end(s)
}

// end ends a session: its subscriptions go (their unacknowledged messages
// back to their queues) and its open transactions are aborted.
func (st *state) end(s *session) {
	if s.state == stateClosing {
		return
	}
	s.state = stateClosing
	for _, sub := range s.subList {
		st.dropSubscription(sub)
	}
	s.subs, s.subList = nil, nil
	s.txs, s.txList = nil, nil
	s.acks = nil
}

// errorFrame builds an ERROR frame. msg must be one line.
func errorFrame(msg, receipt, detail string) *frames.Frame {
	f := frames.New(frames.CmdError, frames.HdrMessage, msg)
	if receipt != "" {
		f.Headers.Add(frames.HdrReceiptID, receipt)
	}
	f.Headers.Add(frames.HdrContentType, "text/plain")
	if detail != "" {
		f.Body = []byte(detail + "\n")
	}
	return f
}

// protoError is a protocol violation by a client: the broker answers it
// with an ERROR frame and closes the connection.
type protoError struct {
	msg    string // the ERROR's message header: one short line
	detail string // the ERROR's body
}

func (e *protoError) Error() string { return e.msg }

func protoErr(msg, format string, args ...any) error {
	return &protoError{msg: msg, detail: fmt.Sprintf(format, args...)}
}

// frameRing keeps the last max frames received on a connection.
type frameRing struct {
	max    int
	frames []*frames.Frame
	next   int
}

func (r *frameRing) add(f *frames.Frame) {
	switch {
	case r.max == 0:
	case len(r.frames) < r.max:
		r.frames = append(r.frames, f)
	default:
		r.frames[r.next] = f
		r.next = (r.next + 1) % r.max
	}
}

// snapshot returns clones of the kept frames, oldest first.
func (r *frameRing) snapshot() []*frames.Frame {
	out := make([]*frames.Frame, 0, len(r.frames))
	for i := range r.frames {
		out = append(out, r.frames[(r.next+i)%len(r.frames)].Clone())
	}
	return out
}
