package actors

import (
	"bufio"
	"context"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/stompactor/stompactor/frames"
)

// An inactivity wait (InactivityContext) for a place in the outgoing
// queue (a token of MaxPendingWrites) is absolute: it ends d after the
// call's start with ErrTimeout, nothing written, however busy other
// senders keep the socket. The tokens are not handed out in order, so the
// bytes written while the caller has no place are not of frames ahead of
// it: before the fix writeOn tracked the link (counting every socket
// write as the call's progress) before it took its token, and another
// sender that took each freed token first (it sends again from the
// ReadyToSendEvent that follows the write of its previous frame, on the
// writer's goroutine) pushed
// the caller's wait back for as long as it went on (up to the 2 s cap
// here; for ever with a sender that never pauses). From review 13,
// finding 3 (TestReview13InactivityWaitForRoomPushedBackByOtherSenders).
func TestAnInactivityWaitForAPlaceInTheQueueEndsTimeoutAfterItsStart(t *testing.T) {
	var victims, markers atomic.Int64
	srv := newScriptedServer(t, func(conn net.Conn, r *bufio.Reader) {
		if _, err := readFrame(r); err != nil {
			return
		}
		_, _ = conn.Write([]byte(connectedFrame("1.2")))
		d := frames.NewDecoder(r, frames.V12, frames.Limits{})
		for {
			f, err := d.Decode()
			if err != nil {
				return
			}
			switch dest, _ := f.Headers.Get(frames.HdrDestination); dest {
			case "/queue/r13-victim":
				victims.Add(1)
			case "/queue/r13-marker":
				markers.Add(1)
			}
		}
	})
	var c *Conn
	var stop atomic.Bool
	var sent atomic.Int64
	other := frames.New(frames.CmdSend, frames.HdrDestination, "/queue/r13-other")
	other.Body = make([]byte, 1<<20)
	sink := func(e Event) {
		if _, ok := e.(*ReadyToSendEvent); ok && !stop.Load() {
			// The other sender sends its next message as soon as the
			// last one left and gave its place back (ReadyToSend: a
			// MessageOutEvent comes before the write, while the frame
			// still holds its place).
			if ok, _ := c.TrySend(other); ok {
				sent.Add(1)
			}
		}
	}
	c, _ = newTestClient(t, ConnOptions{Sink: sink})
	connectTo(t, c, srv.addr(), ConnectConfig{MaxPendingWrites: 1})
	defer stop.Store(true)
	// The ReadyToSend that follows CONNECTED may have started it
	// already; if not, this does.
	ok, err := c.TrySend(other)
	require.NoError(t, err)
	if ok {
		sent.Add(1)
	}
	waitFor(t, "the other sender to be busy", func() bool { return sent.Load() > 20 })
	// A cap on the other sender, so that a wait that is pushed back
	// ends too (the test then fails on the time it took).
	capped := time.AfterFunc(2*time.Second, func() { stop.Store(true) })
	defer capped.Stop()

	const d = 100 * time.Millisecond
	ctx, cancel := c.InactivityContext(context.Background(), d)
	defer cancel()
	f := frames.New(frames.CmdSend, frames.HdrDestination, "/queue/r13-victim")
	before := sent.Load()
	start := time.Now()
	err = c.Send(ctx, f, 0, false)
	took := time.Since(start)
	during := sent.Load() - before
	t.Logf("Send waited %v and returned %v (the other sender's frames written meanwhile: %d)", took, err, during)
	require.Less(t, took, d+150*time.Millisecond, "an inactivity wait for room pushed back by frames that are not ahead of it")
	// The caller may win a freed token before its wait ends (the race
	// is the other sender's to win, most times): its frame is then sent.
	// Else the wait ends with ErrTimeout, not before its length, and
	// nothing of the frame is written.
	want := int64(1)
	if err != nil {
		require.ErrorIs(t, err, ErrTimeout, "a wait that never got a place ends with ErrTimeout")
		require.GreaterOrEqual(t, took, d, "the wait ended before its length")
		// The premise: the other sender kept the socket busy meanwhile.
		require.Positive(t, during, "the other sender wrote nothing while the caller waited: this proves nothing")
		want = 0
	}

	// A marker sent after the other sender stopped reaches the server
	// after the caller's frame, if that was queued (the connection keeps
	// the order).
	stop.Store(true)
	marker := frames.New(frames.CmdSend, frames.HdrDestination, "/queue/r13-marker")
	require.NoError(t, c.Send(testCtx(t), marker, 0, false))
	waitFor(t, "the marker to reach the server", func() bool { return markers.Load() == 1 })
	require.Equal(t, want, victims.Load(), "the caller's frame reached the server this many times (0: it timed out waiting for room)")
}
