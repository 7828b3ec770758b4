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
	require.True(t, b.add("long", long, time.Second))
	require.True(t, b.add("short", short, 50*time.Millisecond))
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
	require.True(t, b.add("again", again, 50*time.Millisecond))
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
		require.True(t, b.add("r-"+strconv.Itoa(i), replies[i], timeout))
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
	require.False(t, b.add("late", make(chan error, 1), time.Minute), "nothing is added after the end")
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

// A receipt the writer registers after the connection ended (its frame
// was taken just before lose answered the book) is answered at once as an
// unknown outcome, and its token given back.
func TestReceiptRegisteredAfterTheEnd(t *testing.T) {
	slots := make(chan struct{}, 1)
	st := &counters{}
	l := &link{receiptSlots: slots, receipts: receiptWaiters{slots: slots, stats: st}, lost: make(chan struct{})}
	l.end(ErrConnectionLost)
	l.receipts.end(ErrConnectionLost)
	w := &writer{l: l}
	slots <- struct{}{} // taken by the writer before it encoded the frame
	reply := make(chan error, 1)
	m := &writeFrame{frame: frames.New(frames.CmdSend, "destination", "/q"), receipt: time.Second, reply: reply}
	require.False(t, w.awaitReceipt(nil, m, "r-1-1"))
	err := recv(t, reply, "the answer")
	require.ErrorIs(t, err, ErrOutcomeUnknown)
	require.ErrorIs(t, err, ErrConnectionLost)
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
		require.True(t, b.add(id, reply, time.Minute))
		require.True(t, mapReleased(b), "a map for one receipt")
		require.True(t, b.confirm(id, c))
		require.NoError(t, recv(t, reply, "the receipt"))
	}
	a, z := make(chan error, 1), make(chan error, 1)
	require.True(t, b.add("a", a, time.Minute))
	require.True(t, b.add("z", z, time.Minute))
	require.False(t, mapReleased(b), "the second receipt waits in the map")
	require.True(t, b.fail("z", errors.New("refused")))
	require.EqualError(t, recv(t, z, "the failed receipt"), "refused")
	require.True(t, b.confirm("a", c))
	require.NoError(t, recv(t, a, "the first receipt"))
	require.Zero(t, st.ReceiptsPending.Load())
	b.end(ErrConnectionLost)
}
