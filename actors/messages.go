package actors

import (
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/stompactor/stompactor/frames"
)

// Commands to the session.

type connectRequest struct {
	cfg   ConnectConfig
	reply chan connectResult
	// taken, when not nil, is called as the session takes the request
	// (ConnectTaken).
	taken func()
}

type connectResult struct {
	info ConnectInfo
	err  error
}

// connectWithdrawn ends the attempt a connectRequest started (if it is
// still going) because its caller stopped waiting with err.
type connectWithdrawn struct {
	reply chan connectResult // the connectRequest's, naming it
	err   error
}

type disconnectRequest struct {
	receipt bool
	timeout time.Duration
	reply   chan error
}

type interruptRequest struct{ reply chan struct{} }

// The requests the session (or its transactions actor) may pass on to
// the writer carry the writeFrame they become, made by the caller: its
// reply is the request's, and the caller reads its receipt deadline when
// its context ends (askLinked), as a sender does.

type subscribeRequest struct {
	spec *SubscribeSpec // the session's from now on
	wf   *writeFrame
	note *subNote // placed as the subscription is made (subnotes.go)
}

type unsubscribeRequest struct {
	id      string
	receipt time.Duration
	// refused is a SUBSCRIBE the broker refused with an ERROR: while it
	// is the subscription's last, there is nothing to undo.
	refused *writeFrame
	// undo: Subscribe failed (Conn.forget), and what the subscription
	// took over of a Disconnect's leftovers goes back (giveBack).
	undo bool
	// made, with undo, is the failed Subscribe's note: the subscription
	// ended only if it is still that call's (subEntry.made), not one
	// made with its id after an Unsubscribe ended it.
	made *subNote
	wf   *writeFrame
	// note is placed as the subscription ends (subnotes.go); nil with
	// undo, whose end is told of by nobody.
	note *subNote
}

// Facts reported to the session.

type dialed struct {
	gen uint64
	att *dialAttempt // holds the connection when err is nil
	err error
}

type frameReceived struct {
	gen   uint64
	frame *frames.Frame
}

type readFailed struct {
	gen uint64
	err error
}

type writeFailed struct {
	gen uint64
	err error
}

type heartbeatMissed struct {
	gen     uint64
	silence time.Duration
}

type connectTimedOut struct{ gen uint64 }

// slotGranted says an attempt that waited at the engine's dial gate got
// its slot and dials.
type slotGranted struct {
	gen uint64
	att *dialAttempt
}

type reconnectTick struct{ gen uint64 }

type disconnectTimedOut struct{ gen uint64 }

type receiptAwaited struct {
	entry   *outEntry // an outbox message, answered through the session
	gen     uint64
	token   bool // holds a token of the link's receiptSlots
	id      string
	tx      string
	cmd     frames.Command
	reply   chan error
	timeout time.Duration // 0: no deadline (an outbox message's)
	// end is where the frame's last byte is in the link's stream
	// (receiptheld.go); 0 for frames it is not known of (DISCONNECT,
	// bytes written as they are), whose RECEIPT is never held.
	end int64
}

type receiptTick struct{}

// actorPanicked reports a panic in one of the connection's actors (the
// session's own included); the session ends the connection.
type actorPanicked struct {
	who   *actor.PID
	err   error
	stack string
}

// Commands to the writer.

type writeFrame struct {
	frame   *frames.Frame
	raw     []byte        // sent as is when frame is nil
	receipt time.Duration // >0: the frame carries a receipt header; wait this long for it
	reply   chan error    // answered when written (or, with a receipt, when confirmed); may be nil
	then    any           // sent to the session once the frame is written
	credit  bool          // holds a token of the outgoing queue
	// announce: a MessageOutEvent goes out with the write, just before
	// it (set by the writer when it takes the frame).
	announce bool
	// taken is set when the writer has registered the frame's receipt
	// in the link's book: from then on the book answers reply (or the
	// writer, when the frame then cannot be encoded). due is the
	// receipt's deadline the writer registered (unix nanoseconds).
	taken atomic.Bool
	due   atomic.Int64
	// state is raced for, once, by the writer as it takes the frame
	// (take) and by a caller that gives up waiting for it (abandon):
	// whoever wins decides whether the frame is written.
	state atomic.Uint32
	// entry is the outbox message the frame carries: the session, not a
	// reply channel, hears its outcome.
	entry *outEntry
	// onlyAfter: the frame is written only if that one, handled by the
	// writer before it, was (an UNSUBSCRIBE after its SUBSCRIBE).
	onlyAfter *writeFrame
	// idle is its caller's wait when that is an inactivity one
	// (inactivity.go), set before the frame is queued: the write that
	// carries the frame's last byte stamps it (written), and a receipt
	// the frame asks for is registered without a deadline until then.
	// (One pointer, and credit beside announce, keep a writeFrame in
	// the 112-byte size class.)
	idle *idleCtx
}

