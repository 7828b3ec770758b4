package actors

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/stompactor/stompactor/frames"
)

// The outbox: at-least-once publishing. Every message sent through
// SendReliable carries a receipt and stays in the session's outbox until
// its own RECEIPT arrives, an ERROR names its receipt, or the connection
// ends for good (Close, Disconnect, a loss without a Reconnect policy,
// reconnecting given up); no timer drops it. When the connection ends
// and a Reconnect policy brings it back, the message is sent again on the
// new connection; a message sent while the client reconnects waits in
// the outbox. So no message whose send was confirmed is lost, and a
// message may arrive twice (the broker had it, its RECEIPT was lost with
// the connection): consumers de-duplicate with the DedupHeader. The
// outbox is bounded (Max): a full outbox makes senders wait for room,
// which is its backpressure; its messages take none of the connection's
// MaxPendingReceipts. It lives in memory: a crash of the process loses
// what it holds.

// OutboxConfig configures at-least-once publishing.
type OutboxConfig struct {
	// Max bounds the messages waiting for their RECEIPT; a send waits for
	// room, bounded by its context (or not at all: NoWait): a broker that
	// confirms nothing fills the outbox and then holds its senders back.
	// Default 1024.
	Max int
	// DedupHeader, when set, names a header each message carries with an
	// id unique to it and kept across resends, so that a consumer can drop
	// the copies a resend makes. It may not be one of the client's own
	// headers (OwnHeader): SendReliable refuses such a name with
	// ErrInvalidArgument. Default none.
	DedupHeader string
	// InlineDone says done only hands its outcome on (a send to a
	// buffered channel, say) and cannot block, panic or end its
	// goroutine: it is then called on the engine's own goroutine, saving
	// a hand-off. Otherwise done runs on a goroutine of the outbox's.
	InlineDone bool
	// NoWait makes SendReliable not wait for room: a full outbox refuses
	// the message at once with ErrOutboxFull (code 302, ErrWouldBlock),
	// and nothing was taken. For a caller that must not block (the
	// facade's Timeout 0). Default false: it waits, bounded by its
	// context.
	NoWait bool
	// LeaveOutOn10 names headers (a tracer's: traceparent, tracestate)
	// that each transmission on a STOMP 1.0 connection leaves out when
	// their value holds a backslash. 1.0 has no escapes, yet brokers
	// apply 1.1's there, changing the value or ending the connection.
	// The rule is applied to the version of the connection the message
	// is written on, so a message queued while reconnecting, or written
	// again after a failover, follows the broker it reaches. Default
	// none.
	LeaveOutOn10 []string
}

func (o *OutboxConfig) withDefaults() {
	if o.Max <= 0 {
		o.Max = 1024
	}
}

// outEntry is one message of the outbox.
type outEntry struct {
	frame *frames.Frame // without receipt header; each transmission copies it
	done  func(error)   // called once, by the outbox's runner (or inline)
	gen   uint64        // the connection it was last written on; 0: not written
	// inline: done only hands its outcome on (OutboxConfig.InlineDone),
	// and is called on the session's goroutine.
	inline bool
	sends  int  // transmissions so far
	slot   bool // holds a token of the outbox bound
	// leaveOut: OutboxConfig.LeaveOutOn10.
	leaveOut []string
}

// outbox is the session's list of unconfirmed messages, oldest first.
type outbox struct {
	// post is held by SendReliable as it looks at Conn.closed and posts
	// to the session, and by Close as it closes it.
	post    sync.Mutex
	entries []*outEntry
	slots   chan struct{} // a token per entry, taken by the sender
	prefix  string        // of dedup ids: random per Conn, made by the session on first use
	seq     uint64
	// dones calls the senders' done with their outcomes (dones.go).
	dones doneRunner
}

