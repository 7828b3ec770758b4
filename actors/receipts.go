package actors

import (
	"bytes"
	"strconv"
	"strings"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/stompactor/stompactor/frames"
)

type pendingReceipt struct {
	id       string
	tx       string // the frame's transaction: brokers may answer it only at COMMIT
	cmd      frames.Command
	reply    chan error
	deadline time.Time // zero: none (an outbox message waits until its RECEIPT, its ERROR or the end of its connection)
	done     bool
	token    bool
	entry    *outEntry
	// end is where the frame's last byte is in the link's stream (0:
	// not known, never held); held says its RECEIPT came before the
	// socket took that byte (receiptheld.go).
	end  int64
	held bool
}

// receiptBook matches RECEIPT frames to the frames that asked for them, in
// the order they were written, and fails those whose deadline passes
// (outbox messages have none). It belongs to the session and is touched
// only from its Receive.
type receiptBook struct {
	order []*pendingReceipt
	byID  map[string]*pendingReceipt
	slots chan struct{} // the link's receipt tokens, given back on finish
	timer *time.Timer
	due   time.Time
	stats *counters
	// answered hears the outcome of outbox messages (their reply is nil).
	answered func(*outEntry, error)
}

func newReceiptBook(stats *counters) *receiptBook {
	return &receiptBook{stats: stats}
}

// add registers a receipt; it returns false when the book is full.
func (b *receiptBook) add(m *receiptAwaited, self *actor.PID, sys *actor.ActorSystem) bool {
	if _, dup := b.byID[m.id]; dup {
		return false
	}
	if b.byID == nil {
		b.byID = map[string]*pendingReceipt{}
	}
	p := &pendingReceipt{id: m.id, tx: m.tx, cmd: m.cmd, reply: m.reply, token: m.token, entry: m.entry, end: m.end}
	b.order = append(b.order, p)
	b.byID[m.id] = p
	b.stats.ReceiptsPending.Add(1)
	if m.timeout > 0 {
		p.deadline = time.Now().Add(m.timeout)
		b.schedule(self, sys)
	}
	return true
}

// confirm answers the receipt id, and only it: a RECEIPT confirms the one
// frame that asked for it. Brokers do not answer in order (RabbitMQ
// answers a persistent SEND after its publisher confirm, a SUBSCRIBE at
// once), so a later frame's RECEIPT says nothing about an earlier frame.
// Its RECEIPT is reported to c's sink first. It returns false for an id
// nobody awaits, or whose RECEIPT came already. A RECEIPT that comes
// before the frame's last byte was written on l is held, and reported
// only once it confirms: the write that takes that byte confirms it
// (releaseWritten); the end of the connection first takes the outbox
// message back (outboxLost).
func (b *receiptBook) confirm(id string, l *link, c *Conn) bool {
	p, ok := b.byID[id]
	if !ok || p.held {
		return false
	}
	if l != nil && p.end > l.receipts.wrote.Load() {
		// Held before the count is read again; a write adds to the
		// count before it looks at bookHeld: one of the two sees the
		// other.
		p.held = true
		l.receipts.bookHeld.Add(1)
		if p.end > l.receipts.wrote.Load() {
			return true
		}
		p.held = false
		l.receipts.bookHeld.Add(-1)
	}
	reportReceipt(c, id)
	b.finish(p, nil)
	b.compact()
	return true
}

// reportReceipt reports a RECEIPT that confirms its frame.
func reportReceipt(c *Conn, id string) {
	if c.emitting((*ReceiptInEvent)(nil)) {
		c.emit(&ReceiptInEvent{ReceiptID: id})
	}
}

// releaseWritten confirms the held receipts whose frames are now written
// whole on l, and counts those still held for the writer (bookHeld),
// which a receipt answered otherwise while held (an ERROR, the end) may
// have left too high.
func (b *receiptBook) releaseWritten(l *link, c *Conn) {
	total := l.receipts.wrote.Load()
	var held int32
	released := false
	for _, p := range b.order {
		switch {
		case p.done || !p.held:
		case p.end > total:
			held++
		default:
			reportReceipt(c, p.id)
			b.finish(p, nil)
			released = true
		}
	}
	l.receipts.bookHeld.Store(held)
	if released {
		b.compact()
	}
}

// fail answers one receipt with err (an ERROR frame naming it).
func (b *receiptBook) fail(id string, err error) bool {
	p, ok := b.byID[id]
	if !ok {
		return false
	}
	b.finish(p, err)
	b.compact()
	return true
}

func (b *receiptBook) finish(p *pendingReceipt, err error) {
	if p.done {
		return
	}
	p.done = true
	delete(b.byID, p.id)
	if p.token && b.slots != nil {
		select {
		case <-b.slots:
		default:
		}
	}
	b.stats.ReceiptsPending.Add(-1)
	if p.reply != nil {
		p.reply <- err
	}
	if p.entry != nil && b.answered != nil {
		b.answered(p.entry, err)
	}
}