// written records that wf's bytes have all left (at now, unix
// nanoseconds), for a caller whose wait is an inactivity one: its
// receipt's deadline, if it asked for one, starts now.
func (wf *writeFrame) written(l *link, now int64) {
	ic := wf.idle
	if ic.rid != "" {
		wf.due.Store(now + int64(wf.receipt))
		l.receipts.start(ic.rid, wf.reply, wf.receipt)
	}
	ic.wrote.Store(now)
}

// The states of a writeFrame.
const (
	frameQueued    uint32 = iota // on its way to the writer
	frameTaken                   // the writer took it: it is written (frameWritten) or refused (frameRefused)
	frameWritten                 // its bytes are in the writer's buffer (set after frameTaken)
	frameAbandoned               // its caller was answered with an error first: it is not written
	// frameMustGo: a frame that undoes or opens state both sides must
	// agree on (UNSUBSCRIBE, BEGIN, ABORT) is written even when its
	// caller gave up: left out, it would leave the broker delivering to a
	// subscription the client forgot, or a transaction the client counts
	// as open unknown to the broker; sent late, it does no harm. (A SEND,
	// SUBSCRIBE or COMMIT sent after its caller was told it failed could
	// be made twice by a caller that retries: those are not written.)
	frameMustGo
	// frameRefused: the writer took it and did not write it (refuse),
	// before its caller hears why.
	frameRefused
)

// take claims wf for the writer, before it encodes it; false: its caller
// gave up waiting first and was told so, so it must not be written.
func (wf *writeFrame) take() bool {
	return wf.state.CompareAndSwap(frameQueued, frameTaken) || wf.state.CompareAndSwap(frameMustGo, frameTaken)
}

// abandon withdraws wf for a caller that stops waiting for it; false: the
// writer took it first, and it is written.
func (wf *writeFrame) abandon() bool { return wf.state.CompareAndSwap(frameQueued, frameAbandoned) }

// Commands and facts of the outbox (outbox.go).

type reliableSend struct {
	entry *outEntry
	cfg   OutboxConfig
}

// entryFailed reports an outbox message the writer could not write (its
// receipt is registered only once it is encoded: receiptAwaited).
type entryFailed struct {
	entry *outEntry
	err   error
}

type disconnectWritten struct{ gen uint64 }

type flushRequested struct{}

type writeHeartbeat struct{}

type rateTick struct{}

// retireTick: the writer has been idle since it was armed (writer.go).
type retireTick struct{ activity uint32 }

// Commands to a subscription.

// messagesDelivered hands a subscription the messages the reader decoded
// for it in one go; each holds a slot and its bytes of the route's queue.
type messagesDelivered struct {
	msgs    []Message // read from their headers by the subscription (describe)
	version frames.Version
}

type linkChanged struct{ link *link }

// unsubscribed tells a subscription that Unsubscribe ended it: it hands
// on the messages it had already received, then stops (handover.go).
type unsubscribed struct{}

// halted tells a subscription Unsubscribe ended, still handing on its
// messages, that the connection ended for good: it skips the rest
// (counted in Stats.Dropped) and stops.
type halted struct{}

// predecessorEnded tells a subscription that the handover of the one
// with its id that Unsubscribe ended before it was made is over: it
// starts delivering what it held back (handover.go).
type predecessorEnded struct{}

// Commands to the transactions actor.

type txOp uint8

const (
	txBegin txOp = iota
	txCommit
	txAbort
)

type txRequest struct {
	op      txOp
	id      string
	receipt time.Duration
	wf      *writeFrame
}

type openTransactionsRequest struct{ reply chan []string }

type connectionEnded struct{ err error }

// Heart-beat timer ticks.

type sendTick struct{ gen uint64 }

type checkTick struct{ gen uint64 }

// Graceful disconnect.

type quiesce struct{}

// subscriptionQuiesced names the subscription by its actor (pid.Id): one
// that Unsubscribe ended, still handing on its messages, may share its id
// with a later one.
type subscriptionQuiesced struct{ id string }

// subscriptionHandedOver: a subscription Unsubscribe ended has handed on
// its messages and stopped.
type subscriptionHandedOver struct{ pid *actor.PID }