// SendReliable sends f at least once: it takes a place in the outbox
// (waiting for room, bounded by ctx: ErrTimeout or ErrCanceled then, and
// nothing was taken; with cfg.NoWait a full outbox is ErrOutboxFull at
// once) and returns; the message stays in the outbox, and is
// sent again after every reconnect, until done is called, once:
//   - nil: the broker confirmed f with its own RECEIPT;
//   - a server error: an ERROR frame named f's receipt;
//   - ErrOutcomeUnknown: the connection ended for good (Close, Disconnect,
//     a loss without a Reconnect policy, reconnecting given up) after f
//     was written, and before its answer;
//   - the reason the connection ended (wrapping ErrConnectionLost,
//     ErrClosed, ErrInterrupted, or a broker's ERROR), when it ended for
//     good before f was written; ErrNotConnected when f was sent while
//     the client was not connected nor reconnecting, or was disconnecting;
//   - another error: the writer could not encode f (a header the
//     negotiated version cannot carry).
//
// No deadline ends it: a RECEIPT that never comes keeps the message in
// the outbox until one of the ends above. done runs on a goroutine of the
// outbox's, in the order the broker answered, one at a time; a done that
// panics or ends its goroutine is reported (ErrorEvent) and counted in
// Stats.Panics, and the other outcomes are still told. Close waits for
// the dones (within CloseContext's context), except when it is called
// from inside one. f is not used by the caller afterwards. A frame that
// joins a transaction is refused (ErrReliableInTransaction): resent alone,
// it would leave its transaction; so is a DedupHeader that names one of
// the client's own headers (ErrInvalidArgument).
func (c *Conn) SendReliable(ctx context.Context, f *frames.Frame, cfg OutboxConfig, done func(error)) error {
	if f.Headers.Has(frames.HdrTransaction) {
		return ErrReliableInTransaction
	}
	if OwnHeader(cfg.DedupHeader) {
		return NewError(CodeInvalidArgument, "stomp: DedupHeader "+strconv.Quote(cfg.DedupHeader)+" is a header the client sets itself; a de-duplication id cannot replace it", nil)
	}
	ob := c.outbox(cfg)
	select {
	case ob.slots <- struct{}{}:
	default:
		if cfg.NoWait {
			return ErrOutboxFull
		}
		select {
		case ob.slots <- struct{}{}:
		case <-ctx.Done():
			return ctxErr(ctx)
		case <-c.closed:
			return ErrClosed
		}
	}
	// Posted under post, so either before Close's poison pill, and then
	// handled (and settled) before the session stops, or not at all.
	ob.post.Lock()
	defer ob.post.Unlock()
	select {
	case <-c.closed:
		<-ob.slots
		return ErrClosed
	default:
	}
	c.eng.sys.Root.Send(c.session, &reliableSend{entry: &outEntry{frame: f, done: done, slot: true, inline: cfg.InlineDone, leaveOut: cfg.LeaveOutOn10}, cfg: cfg})
	return nil
}

// outbox returns the connection's outbox, made on first use.
func (c *Conn) outbox(cfg OutboxConfig) *outbox {
	if ob := c.ob.Load(); ob != nil {
		return ob
	}
	cfg.withDefaults()
	// Two first uses at once make one each; the first stored is kept.
	if ob := (&outbox{slots: make(chan struct{}, cfg.Max)}); c.ob.CompareAndSwap(nil, ob) {
		return ob
	}
	return c.ob.Load()
}

// Outbox counts the messages waiting for their RECEIPT.
func (c *Conn) Outbox() int {
	ob := c.ob.Load()
	if ob == nil {
		return 0
	}
	return len(ob.slots)
}

// reliable takes a message into the outbox and sends it now if connected.
func (s *session) reliable(ctx actor.Context, m *reliableSend) {
	e := m.entry
	if s.state == Disconnected && !s.retry.active || s.state == Disconnecting {
		s.settle(e, ErrNotConnected)
		return
	}
	cfg := m.cfg
	ob := s.c.ob.Load()
	if cfg.DedupHeader != "" {
		if ob.prefix == "" {
			var b [8]byte
			_, _ = rand.Read(b[:])
			ob.prefix = hex.EncodeToString(b[:])
		}
		ob.seq++
		e.frame.Headers.Set(cfg.DedupHeader, ob.prefix+"-"+strconv.FormatUint(ob.seq, 10))
	}
	ob.entries = append(ob.entries, e)
	if s.state == Connected {
		s.transmit(ctx, e)
	}
}

