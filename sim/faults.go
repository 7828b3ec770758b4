package sim

import (
	"errors"
	"fmt"
	"time"

	"github.com/stompactor/stompactor/frames"
)

// FaultKind names what a Fault does.
type FaultKind uint8

// The fault kinds. Byte faults act on the client-facing connection's bytes
// and trigger by AfterBytes and After; frame faults act on the frames the
// server sends to the client and trigger by AfterFrames, OnCommand/Nth and
// After. DropConn is a byte fault unless AfterFrames, OnCommand or Nth is
// set.
const (
	// DropConn closes the connection abruptly. As a byte fault it fires
	// once AfterBytes bytes have passed in Dir (they get through, nothing
	// after them does) or, when AfterBytes is 0, once After has elapsed.
	// As a frame fault (AfterFrames, OnCommand or Nth set) it fires just
	// before the matching frame in Dir, which is lost. With Dir ToServer
	// the server's answers to earlier frames that were not yet written
	// are lost too, although the server acted on those frames (see the
	// package documentation).
	DropConn FaultKind = iota + 1
	// RefuseAccept closes the connection as soon as it is accepted.
	RefuseAccept
	// StallAccept holds an accepted connection unserved for Delay (0: until
	// the broker or proxy closes), then serves it normally.
	StallAccept
	// DelayWrites waits Delay plus a seeded random part of Jitter before
	// each write to the client (Dir ToClient) or before handing each read
	// from the client to the server (Dir ToServer). To the client, the
	// broker and the proxy then write each frame (with any copy a frame
	// fault adds to it) with a call of its own, so the same frames get the
	// same waits on every run. From the client, how its bytes split into
	// reads depends on timing: only the sequence of waits drawn repeats.
	DelayWrites
	// SplitWrites cuts each write to the client (or each read from it, Dir
	// ToServer) into pieces of Chunk bytes (default 1: single bytes), each
	// its own write call.
	SplitWrites
	// RandomChunks is SplitWrites with piece sizes drawn from Seed,
	// uniformly between 1 and Chunk (default 64).
	RandomChunks
	// CorruptByte XORs the byte at offset AfterBytes in Dir with Mask
	// (default 0xFF).
	CorruptByte
	// StopReading stops reading from the client once AfterBytes bytes have
	// been read and After has elapsed (a read already waiting when After
	// passes is stopped too), for Delay (0: until closed), so the socket
	// buffers fill and the client's writes block, like a broker's resource
	// alarm. The stall is not the client's silence: the broker's heart-beat
	// read deadline is pushed back by its length, so what the client sent
	// meanwhile is read before the broker judges it silent.
	StopReading
	// StallWrites stops writing to the client once AfterBytes bytes have
	// passed in Dir (written to the client, or with Dir ToServer read from
	// it) and After has elapsed, for Delay (0: until closed).
	StallWrites
	// StopHeartbeats drops every heart-beat sent to the client from the
	// trigger on.
	StopHeartbeats
	// SendError sends the client an ERROR frame (message header Message)
	// just before the triggering frame, or when After elapses if no frame
	// condition is set. With Fatal the connection is then closed and the
	// triggering frame is lost; otherwise it stays open.
	SendError
	// DuplicateMessage sends the triggering MESSAGE frame twice.
	//
	// The broker acknowledges the copy as a real broker does a second
	// delivery of a message: in STOMP 1.2 it carries an ack id of its own
	// (the original's followed by "-copy" and a number); the first ACK or
	// NACK of the original or the copy settles the message, and a later
	// ACK or NACK of the other is accepted and does nothing.
	//
	// In 1.0 and 1.1, where ACK names the message-id the copies share, the
	// first ACK or NACK of the message-id settles the message; the broker
	// then accepts one more ACK (or NACK) of it per copy sent, which does
	// nothing. These are spent before a later delivery of the message-id
	// (in 1.1, to the same subscription) is settled: after a NACK of the
	// original, the next ACK or NACK of the message-id is taken as the
	// copy's and leaves the redelivery unsettled, whichever MESSAGE the
	// client meant, and the one after that settles the redelivery.
	//
	// A cumulative ACK (client mode) of a later message settles a message
	// and forgets its copies. The counters and inspection count the
	// message once. A proxy forwards the copy with the original ack id
	// (the broker behind it knows of one delivery only), so a client that
	// acknowledges both makes that broker answer the second as it answers
	// an unknown ack.
	DuplicateMessage
	// RedeliverMessage sends the triggering MESSAGE frame, then a copy of it
	// with the header redelivered:true, acknowledged as DuplicateMessage's.
	RedeliverMessage
	// WithholdReceipt drops the triggering RECEIPT frame.
	WithholdReceipt
	// NoDisconnectReceipt drops the RECEIPT that answers a DISCONNECT and
	// closes the connection instead.
	NoDisconnectReceipt
	numFaultKinds
)

