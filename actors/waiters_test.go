package actors

import (
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stompactor/stompactor/frames"
	"github.com/stretchr/testify/require"
)

// newWaiters makes a book with n receipt tokens, all taken, as the writer
// takes one per receipt before adding it.
func newWaiters(n int) (*receiptWaiters, *counters) {
	st := &counters{}
	slots := make(chan struct{}, n)
	for range n {
		slots <- struct{}{}
	}
	return &receiptWaiters{slots: slots, stats: st}, st
}

func mapReleased(b *receiptWaiters) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.byID == nil
}

// A receipt added with a shorter deadline than the one the timer is armed
// for fails at its own deadline; the longer one is still confirmed, and
// once the timer finds nothing left the book holds no map.
func TestReceiptWaitersEarlierDeadlineRearmsTheTimer(t *testing.T) {
	b, st := newWaiters(2)
	c := &Conn{}
	long, short := make(chan error, 1), make(chan error, 1)
	require.NoError(t, b.add("long", long, time.Second, 0))
	require.NoError(t, b.add("short", short, 50*time.Millisecond, 0))
	require.EqualValues(t, 2, st.ReceiptsPending.Load())
	require.ErrorIs(t, recv(t, short, "the short receipt's timeout"), ErrReceiptTimeout)
	require.EqualValues(t, 1, st.ReceiptsPending.Load())
	require.Len(t, b.slots, 1, "the timed out receipt gave its token back")
	select {
	case err := <-long:
		t.Fatalf("the long receipt was answered (%v) at the short one's deadline", err)
	default:
	}
	require.True(t, b.confirm("long", c))
	require.NoError(t, recv(t, long, "the long receipt"))
	require.False(t, b.confirm("long", c), "a receipt is confirmed once")
	require.Zero(t, st.ReceiptsPending.Load())
	require.Empty(t, b.slots)
	waitFor(t, "the timer to find the book empty and drop its map", func() bool { return mapReleased(b) })
	// The book works on after it gave its map back.
	again := make(chan error, 1)
	require.NoError(t, b.add("again", again, 50*time.Millisecond, 0))
	require.ErrorIs(t, recv(t, again, "the next receipt's timeout"), ErrReceiptTimeout)
	b.end(ErrConnectionLost)
}

// Confirmations, ERROR failures, deadlines and the link's end race for
// the same receipts: each receipt is answered exactly once, and the
// counters and tokens come back to nothing.
func TestReceiptWaitersAnswerEachReceiptOnce(t *testing.T) {
	const n = 400
	b, st := newWaiters(n)
	c := &Conn{}
	replies := make([]chan error, n)
	for i := range n {
		replies[i] = make(chan error, 2) // room for a wrong second answer
		timeout := time.Minute
		if i%4 == 3 {
			timeout = time.Millisecond
		}
		require.NoError(t, b.add("r-"+strconv.Itoa(i), replies[i], timeout, 0))
	}
	var wg sync.WaitGroup
	for _, step := range []int{0, 1} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := step; i < n; i += 4 {
				id := "r-" + strconv.Itoa(i)
				if step == 0 {
					b.confirm(id, c)
				} else {
					b.fail(id, ErrServer)
				}
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		b.end(ErrConnectionLost)
	}()
	wg.Wait()
	require.ErrorIs(t, b.add("late", make(chan error, 1), time.Minute, 0), errReceiptsEnded, "nothing is added after the end")
	// The timer may still be answering what it took before the end.
	waitFor(t, "every receipt to be answered", func() bool {
		for _, r := range replies {
			if len(r) == 0 {
				return false
			}
		}
		return true
	})
	for i, r := range replies {
		require.Len(t, r, 1, "receipt %d answered once", i)
		err := <-r
		switch i % 4 {
		case 0: // confirmed, unless the end came first
			if err != nil {
				require.ErrorIs(t, err, ErrOutcomeUnknown, "receipt %d", i)
			}
		case 1: // failed by an ERROR, unless the end came first
			require.Error(t, err)
			if !errorIsEither(err, ErrServer, ErrOutcomeUnknown) {
				t.Fatalf("receipt %d: %v", i, err)
			}
		case 2: // answered by the end only
			require.ErrorIs(t, err, ErrOutcomeUnknown, "receipt %d", i)
			require.ErrorIs(t, err, ErrConnectionLost, "receipt %d", i)
		case 3: // timed out, unless the end came first
			if !errorIsEither(err, ErrReceiptTimeout, ErrOutcomeUnknown) {
				t.Fatalf("receipt %d: %v", i, err)
			}
		}
	}
	require.Zero(t, st.ReceiptsPending.Load())
	require.Empty(t, b.slots)
}