// transmit writes an entry on the current connection with a receipt,
// which has no deadline: the entry stays until its RECEIPT, an ERROR
// naming it or the end of its connection. On a 1.0 connection the
// headers of e.leaveOut whose value holds a backslash are left out of
// this transmission (the entry keeps them for the next).
func (s *session) transmit(ctx actor.Context, e *outEntry) {
	f := &frames.Frame{Command: e.frame.Command, Headers: slices.Clone(e.frame.Headers), Body: e.frame.Body}
	if len(e.leaveOut) > 0 && s.link != nil && s.link.version == frames.V10 {
		leaveOutBackslashes(&f.Headers, e.leaveOut)
	}
	e.gen = s.gen
	e.sends++
	if e.sends > 1 {
		s.c.stats.more().Resent.Add(1)
	}
	s.write(&writeFrame{frame: f, entry: e})
}

// resend writes, in order, every entry not written on this connection.
func (s *session) resend(ctx actor.Context) {
	ob := s.c.ob.Load()
	if ob == nil {
		return
	}
	for _, e := range ob.entries {
		if e.gen != s.gen {
			s.transmit(ctx, e)
		}
	}
}

// settle ends an entry with its outcome.
func (s *session) settle(e *outEntry, err error) {
	if ob := s.c.ob.Load(); ob != nil {
		if i := slices.Index(ob.entries, e); i >= 0 {
			ob.entries = slices.Delete(ob.entries, i, i+1)
		}
		if e.slot {
			e.slot = false
			<-ob.slots
		}
	}
	if e.done != nil {
		// User code never runs inside the session's work, where one
		// that blocks, panics or ends its goroutine would hold it or
		// cut it short (a Close among it): the runner calls it.
		if ob := s.c.ob.Load(); ob != nil && !e.inline {
			ob.dones.post(s.c, doneCall{e.done, err})
		} else {
			e.done(err)
		}
	}
	if s.state == Disconnecting && s.leaving.awaitOutbox && s.outboxEmpty() {
		s.leaving.awaitOutbox = false
		s.quiesceSubscriptions()
	}
}

func (s *session) outboxEmpty() bool {
	ob := s.c.ob.Load()
	return ob == nil || len(ob.entries) == 0
}

// entryAnswered settles an entry its receipt book entry ended: a RECEIPT,
// an ERROR naming it, or the writer's refusal. The end of the connection
// is not an answer: lose takes the entries back first (outboxLost).
func (s *session) entryAnswered(e *outEntry, err error) {
	if e.gen != s.gen {
		return // taken back when its connection ended
	}
	s.settle(e, err)
}

// outboxLost handles the entries of a connection that ended: with another
// connection coming they wait for it, else they fail, their outcome
// unknown.
func (s *session) outboxLost(resilient bool, cause error) {
	if s.leaving != nil {
		s.leaving.awaitOutbox = false // the connection is ending: no DISCONNECT follows
	}
	if s.receipts != nil {
		s.receipts.dropEntries()
	}
	ob := s.c.ob.Load()
	if ob == nil || len(ob.entries) == 0 {
		return
	}
	if resilient {
		for _, e := range ob.entries {
			e.gen = 0
		}
		return
	}
	if cause == nil {
		cause = ErrNotConnected
	}
	err := outcomeUnknown(cause)
	for _, e := range slices.Clone(ob.entries) {
		if e.sends == 0 {
			s.settle(e, connectionLost(cause))
		} else {
			// Written at least once, on this connection or an earlier
			// one: the broker may have it.
			s.settle(e, err)
		}
	}
}

// ErrOutboxFull (code 302, so errors.Is(err, ErrWouldBlock) holds)
// refuses an at-least-once send that may not wait (OutboxConfig.NoWait)
// when the outbox holds Max messages waiting for their RECEIPT.
var ErrOutboxFull = sentinel(CodeWouldBlock, "the outbox is full (MaxOutbox messages wait for their RECEIPT)")

// ErrReliableInTransaction (code 100, so errors.Is(err,
// ErrInvalidArgument) holds) refuses an at-least-once send that joins a
// transaction: resent alone after a reconnect, it would leave it.
var ErrReliableInTransaction = sentinel(CodeInvalidArgument, "an at-least-once send cannot join a transaction (a resend would leave it)")

// leaveOutBackslashes removes from h the headers named in keys whose
// value holds a backslash.
func leaveOutBackslashes(h *frames.Headers, keys []string) {
	*h = slices.DeleteFunc(*h, func(x frames.Header) bool {
		return slices.Contains(keys, x.Key) && strings.IndexByte(x.Value, '\\') >= 0
	})
}