var faultKindNames = [numFaultKinds]string{
	DropConn:            "DropConn",
	RefuseAccept:        "RefuseAccept",
	StallAccept:         "StallAccept",
	DelayWrites:         "DelayWrites",
	SplitWrites:         "SplitWrites",
	RandomChunks:        "RandomChunks",
	CorruptByte:         "CorruptByte",
	StopReading:         "StopReading",
	StallWrites:         "StallWrites",
	StopHeartbeats:      "StopHeartbeats",
	SendError:           "SendError",
	DuplicateMessage:    "DuplicateMessage",
	RedeliverMessage:    "RedeliverMessage",
	WithholdReceipt:     "WithholdReceipt",
	NoDisconnectReceipt: "NoDisconnectReceipt",
}

// String returns the kind's name ("DropConn").
func (k FaultKind) String() string {
	if k > 0 && k < numFaultKinds {
		return faultKindNames[k]
	}
	return fmt.Sprintf("FaultKind(%d)", uint8(k))
}

// Direction names one half of a connection.
type Direction uint8

// The two directions. The zero value is ToClient.
const (
	// ToClient is the stream from the server (broker) to the client.
	ToClient Direction = iota
	// ToServer is the stream from the client to the server.
	ToServer
)

// String returns "to-client" or "to-server".
func (d Direction) String() string {
	if d == ToServer {
		return "to-server"
	}
	return "to-client"
}

// Fault is one planned fault: a kind, a trigger and the kind's parameters.
// Every condition of the trigger that is set must hold for the fault to
// fire; a fault with no condition fires at the first opportunity.
type Fault struct {
	// Name identifies the fault in FaultEvents. Required, unique in a plan.
	Name string
	// Kind says what the fault does.
	Kind FaultKind

	// Conn is the 1-based number, in accept order, of the one connection
	// the fault applies to (ServePipe connections count too). The default,
	// 0, applies it to every connection.
	Conn int
	// Dir is the stream whose bytes or frames are counted and, for
	// DropConn, DelayWrites, SplitWrites, RandomChunks and CorruptByte,
	// the stream affected. The default is ToClient. StallWrites always
	// stalls the ToClient stream; with Dir ToServer its AfterBytes counts
	// the bytes read from the client (a stall before CONNECTED, say).
	// StopReading always stops and counts the ToServer stream, the one it
	// reads, whatever Dir says. Frame faults other than DropConn always act
	// on the ToClient stream and count it.
	Dir Direction
	// AfterBytes is a byte offset in Dir from the start of the connection
	// (byte faults only). The default is 0.
	AfterBytes int64
	// AfterFrames is how many frames (heart-beats not counted) in Dir pass
	// untouched before the fault may fire (frame faults only).
	AfterFrames int
	// OnCommand restricts the trigger to frames with this command (frame
	// faults only). DuplicateMessage and RedeliverMessage imply
	// CmdMessage, WithholdReceipt and NoDisconnectReceipt CmdReceipt.
	// The command must be one that crosses the stream the fault counts:
	// one the server sends (CONNECTED, MESSAGE, RECEIPT, ERROR) for the
	// ToClient stream, one the client sends (SEND, ACK, ...) for a
	// DropConn with Dir ToServer. Any other is refused, since the fault
	// could never fire: a DropConn meant to cut on the client's SEND needs
	// Dir ToServer.
	OnCommand frames.Command
	// Nth makes the fault fire on the Nth frame matching OnCommand and
	// AfterFrames. The default, 0, means the first.
	Nth int
	// After is the time since the connection was accepted before the fault
	// may fire. The default is 0.
	After time.Duration
	// Times is how many frames a frame fault affects once it has fired:
	// 0 means one, a negative value every frame from then on.
	// StopHeartbeats always affects every later heart-beat.
	Times int

	// Delay is DelayWrites' fixed wait, and how long StallAccept,
	// StopReading and StallWrites last (0: until the connection closes).
	Delay time.Duration
	// Jitter adds a random wait drawn from Seed in [0, Jitter) to each
	// DelayWrites wait.
	Jitter time.Duration
	// Chunk is SplitWrites' piece size (default 1) and RandomChunks'
	// largest piece (default 64).
	Chunk int
	// Mask is what CorruptByte XORs the byte with (default 0xFF).
	Mask byte
	// Message is the message header of a SendError ERROR frame. The
	// default is "injected fault " followed by the fault's name.
	Message string
	// Fatal makes SendError close the connection after the ERROR.
	Fatal bool
	// ReceiptOf makes a SendError answer a receipt: the ReceiptOf-th frame
	// from the client that carries a receipt header (1 the first; counted
	// once After has elapsed) gets the ERROR, with that receipt as its
	// receipt-id, in place of the RECEIPT the server sends for it. A
	// client waiting for that RECEIPT then gets an ERROR that names it, as
	// STOMP 1.2 lets a server answer a frame it failed. Only the answer
	// is replaced: the broker still acts on the frame itself, so a SEND
	// answered this way is enqueued (and delivered) all the same, and a
	// SUBSCRIBE or ACK takes effect. That rehearses an outcome the client
	// cannot know (a broker that failed after acting); a test that checks
	// "refused, so not delivered" against it is misled. If the server
	// answers the frame with an ERROR of its own instead, the fault does
	// not fire. It cannot be combined with AfterFrames, OnCommand or Nth.
	// A DropConn with Dir ToServer leaves the client as unsure of every
	// frame whose answer the cut lost.
	ReceiptOf int
	// Seed seeds every random choice of the fault. The generator is also
	// keyed by the connection number, so each connection gets its own
	// sequence and a rerun with the same plan gets the same ones: the same
	// client script then meets the same faults at the same places (see
	// DelayWrites for the one exception) and FaultEvents compares equal,
	// as long as what the broker sends does not itself depend on timing.
	Seed uint64
}

