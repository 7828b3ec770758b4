package actors

import (
	"context"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/stompactor/stompactor/frames"
)

// link is what the facade and the subscriptions need of the current
// connection. The session publishes a new one on CONNECTED and closes lost
// when the connection ends; a link is never reused.
type link struct {
	gen     uint64
	out     *wqueue // the writer's buffer, where plain frames are encoded directly
	credits *tokens // a token per frame in the outgoing queue
	// receiptSlots holds a token per receipt awaited: the writer takes one
	// before it writes a frame with a receipt header, the receipt book
	// gives it back, so the limit is checked before anything is sent.
	receiptSlots chan struct{}
	// receipts are the receipts callers wait for on a reply channel;
	// the reader confirms them directly (receiptWaiters), and the
	// session's lose answers what is left.
	receipts receiptWaiters
	lost     chan struct{} // closed when the connection ends
	// writerDone is closed when the writer has stopped: no reply comes
	// from it after that.
	writerDone chan struct{}
	once       sync.Once
	// Two one-byte fields in the padding once leaves: the version, and
	// a writer's setting like those below.
	version           frames.Version
	omitContentLength bool
	err               atomic.Pointer[error]
	stats             *connStats

	// The writer's settings, copied from the ConnectConfig the link was
	// made with (the next Connect may change the session's).
	writeTimeout    time.Duration
	maxTransferRate int

	rd *reader // the connection's reader, whose reading callers of Receive may take (readerrole.go)

	tx txSet // the transactions open on this connection (txset.go)
}

func (l *link) end(err error) {
	l.once.Do(func() {
		l.err.Store(&err)
		close(l.lost)
	})
}

func (l *link) lostErr() error {
	if p := l.err.Load(); p != nil {
		return *p
	}
	return ErrConnectionLost
}

// outcome answers a request whose connection ended while it waited for
// reply: with the writer's own answer if it gave one before it stopped (a
// frame written just before the end was written), else with the reason the
// connection ended. It waits for the writer to stop, which follows the end
// at once, or for ctx. A frame the writer took with a receipt header is
// answered by its receipt book (its RECEIPT, or ErrOutcomeUnknown), so for
// it outcome waits for that answer.
func (l *link) outcome(ctx context.Context, reply chan error, taken *atomic.Bool) error {
	select {
	case <-l.writerDone:
	case <-ctx.Done():
	}
	// The receipts callers wait for are answered a little after the
	// writer stopped (lose ends the writer first): a request that asked
	// for one finds its ErrOutcomeUnknown once the book says it is over.
	select {
	case <-l.receipts.ended():
	case <-ctx.Done():
	}
	select {
	case err := <-reply:
		return err
	default:
	}
	if taken != nil && taken.Load() {
		select {
		case err := <-reply:
			return err
		case <-ctx.Done():
			return outcomeUnknown(l.lostErr())
		}
	}
	return l.lostErr()
}

// connStats are counters shared, through atomics only, by the actors of one
// connection and the client's totals.
type connStats struct {
	lastRead   atomic.Int64 // unix nanoseconds of the last byte received
	lastWrite  atomic.Int64 // unix nanoseconds of the last byte written
	readPaused atomic.Bool  // the reader waits for a subscription queue
}

// countingConn records when bytes arrive and leave, for heart-beats, and
// counts them.
type countingConn struct {
	net.Conn
	st    *connStats
	total *counters
}

func (c *countingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 {
		c.st.lastRead.Store(time.Now().UnixNano())
		c.total.BytesIn.Add(int64(n))
	}
	return n, err
}

func (c *countingConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	if n > 0 {
		c.st.lastWrite.Store(time.Now().UnixNano())
		c.total.BytesOut.Add(int64(n))
	}
	return n, err
}