// dropEntries forgets the receipts of outbox messages without answering
// them: their connection ended, and the outbox decides what becomes of
// them.
func (b *receiptBook) dropEntries() {
	for _, p := range b.order {
		if p.entry != nil && !p.done {
			p.entry = nil
			b.finish(p, nil)
		}
	}
	b.compact()
}

// compact drops finished receipts from the order. With none left, the
// book gives its memory back: a connection that waits for no receipt
// holds no map, slice or timer.
func (b *receiptBook) compact() {
	keep := b.order[:0]
	for _, q := range b.order {
		if !q.done {
			keep = append(keep, q)
		}
	}
	clear(b.order[len(keep):])
	b.order = keep
	if len(b.order) == 0 {
		b.order, b.byID = nil, nil
		b.stop()
	}
}

// expire fails every receipt past its deadline and re-arms the timer.
func (b *receiptBook) expire(now time.Time, self *actor.PID, sys *actor.ActorSystem) {
	b.due = time.Time{}
	for _, p := range b.order {
		if !p.done && !p.deadline.IsZero() && !now.Before(p.deadline) {
			b.finish(p, ErrReceiptTimeout)
		}
	}
	b.timer = nil // fired
	b.compact()
	b.schedule(self, sys)
}

func (b *receiptBook) schedule(self *actor.PID, sys *actor.ActorSystem) {
	var next time.Time
	for _, p := range b.order {
		if !p.done && !p.deadline.IsZero() && (next.IsZero() || p.deadline.Before(next)) {
			next = p.deadline
		}
	}
	if next.IsZero() || (!b.due.IsZero() && !next.Before(b.due)) {
		return
	}
	if b.timer != nil {
		b.timer.Stop()
	}
	b.due = next
	b.timer = time.AfterFunc(time.Until(next), func() { sys.Root.Send(self, &receiptTick{}) })
}

// failAll answers every receipt with err, which says the connection
// ended before the broker answered, and stops the timer. The frames may
// or may not have taken effect: their outcome is unknown.
func (b *receiptBook) failAll(err error) {
	unknown := outcomeUnknown(err)
	for _, p := range b.order {
		b.finish(p, unknown)
	}
	b.order = nil
	b.stop()
}

func (b *receiptBook) stop() {
	if b.timer != nil {
		b.timer.Stop()
		b.timer = nil
	}
	b.due = time.Time{}
}

// receiptID is the receipt id the writer gives the seq-th frame with a
// receipt of connection gen: unique on the connection.
func receiptID(gen, seq uint64) string {
	return "r-" + strconv.FormatUint(gen, 10) + "-" + strconv.FormatUint(seq, 10)
}

// disconnectReceiptID is the receipt id of the DISCONNECT of the
// connection of generation gen (leave.go).
func disconnectReceiptID(gen uint64) string {
	return "disconnect-" + strconv.FormatUint(gen, 10)
}

// clientReceiptID reports whether id has the form of the receipt ids the
// client gives its own frames: the writer's (receiptID) and DISCONNECT's
// (disconnectReceiptID).
func clientReceiptID(id string) bool {
	if rest, ok := strings.CutPrefix(id, "r-"); ok {
		gen, seq, ok := strings.Cut(rest, "-")
		return ok && allDigits(gen) && allDigits(seq)
	}
	if rest, ok := strings.CutPrefix(id, "disconnect-"); ok {
		return allDigits(rest)
	}
	return false
}

func allDigits(s string) bool {
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// customReceipt is a receipt header of bytes written as they are
// (SendRaw), and the command of the frame that seems to hold it.
type customReceipt struct {
	id  string
	cmd frames.Command
}

// customReceiptWait is how long the session knows the receipt id of a
// frame written as bytes: its RECEIPT, if it comes within that time, is
// not taken for one nobody asked for.
const customReceiptWait = time.Minute

// customReceipts returns the receipt ids raw bytes name in receipt header
// lines, each with the command of the last line before it that names one
// (frames.CmdInvalid if none does); a NUL ends a line too, as it ends a
// frame. Lines of bodies are looked at too: bytes written as they are may
// hold frames anywhere, and a line taken for a header at worst refuses
// them (an id of the client's own form) or announces a receipt.
func customReceipts(raw []byte) []customReceipt {
	var out []customReceipt
	cmd := frames.CmdInvalid
	for len(raw) > 0 {
		line := raw
		if i := bytes.IndexAny(raw, "\n\x00"); i >= 0 {
			line, raw = raw[:i], raw[i+1:]
		} else {
			raw = nil
		}
		line = bytes.TrimSuffix(line, []byte("\r"))
		if c, ok := frames.ParseCommand(string(line)); ok {
			cmd = c
		} else if v, ok := bytes.CutPrefix(line, []byte(frames.HdrReceipt+":")); ok {
			out = append(out, customReceipt{id: string(v), cmd: cmd})
		}
	}
	return out
}