// Plan is a list of faults; a broker or proxy applies each to the
// connections its Conn field names.
type Plan []Fault

// isFrameFault reports whether the fault acts on frames rather than bytes.
func (f *Fault) isFrameFault() bool {
	switch f.Kind {
	case StopHeartbeats, SendError, DuplicateMessage, RedeliverMessage, WithholdReceipt, NoDisconnectReceipt:
		return true
	case DropConn:
		return f.AfterFrames > 0 || f.OnCommand != frames.CmdInvalid || f.Nth > 0
	}
	return false
}

// isAcceptFault reports whether the fault acts when a connection is accepted.
func (f *Fault) isAcceptFault() bool { return f.Kind == RefuseAccept || f.Kind == StallAccept }

// command returns the command the fault's trigger is restricted to.
func (f *Fault) command() frames.Command {
	switch f.Kind {
	case DuplicateMessage, RedeliverMessage:
		return frames.CmdMessage
	case WithholdReceipt, NoDisconnectReceipt:
		return frames.CmdReceipt
	}
	return f.OnCommand
}

// Validate reports the first fault of p that is not well formed: a missing
// or repeated name, an unknown kind, a negative count or duration, a
// trigger condition that the kind cannot use, or an OnCommand that never
// crosses the stream the fault counts (so it could never fire). The error
// names the fault. NewBroker, NewProxy and Inject refuse what it refuses.
func (p Plan) Validate() error {
	seen := make(map[string]bool, len(p))
	for i := range p {
		f := &p[i]
		if f.Name == "" {
			return fmt.Errorf("sim: fault %d has no name", i)
		}
		if seen[f.Name] {
			return fmt.Errorf("sim: fault name %q used twice", f.Name)
		}
		seen[f.Name] = true
		if err := f.validate(); err != nil {
			return fmt.Errorf("sim: fault %q: %w", f.Name, err)
		}
	}
	return nil
}