func errorIsEither(err, a, b error) bool { return errors.Is(err, a) || errors.Is(err, b) }

// A frame with a receipt that the writer takes after the connection ended
// (just before lose stopped it) is not encoded, since its receipt could
// no longer be registered: its caller hears the loss itself (the frame
// never left, so its outcome is known), and the token is given back.
func TestReceiptRegisteredAfterTheEnd(t *testing.T) {
	slots := make(chan struct{}, 1)
	st := &counters{}
	l := &link{receiptSlots: slots, receipts: receiptWaiters{slots: slots, stats: st}, lost: make(chan struct{})}
	l.end(ErrConnectionLost)
	l.receipts.end(ErrConnectionLost)
	w := &writer{l: l}
	reply := make(chan error, 1)
	m := &writeFrame{frame: frames.New(frames.CmdSend, "destination", "/q"), receipt: time.Second, reply: reply}
	w.enqueue(nil, m)
	err := recv(t, reply, "the answer")
	require.ErrorIs(t, err, ErrConnectionLost)
	require.NotErrorIs(t, err, ErrOutcomeUnknown)
	require.Zero(t, w.q.buf.Buffered(), "the frame is not encoded")
	require.Empty(t, w.pending)
	require.Empty(t, slots)
	require.Zero(t, st.ReceiptsPending.Load())
}

// One receipt at a time (a SUBSCRIBE's, or each of a stream of sends
// that wait for their RECEIPT) needs no map; a second awaited at once
// gets one, and both are answered, in whatever order.
func TestReceiptWaitersOneAtATimeNeedNoMap(t *testing.T) {
	b, st := newWaiters(3)
	c := &Conn{}
	for i := range 3 {
		reply := make(chan error, 1)
		id := "r-" + strconv.Itoa(i)
		require.NoError(t, b.add(id, reply, time.Minute, 0))
		require.True(t, mapReleased(b), "a map for one receipt")
		require.True(t, b.confirm(id, c))
		require.NoError(t, recv(t, reply, "the receipt"))
	}
	a, z := make(chan error, 1), make(chan error, 1)
	require.NoError(t, b.add("a", a, time.Minute, 0))
	require.NoError(t, b.add("z", z, time.Minute, 0))
	require.False(t, mapReleased(b), "the second receipt waits in the map")
	require.True(t, b.fail("z", errors.New("refused")))
	require.EqualError(t, recv(t, z, "the failed receipt"), "refused")
	require.True(t, b.confirm("a", c))
	require.NoError(t, recv(t, a, "the first receipt"))
	require.Zero(t, st.ReceiptsPending.Load())
	b.end(ErrConnectionLost)
}

// A receipt id awaited twice is refused the second time with
// ErrReceiptIDInUse, and the first registration is left as it was: the
// RECEIPT for the id confirms the frame that asked for it first and no
// other, and the refused one hears nothing from the book.
func TestAReceiptIDAwaitedTwiceIsRefused(t *testing.T) {
	b, st := newWaiters(3)
	c := &Conn{}
	for _, other := range []string{"", "r-1-9"} { // the id alone, and beside another (the map)
		if other != "" {
			require.NoError(t, b.add(other, make(chan error, 1), time.Minute, 0))
		}
		first, second := make(chan error, 1), make(chan error, 1)
		require.NoError(t, b.add("r-1-1", first, time.Minute, 0))
		err := b.add("r-1-1", second, time.Minute, 0)
		require.ErrorIs(t, err, ErrReceiptIDInUse)
		require.ErrorIs(t, err, ErrInvalidArgument)
		require.Contains(t, err.Error(), `"r-1-1"`)
		require.True(t, b.confirm("r-1-1", c))
		require.NoError(t, recv(t, first, "the first frame's answer"))
		require.Empty(t, second, "the refused registration is not confirmed")
		require.False(t, b.confirm("r-1-1", c), "one RECEIPT, one frame")
		if other != "" {
			require.True(t, b.fail(other, ErrServer))
		}
		require.Zero(t, st.ReceiptsPending.Load())
	}
	b.end(ErrConnectionLost)
}
