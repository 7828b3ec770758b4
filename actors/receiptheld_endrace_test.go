package actors

import (
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// heldForTheEnd returns a book whose receipt "r-1-1" (frame end 10) is
// held, with the write that carries the frame's last byte under way.
func heldForTheEnd(t *testing.T) (*receiptWaiters, chan error) {
	t.Helper()
	b, _ := newWaiters(1)
	reply := make(chan error, 1)
	require.NoError(t, b.add("r-1-1", reply, time.Minute, 10))
	b.writing()
	require.True(t, b.confirm("r-1-1", &Conn{}), "held")
	return b, reply
}

// The write that takes a held receipt's last byte ends (counts its bytes
// and stops counting as under way) right between the two loads with
// which the end of the connection reads the writes: the receipt is
// confirmed, either by the end (which then sees the bytes) or by the
// write (which the end then sees under way), never answered as unknown.
func TestTheEndRacingTheLastWriteConfirmsTheHeldReceipt(t *testing.T) {
	b, reply := heldForTheEnd(t)
	done := make(chan struct{})
	fired := false // by the end, under the book's lock
	hook := func(of *receiptWaiters) {
		if of != b || fired {
			return // another test's book, or the write's own look (release)
		}
		fired = true
		go func() { b.written(10); close(done) }()
		// Until it counted its bytes and ended; it then waits for the
		// book's lock, which the end holds, to look for held receipts.
		require.True(t, spinUntil(func() bool { return b.inflight.Load() == 0 }), "the write to end")
	}
	endLoadsHook.Store(&hook)
	t.Cleanup(func() { endLoadsHook.Store(nil) })
	b.end(ErrConnectionLost)
	recv(t, done, "the write to return")
	require.NoError(t, recv(t, reply, "the held receipt's answer"), "a frame written whole, answered as unknown")
	require.Zero(t, b.held.Load())
	recv(t, b.ended(), "the book to be over")
}

// The same race left to the scheduler: the two sides released together,
// the write started a little earlier or later from round to round, for
// at most about a second. Before the end loaded the writes under way
// first, most runs had a few rounds answered unknown.
func TestTheEndRacingTheLastWriteConfirmsTheHeldReceiptRepeatedly(t *testing.T) {
	const rounds = 50_000
	stop := time.Now().Add(time.Second)
	var book atomic.Pointer[receiptWaiters]
	var start, wrote atomic.Int64 // the round to write in; the last round written
	helperDone := make(chan struct{})
	go func() { // the writer's side: the write ending
		defer close(helperDone)
		sink := 0
		for r := int64(1); r <= rounds; r++ {
			if !spinUntil(func() bool { return start.Load() >= r }) {
				return
			}
			if b := book.Load(); b != nil {
				spin(int(r%16)*4, &sink)
				b.written(10)
			}
			wrote.Store(r)
		}
	}()
	defer func() {
		book.Store(nil)
		start.Store(rounds + 1) // let the helper go, however the test ends
		<-helperDone
	}()
	unknown, r, sink := 0, int64(1), 0
	for ; r <= rounds && time.Now().Before(stop); r++ {
		b, reply := heldForTheEnd(t)
		book.Store(b)
		start.Store(r)
		spin(int(r/16%32)*5, &sink)
		b.end(ErrConnectionLost)
		require.True(t, spinUntil(func() bool { return wrote.Load() >= r }), "the write to end")
		err := recv(t, reply, "the held receipt's answer")
		if err != nil {
			require.ErrorIs(t, err, ErrOutcomeUnknown)
			unknown++
		}
		require.Zero(t, b.held.Load())
	}
	t.Logf("%d rounds", r-1)
	require.Zero(t, unknown, "rounds of %d whose frame, written whole, was answered as unknown", r-1)
}

// spin busy-waits for about n short steps (a nanosecond or so each),
// leaving what it computed in sink (so that the loop stays).
//
//go:noinline
func spin(n int, sink *int) {
	x := 0
	for i := range n {
		x += i ^ x
	}
	*sink = x
}

// spinUntil busy-waits until cond holds (yielding now and then, for a
// machine with fewer cores than goroutines), or reports false after
// waitTimeout.
func spinUntil(cond func() bool) bool {
	deadline := time.Now().Add(waitTimeout)
	for i := 0; !cond(); i++ {
		if i%128 == 127 {
			runtime.Gosched()
			if time.Now().After(deadline) {
				return false
			}
		}
	}
	return true
}