func (f *Fault) validate() error {
	if f.Kind == 0 || f.Kind >= numFaultKinds {
		return fmt.Errorf("unknown kind %v", f.Kind)
	}
	if f.Conn < 0 || f.AfterBytes < 0 || f.AfterFrames < 0 || f.Nth < 0 || f.Chunk < 0 || f.ReceiptOf < 0 {
		return errors.New("negative count")
	}
	if f.After < 0 || f.Delay < 0 || f.Jitter < 0 {
		return errors.New("negative duration")
	}
	if f.Dir > ToServer {
		return fmt.Errorf("unknown direction %d", f.Dir)
	}
	if f.OnCommand != frames.CmdInvalid && !f.OnCommand.Valid() {
		return fmt.Errorf("invalid command %v", f.OnCommand)
	}
	frameCond := f.AfterFrames > 0 || f.OnCommand != frames.CmdInvalid || f.Nth > 0
	if f.ReceiptOf > 0 {
		if f.Kind != SendError {
			return errors.New("only SendError answers a receipt (ReceiptOf)")
		}
		if frameCond {
			return errors.New("ReceiptOf cannot be combined with AfterFrames, OnCommand or Nth")
		}
	}
	switch {
	case f.isAcceptFault():
		if frameCond || f.AfterBytes > 0 || f.After > 0 {
			return errors.New("accept faults trigger by Conn only")
		}
	case f.isFrameFault():
		if f.AfterBytes > 0 {
			return errors.New("frame faults cannot trigger by AfterBytes")
		}
		if f.Dir == ToServer && f.Kind != DropConn {
			return errors.New("only DropConn counts frames to the server")
		}
		if c := f.command(); f.OnCommand != frames.CmdInvalid && c != f.OnCommand {
			return fmt.Errorf("%v only applies to %v frames", f.Kind, c)
		}
		if err := f.checkStream(); err != nil {
			return err
		}
	default:
		if frameCond {
			return errors.New("byte faults trigger by AfterBytes and After only")
		}
	}
	return nil
}

// checkStream refuses a frame fault whose OnCommand never crosses the
// stream it counts (a to-client DropConn on SEND, a SendError on ACK, a
// to-server DropConn on MESSAGE): such a fault would never fire.
func (f *Fault) checkStream() error {
	if f.OnCommand == frames.CmdInvalid {
		return nil
	}
	want, side, hint := frames.FromServer, "the client", "; set Dir: ToServer to count the client's frames"
	if f.Dir == ToServer {
		want, side, hint = frames.FromClient, "the server", "; leave Dir at ToClient to count the server's frames"
	} else if f.Kind != DropConn {
		hint = "; only DropConn (Dir: ToServer) counts the client's frames"
	}
	if f.OnCommand.SentBy()&want != 0 {
		return nil
	}
	return fmt.Errorf("%v counts the %v stream, which never carries %v (%s sends it), so the fault would never fire%s",
		f.Kind, f.Dir, f.OnCommand, side, hint)
}

// FaultEvent records one action of a fault, for tests to compare runs.
type FaultEvent struct {
	Fault string    // the fault's Name
	Kind  FaultKind // the fault's Kind
	Conn  int       // 1-based connection number
	Dir   Direction // the stream acted on (for StallWrites, the one counted)
	// Offset is the byte offset in Dir (byte faults; for a DropConn cut by
	// time, the bytes that had passed when it cut) or the frame index
	// (frame faults).
	Offset int64
	// Size is the size of a piece cut by SplitWrites or RandomChunks.
	Size int
	// Delay is the wait chosen by DelayWrites, or the length of a stall.
	Delay time.Duration
	// Command is the command of the frame a frame fault acted on.
	Command frames.Command
}

// String describes the event on one line, as a command line prints it:
// "conn 2: drop (DropConn) to-client at byte 512",
// "conn 1: err (SendError) at frame 3 (MESSAGE)".
func (e FaultEvent) String() string {
	s := fmt.Sprintf("conn %d: %s (%v)", e.Conn, e.Fault, e.Kind)
	switch {
	case e.Kind == RefuseAccept || e.Kind == StallAccept:
		s += " on accept"
	case e.Command != frames.CmdInvalid:
		if e.Dir == ToServer {
			s += " " + e.Dir.String()
		}
		s += fmt.Sprintf(" at frame %d (%v)", e.Offset, e.Command)
	default:
		s += fmt.Sprintf(" %v at byte %d", e.Dir, e.Offset)
	}
	if e.Size > 0 {
		s += fmt.Sprintf(", %d-byte piece", e.Size)
	}
	if e.Delay > 0 {
		s += fmt.Sprintf(", %v", e.Delay)
	}
	return s
}
