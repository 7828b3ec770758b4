package actors

import (
	"math/rand"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// wrote has b take a write of n bytes, as the link's writes do.
func wrote(b *receiptWaiters, n int) bool {
	b.writing()
	return b.written(n)
}

// noAnswer fails t if reply was answered.
func noAnswer(t *testing.T, reply chan error, what string) {
	t.Helper()
	select {
	case err := <-reply:
		t.Fatalf("%s: answered (%v)", what, err)
	default:
	}
}

// A RECEIPT that comes before its frame's last byte was written is held:
// the write that takes that byte confirms it, not one before; and a
// frame written whole already is confirmed at once.
func TestAReceiptBeforeItsFrameIsWrittenIsHeldUntilItIs(t *testing.T) {
	b, st := newWaiters(3)
	c := &Conn{}
	first, second, written := make(chan error, 1), make(chan error, 1), make(chan error, 1)
	require.NoError(t, b.add("r-1-1", first, time.Minute, 100))   // in first
	require.NoError(t, b.add("r-1-2", second, time.Minute, 250))  // in the map
	require.NoError(t, b.add("r-1-3", written, time.Minute, 250)) // in the map
	require.False(t, wrote(b, 40), "the session's book holds nothing")
	require.True(t, b.confirm("r-1-1", c), "held")
	require.True(t, b.confirm("r-1-2", c), "held")
	require.EqualValues(t, 2, b.held.Load())
	noAnswer(t, first, "60 bytes of r-1-1 are still to write")
	require.False(t, b.confirm("r-1-1", c), "a second RECEIPT for a held receipt is not taken")
	wrote(b, 59)
	noAnswer(t, first, "its last byte is still to write")
	wrote(b, 1)
	require.NoError(t, recv(t, first, "r-1-1, written whole"))
	noAnswer(t, second, "r-1-2 is not written yet")
	require.EqualValues(t, 1, b.held.Load())
	wrote(b, 150)
	require.NoError(t, recv(t, second, "r-1-2, written whole"))
	require.True(t, b.confirm("r-1-3", c), "written whole already")
	require.NoError(t, recv(t, written, "r-1-3, confirmed at once"))
	require.Zero(t, b.held.Load())
	require.Zero(t, st.ReceiptsPending.Load())
	require.Empty(t, b.slots, "every token given back")
	b.end(ErrConnectionLost)
}

// A held receipt whose frame is never written whole is answered by the
// end of the connection (its outcome unknown), by an ERROR naming it, or
// by its deadline: none is left held.
func TestAHeldReceiptIsAnsweredByTheEndAnErrorOrItsDeadline(t *testing.T) {
	b, st := newWaiters(3)
	c := &Conn{}
	ended, failed, late := make(chan error, 1), make(chan error, 1), make(chan error, 1)
	require.NoError(t, b.add("ended", ended, time.Minute, 10))
	require.NoError(t, b.add("failed", failed, time.Minute, 10))
	require.NoError(t, b.add("late", late, 30*time.Millisecond, 10))
	for _, id := range []string{"ended", "failed", "late"} {
		require.True(t, b.confirm(id, c), id)
	}
	require.EqualValues(t, 3, b.held.Load())
	se := NewError(CodeServerError, "stomp: refused", nil)
	require.True(t, b.fail("failed", se))
	require.ErrorIs(t, recv(t, failed, "the ERROR's answer"), se)
	require.ErrorIs(t, recv(t, late, "the deadline's answer"), ErrReceiptTimeout)
	require.EqualValues(t, 1, b.held.Load())
	b.end(ErrConnectionLost)
	err := recv(t, ended, "the end's answer")
	require.ErrorIs(t, err, ErrOutcomeUnknown)
	require.ErrorIs(t, err, ErrConnectionLost)
	require.Zero(t, b.held.Load())
	require.Zero(t, st.ReceiptsPending.Load())
	wrote(b, 10) // after the end: nothing to answer
}

// RECEIPTs and writes racing, as the reader's and the writer's
// goroutines do: whichever comes first, every receipt is confirmed once
// its frame is written whole, none before, and none is left held.
func TestHeldReceiptsRacingWritesAreAllConfirmed(t *testing.T) {
	const count, size = 200, 7
	for round := range 20 {
		b, st := newWaiters(count)
		c := &Conn{}
		replies := make([]chan error, count)
		for i := range count {
			replies[i] = make(chan error, 1)
			require.NoError(t, b.add("r-1-"+strconv.Itoa(i), replies[i], time.Minute, int64((i+1)*size)))
		}
		var wg sync.WaitGroup
		wg.Add(2)
		go func() { // the writer: the stream in random pieces
			defer wg.Done()
			rng := rand.New(rand.NewSource(int64(round)))
			for left := count * size; left > 0; {
				n := min(left, 1+rng.Intn(3*size))
				wrote(b, n)
				left -= n
			}
		}()
		go func() { // the reader: each frame's RECEIPT, in order
			defer wg.Done()
			for i := range count {
				id := "r-1-" + strconv.Itoa(i)
				assert.True(t, b.confirm(id, c), id)
				select {
				case err := <-replies[i]:
					assert.NoError(t, err)
					assert.GreaterOrEqual(t, b.wrote.Load(), int64((i+1)*size), "confirmed before its last byte was written")
					replies[i] <- nil // for the check below
				default:
				}
			}
		}()
		wg.Wait()
		for i := range count {
			require.NoError(t, recv(t, replies[i], "receipt "+strconv.Itoa(i)))
		}
		require.Zero(t, b.held.Load())
		require.Zero(t, st.ReceiptsPending.Load())
		b.end(ErrConnectionLost)
	}
}

// The end of the connection answers a held receipt by what the socket
// took: confirmed when its frame's last byte was written (a write that
// returned before the end, its RECEIPT not yet released), unknown when
// not. A write still under way says as it returns: the book is over
// (ended) only then.
func TestTheEndAnswersAHeldReceiptByTheWriteUnderWay(t *testing.T) {
	b, st := newWaiters(4)
	c := &Conn{}
	done, notDone, carried, cut := make(chan error, 1), make(chan error, 1), make(chan error, 1), make(chan error, 1)
	require.NoError(t, b.add("done", done, time.Minute, 10))
	require.NoError(t, b.add("notDone", notDone, time.Minute, 1000))
	for _, id := range []string{"done", "notDone"} {
		require.True(t, b.confirm(id, c), id)
	}
	b.wrote.Add(10) // a write that returned, not yet released
	b.end(ErrConnectionLost)
	require.NoError(t, recv(t, done, "written whole before the end: confirmed"))
	require.ErrorIs(t, recv(t, notDone, "not written whole, no write under way"), ErrOutcomeUnknown)
	recv(t, b.ended(), "the book to be over")
	require.Zero(t, st.ReceiptsPending.Load())

	b, st = newWaiters(2)
	require.NoError(t, b.add("carried", carried, time.Minute, 100))
	require.NoError(t, b.add("cut", cut, time.Minute, 200))
	for _, id := range []string{"carried", "cut"} {
		require.True(t, b.confirm(id, c), id)
	}
	b.writing() // a write under way as the connection ends
	b.end(ErrConnectionLost)
	noAnswer(t, carried, "the write under way says")
	noAnswer(t, cut, "the write under way says")
	select {
	case <-b.ended():
		t.Fatal("the book is over while a write under way may still confirm a receipt")
	default:
	}
	b.written(150) // it took the first frame's last byte, not the second's
	require.NoError(t, recv(t, carried, "its last byte left in the write under way"))
	err := recv(t, cut, "its last byte never left")
	require.ErrorIs(t, err, ErrOutcomeUnknown)
	require.ErrorIs(t, err, ErrConnectionLost)
	recv(t, b.ended(), "the book to be over")
	require.Zero(t, b.held.Load())
	require.Zero(t, st.ReceiptsPending.Load())
	require.Empty(t, b.slots)
}
