package actors

import (
	"bufio"
	"context"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/stompactor/stompactor/frames"
)

// review13: a frame the writer encoded (w.pending: every SEND on a
// connection whose MessageOutEvents are on, every frame with frame
// logging) is stamped (writeFrame.written → receiptWaiters.start) only by
// the writer's own flush of a buffer holding bytes. Between the writer's
// encoding of it (q.mu released) and its requestFlush (q.signaled set), a
// sender appending directly (an ACK: writeAck, AckRef) may write the whole
// buffer through (appendedLocked → writeThrough), the writer's frame with
// it; the writer's flush then finds the buffer empty and returns without
// looking at w.pending. An inactivity caller's RECEIPT, registered
// without a deadline until that stamp, then has none until some later
// flush carries bytes, and none ever once the connection is quiet:
// ReceiptsPending stays up, the receipt slot stays held, and the caller
// is told ErrOutcomeUnknown instead of ErrReceiptTimeout. (Before the
// change the receipt had its deadline from registration.)
//
// The interleaving is made deterministic: the sink, which the writer
// calls in that window (ReceiptOutEvent), makes the direct append another
// goroutine could make there. The same happens at random: a stress run
// (ACKs appended in a loop beside 200 such sends) saw ErrOutcomeUnknown
// in place of ErrReceiptTimeout for about one send in 200.
func TestAReceiptWrittenThroughByAnotherSenderStillGetsItsDeadline(t *testing.T) {
	srv := newScriptedServer(t, func(conn net.Conn, r *bufio.Reader) {
		if _, err := readFrame(r); err != nil {
			return
		}
		_, _ = conn.Write([]byte(connectedFrame("1.2")))
		_, _ = io.Copy(io.Discard, r) // never a RECEIPT
	})
	var c *Conn
	var once sync.Once
	sink := func(e Event) {
		if ro, ok := e.(*ReceiptOutEvent); ok && ro.Command == frames.CmdSend {
			once.Do(func() {
				// Another sender's ACK, appended directly at this moment.
				c.writeAck(c.link.Load(), frames.New(frames.CmdAck, frames.HdrID, "other"))
			})
		}
	}
	c, _ = newTestClient(t, ConnOptions{Sink: sink}) // a sink: SENDs go through the writer
	connectTo(t, c, srv.addr(), ConnectConfig{})
	time.Sleep(10 * time.Millisecond) // the connection idle: writes go through

	const d = 50 * time.Millisecond
	ctx, cancel := c.InactivityContext(context.Background(), d)
	defer cancel()
	f := frames.New(frames.CmdSend, frames.HdrDestination, "/queue/r13-through")
	start := time.Now()
	err := c.Send(ctx, f, d, true)
	t.Logf("Send returned after %v: %v", time.Since(start), err)
	require.ErrorIs(t, err, ErrReceiptTimeout, "a frame written whose RECEIPT never came")
	// Its receipt expired with its wait: none is left pending, with
	// nothing written meanwhile (a quiet connection).
	bound := time.Now().Add(5 * time.Second)
	for c.Stats().ReceiptsPending != 0 {
		require.True(t, time.Now().Before(bound), "a receipt left without a deadline on a quiet connection")
		time.Sleep(time.Millisecond)
	}
}
