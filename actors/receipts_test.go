package actors

import (
	"context"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stompactor/stompactor/frames"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// heldReceipts is a broker that answers receipts only when the test says:
// each frame with a receipt header is reported on asked; a receipt id sent
// on answer is written as a RECEIPT.
func heldReceipts(t *testing.T, version string) (*scriptedServer, chan *frames.Frame, chan string, chan string) {
	asked := make(chan string, 64)
	answer := make(chan string, 64)
	var once sync.Once
	srv, got := newBroker(t, connectedFrame(version), func(p *peer, f *frames.Frame) bool {
		once.Do(func() {
			go func() {
				for id := range answer {
					p.write(rawFrame("RECEIPT", "", "receipt-id", id))
				}
			}()
		})
		if id, ok := f.Headers.Get(frames.HdrReceipt); ok {
			asked <- id
		}
		return true
	})
	t.Cleanup(func() { close(answer) })
	return srv, got, asked, answer
}

func TestReceiptSendWaitsForReceipt(t *testing.T) {
	srv, got, asked, answer := heldReceipts(t, "1.2")
	c, rec := newTestClient(t, ConnOptions{})
	connectTo(t, c, srv.addr(), ConnectConfig{})
	expectFrame(t, got, frames.CmdConnect)
	done := make(chan error, 1)
	go func() {
		done <- c.Send(testCtx(t), frames.New(frames.CmdSend, "destination", "/q"), 5*time.Second, false)
	}()
	id := recv(t, asked, "the receipt request")
	require.Equal(t, id, expectFrame(t, got, frames.CmdSend).Header("receipt"))
	select {
	case err := <-done:
		t.Fatalf("Send returned %v before its receipt", err)
	default:
	}
	waitFor(t, "the receipt to be pending", func() bool { return c.Stats().ReceiptsPending == 1 })
	answer <- id
	require.NoError(t, recv(t, done, "Send"))
	require.Zero(t, c.Stats().ReceiptsPending)
	out := waitEvent[*ReceiptOutEvent](t, rec, nil)
	require.Equal(t, ReceiptOutEvent{ReceiptID: id, Command: frames.CmdSend}, *out)
	in := waitEvent[*ReceiptInEvent](t, rec, nil)
	require.Equal(t, id, in.ReceiptID)
}

// A RECEIPT confirms only the frame that asked for it. RabbitMQ answers a
// SUBSCRIBE at once and a persistent SEND only after its publisher
// confirm, so the later frame's receipt often comes first: it must not be
// taken for the earlier frame's.
func TestReceiptConfirmsOnlyItsOwnFrame(t *testing.T) {
	srv, got, asked, answer := heldReceipts(t, "1.2")
	c, rec := newTestClient(t, ConnOptions{})
	connectTo(t, c, srv.addr(), ConnectConfig{})
	expectFrame(t, got, frames.CmdConnect)
	doneA := make(chan error, 1)
	doneB := make(chan error, 1)
	go func() {
		doneA <- c.Send(testCtx(t), frames.New(frames.CmdSend, "destination", "/a"), 5*time.Second, true)
	}()
	idA := recv(t, asked, "A's receipt request")
	go func() {
		doneB <- c.Send(testCtx(t), frames.New(frames.CmdSubscribe, "destination", "/b", "id", "0"), 5*time.Second, true)
	}()
	idB := recv(t, asked, "B's receipt request")
	answer <- idB
	require.NoError(t, recv(t, doneB, "B"))
	waitEvent[*ReceiptInEvent](t, rec, func(e *ReceiptInEvent) bool { return e.ReceiptID == idB })
	select {
	case err := <-doneA:
		t.Fatalf("A was answered (%v) by B's receipt", err)
	default:
	}
	require.EqualValues(t, 1, c.Stats().ReceiptsPending)
	answer <- idA
	require.NoError(t, recv(t, doneA, "A, by its own receipt"))
	require.Zero(t, c.Stats().ReceiptsPending)
}

// A frame whose receipt never comes times out even when later frames are
// confirmed; its receipt arriving after that confirms nothing any more,
// and is counted as late, not blamed on the broker (see
// TestALateReceiptIsALateConfirmationNotAProtocolViolation).
func TestReceiptWithheldTimesOutWhileLaterOnesArrive(t *testing.T) {
	srv, got, asked, answer := heldReceipts(t, "1.2")
	c, rec := newTestClient(t, ConnOptions{})
	connectTo(t, c, srv.addr(), ConnectConfig{})
	expectFrame(t, got, frames.CmdConnect)
	doneA := make(chan error, 1)
	go func() {
		doneA <- c.Send(testCtx(t), frames.New(frames.CmdSend, "destination", "/a"), 300*time.Millisecond, true)
	}()
	idA := recv(t, asked, "A's receipt request")
	doneB := make(chan error, 1)
	go func() {
		doneB <- c.Send(testCtx(t), frames.New(frames.CmdSend, "destination", "/b"), 5*time.Second, true)
	}()
	idB := recv(t, asked, "B's receipt request")
	answer <- idB
	require.NoError(t, recv(t, doneB, "B"))
	require.ErrorIs(t, recv(t, doneA, "A"), ErrReceiptTimeout)
	// A's receipt arriving late confirms nothing, and is no violation.
	answer <- idA
	waitFor(t, "A's late receipt counted", func() bool { return c.Stats().ReceiptsLate == 1 })
	require.Zero(t, count[*ErrorEvent](rec, nil), "no error for a late receipt")
	require.Equal(t, Connected, c.State())
}

// A connection that ends before a frame's receipt came leaves its outcome
// unknown: the broker may or may not have acted on it. That is neither a
// confirmation nor a plain "not sent".
func TestReceiptOutcomeUnknownWhenTheConnectionEnds(t *testing.T) {
	// The broker takes the frame and hangs up without answering it.
	srv, got := newBroker(t, connectedFrame("1.2"), func(p *peer, f *frames.Frame) bool {
		return f.Command != frames.CmdSend
	})
	c, _ := newTestClient(t, ConnOptions{})
	connectTo(t, c, srv.addr(), ConnectConfig{})
	expectFrame(t, got, frames.CmdConnect)
	err := c.Send(testCtx(t), frames.New(frames.CmdSend, "destination", "/a"), 5*time.Second, true)
	require.ErrorIs(t, err, ErrOutcomeUnknown)
	require.ErrorIs(t, err, ErrConnectionLost)
	require.NotEmpty(t, expectFrame(t, got, frames.CmdSend).Header("receipt"))
	require.Zero(t, c.Stats().ReceiptsPending)
}

func TestReceiptTimeout(t *testing.T) {
	srv, got, asked, _ := heldReceipts(t, "1.2")
	c, _ := newTestClient(t, ConnOptions{})
	connectTo(t, c, srv.addr(), ConnectConfig{})
	expectFrame(t, got, frames.CmdConnect)
	start := time.Now()
	err := c.Send(testCtx(t), frames.New(frames.CmdSend, "destination", "/q"), 250*time.Millisecond, false)
	require.ErrorIs(t, err, ErrReceiptTimeout)
	require.GreaterOrEqual(t, time.Since(start), 250*time.Millisecond)
	recv(t, asked, "the receipt request")
	require.Zero(t, c.Stats().ReceiptsPending)
	require.Equal(t, Connected, c.State(), "a missing receipt does not end the connection")
	// Several at once, with different deadlines, each fail at their own.
	errs := make(chan error, 3)
	for _, d := range []time.Duration{300 * time.Millisecond, 100 * time.Millisecond, 200 * time.Millisecond} {
		go func() { errs <- c.Send(testCtx(t), frames.New(frames.CmdSend, "destination", "/q"), d, false) }()
	}
	for range 3 {
		require.ErrorIs(t, recv(t, errs, "a receipt timeout"), ErrReceiptTimeout)
	}
}

// The caller's context may end the wait before the receipt's deadline:
// the frame was written, so the outcome is unknown (not ErrTimeout, which
// says nothing was written).
func TestReceiptContextShorterThanDeadline(t *testing.T) {
	srv, got, _, _ := heldReceipts(t, "1.2")
	c, _ := newTestClient(t, ConnOptions{})
	connectTo(t, c, srv.addr(), ConnectConfig{})
	expectFrame(t, got, frames.CmdConnect)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	err := c.Send(ctx, frames.New(frames.CmdSend, "destination", "/q"), 5*time.Second, false)
	require.ErrorIs(t, err, ErrOutcomeUnknown)
	require.NotErrorIs(t, err, ErrTimeout)
}

// An ERROR naming a receipt fails the frame that asked for it.
func TestReceiptAnsweredByError(t *testing.T) {
	srv, got := newBroker(t, connectedFrame("1.2"), func(p *peer, f *frames.Frame) bool {
		if id, ok := f.Headers.Get(frames.HdrReceipt); ok {
			p.write(rawFrame("ERROR", "no such queue", "message", "refused", "receipt-id", id))
		}
		return true
	})
	c, rec := newTestClient(t, ConnOptions{})
	connectTo(t, c, srv.addr(), ConnectConfig{})
	expectFrame(t, got, frames.CmdConnect)
	err := c.Send(testCtx(t), frames.New(frames.CmdSend, "destination", "/q"), 5*time.Second, true)
	var se *Error
	require.ErrorAs(t, err, &se)
	require.Equal(t, "refused", se.Headers.Value("message"))
	require.Equal(t, "no such queue", string(se.Body))
	ee := waitEvent[*ErrorEvent](t, rec, nil)
	require.ErrorAs(t, ee.Err, &se)
}

func TestHostileReceiptForNothing(t *testing.T) {
	srv, got := newBroker(t, connectedFrame("1.2"), func(p *peer, f *frames.Frame) bool {
		if f.Command == frames.CmdSend {
			p.write(rawFrame("RECEIPT", "", "receipt-id", "never-asked"))
		}
		receiptFor(p, f)
		return true
	})
	c, rec := newTestClient(t, ConnOptions{})
	connectTo(t, c, srv.addr(), ConnectConfig{})
	expectFrame(t, got, frames.CmdConnect)
	require.NoError(t, c.Send(testCtx(t), frames.New(frames.CmdSend, "destination", "/q"), 0, true))
	ee := waitEvent[*ErrorEvent](t, rec, nil)
	require.ErrorIs(t, ee.Err, ErrProtocol)
	require.ErrorContains(t, ee.Err, "never-asked")
	require.Equal(t, Connected, c.State())
	// Still working: a real receipt is matched.
	require.NoError(t, c.Begin(testCtx(t), "t1", 5*time.Second))
}

// The receipt limit is checked before the frame is written: a send over
// it fails at once and nothing reaches the broker.
func TestReceiptLimitCheckedBeforeWriting(t *testing.T) {
	srv, got, asked, answer := heldReceipts(t, "1.2")
	c, _ := newTestClient(t, ConnOptions{})
	connectTo(t, c, srv.addr(), ConnectConfig{MaxPendingReceipts: 1})
	expectFrame(t, got, frames.CmdConnect)
	first := make(chan error, 1)
	go func() {
		first <- c.Send(testCtx(t), frames.New(frames.CmdSend, "destination", "/a"), 5*time.Second, true)
	}()
	id := recv(t, asked, "the first receipt request")
	err := c.Send(testCtx(t), frames.New(frames.CmdSend, "destination", "/b"), 5*time.Second, true)
	require.ErrorIs(t, err, ErrTooManyReceipts)
	// The next frame the broker sees is the one sent after the refusal.
	require.NoError(t, c.Send(testCtx(t), frames.New(frames.CmdSend, "destination", "/c"), 0, true))
	require.Equal(t, "/a", expectFrame(t, got, frames.CmdSend).Header("destination"))
	require.Equal(t, "/c", expectFrame(t, got, frames.CmdSend).Header("destination"))
	answer <- id
	require.NoError(t, recv(t, first, "the first send"))
	// Its token is back: another receipt may be requested.
	last := make(chan error, 1)
	go func() {
		last <- c.Send(testCtx(t), frames.New(frames.CmdSend, "destination", "/d"), 5*time.Second, true)
	}()
	answer <- recv(t, asked, "the next receipt request")
	require.NoError(t, recv(t, last, "the last send"))
}

// tellingBroker is a broker that writes what the test says: each frame
// with a receipt header is reported on asked, each string sent on say is
// written as it is, and an empty one hangs up.
func tellingBroker(t *testing.T) (*scriptedServer, chan *frames.Frame, chan string, chan string) {
	asked := make(chan string, 64)
	say := make(chan string, 64)
	var once sync.Once
	srv, got := newBroker(t, connectedFrame("1.2"), func(p *peer, f *frames.Frame) bool {
		once.Do(func() {
			go func() {
				for s := range say {
					if s == "" {
						_ = p.conn.Close()
						return
					}
					p.write(s)
				}
			}()
		})
		if id, ok := f.Headers.Get(frames.HdrReceipt); ok {
			asked <- id
		}
		return true
	})
	t.Cleanup(func() { close(say) })
	return srv, got, asked, say
}

// sendWithReceipt sends a SEND to dest with a receipt on its own
// goroutine and returns where its outcome comes, once the broker has seen
// it, and its receipt id.
func sendWithReceipt(t *testing.T, c *Conn, asked chan string, dest string) (chan error, string) {
	done := make(chan error, 1)
	go func() {
		done <- c.Send(testCtx(t), frames.New(frames.CmdSend, "destination", dest), 5*time.Second, true)
	}()
	return done, recv(t, asked, "the receipt request of the SEND to "+dest)
}

// An ERROR naming a receipt fails that frame with the server's error and
// leaves the others waiting for their own RECEIPT.
func TestReceiptErrorFailsOnlyTheFrameItNames(t *testing.T) {
	srv, got, asked, say := tellingBroker(t)
	c, rec := newTestClient(t, ConnOptions{})
	connectTo(t, c, srv.addr(), ConnectConfig{})
	expectFrame(t, got, frames.CmdConnect)
	doneA, idA := sendWithReceipt(t, c, asked, "/a")
	doneB, idB := sendWithReceipt(t, c, asked, "/b")
	require.EqualValues(t, 2, c.Stats().ReceiptsPending)
	say <- rawFrame("ERROR", "refused", "message", "no room", "receipt-id", idA)
	err := recv(t, doneA, "A")
	var se *Error
	require.ErrorAs(t, err, &se)
	require.Equal(t, "no room", se.Headers.Value("message"))
	require.NotErrorIs(t, err, ErrOutcomeUnknown)
	waitEvent[*ErrorEvent](t, rec, nil)
	select {
	case err := <-doneB:
		t.Fatalf("B was answered (%v) by the ERROR naming A", err)
	default:
	}
	require.EqualValues(t, 1, c.Stats().ReceiptsPending)
	say <- rawFrame("RECEIPT", "", "receipt-id", idB)
	require.NoError(t, recv(t, doneB, "B, by its own receipt"))
	require.Zero(t, c.Stats().ReceiptsPending)
	require.Zero(t, count(rec, func(e *ReceiptInEvent) bool { return e.ReceiptID == idA }), "no RECEIPT came for A")
}

// A broker that refuses a frame says so and hangs up: the frame the ERROR
// names fails with the server's error, the others in flight with
// ErrOutcomeUnknown, since the ERROR is read before the end.
func TestReceiptErrorThenHangUp(t *testing.T) {
	srv, got, asked, say := tellingBroker(t)
	c, _ := newTestClient(t, ConnOptions{})
	connectTo(t, c, srv.addr(), ConnectConfig{})
	expectFrame(t, got, frames.CmdConnect)
	doneA, _ := sendWithReceipt(t, c, asked, "/a")
	doneB, idB := sendWithReceipt(t, c, asked, "/b")
	say <- rawFrame("ERROR", "refused", "message", "no room", "receipt-id", idB)
	say <- ""
	errA, errB := recv(t, doneA, "A"), recv(t, doneB, "B")
	require.ErrorIs(t, errA, ErrOutcomeUnknown)
	var se *Error
	require.ErrorAs(t, errB, &se)
	require.Equal(t, "no room", se.Headers.Value("message"))
	require.NotErrorIs(t, errB, ErrOutcomeUnknown)
	require.Zero(t, c.Stats().ReceiptsPending)
}

// A RECEIPT and the end of its connection race: the frame is confirmed
// if the RECEIPT was read first, and its outcome is unknown otherwise;
// never both, never a hang. A confirmation is reported by exactly one
// ReceiptInEvent before the call returns, an unknown outcome by none.
func TestReceiptRacesTheConnectionEnd(t *testing.T) {
	c, rec := newTestClient(t, ConnOptions{})
	var confirmed, unknown int
	for i := range 25 {
		asked := make(chan string, 1)
		release := make(chan struct{})
		srv, got := newBroker(t, connectedFrame("1.2"), func(p *peer, f *frames.Frame) bool {
			if id, ok := f.Headers.Get(frames.HdrReceipt); ok {
				asked <- id
				<-release
				p.write(rawFrame("RECEIPT", "", "receipt-id", id))
			}
			return true
		})
		connectTo(t, c, srv.addr(), ConnectConfig{})
		expectFrame(t, got, frames.CmdConnect)
		done, id := sendWithReceipt(t, c, asked, "/q")
		close(release) // the RECEIPT goes out...
		c.Interrupt()  // ...as the connection ends
		err := recv(t, done, "the send")
		in := count(rec, func(e *ReceiptInEvent) bool { return e.ReceiptID == id })
		if err == nil {
			confirmed++
			require.Equal(t, 1, in, "round %d: a confirmed receipt is reported once", i)
		} else {
			unknown++
			require.ErrorIs(t, err, ErrOutcomeUnknown, "round %d", i)
			require.Zero(t, in, "round %d: a RECEIPT read after the end is reported", i)
		}
		require.Zero(t, c.Stats().ReceiptsPending, "round %d", i)
	}
	t.Logf("%d confirmed, %d outcome unknown", confirmed, unknown)
}

// Every RECEIPT is reported once, whichever book awaited it: the frames
// callers wait for (confirmed by the reader) and DISCONNECT's (by the
// session). Each ReceiptOutEvent comes before the ReceiptInEvent of its id.
func TestReceiptEventsOncePerReceipt(t *testing.T) {
	srv, got := newBroker(t, connectedFrame("1.2"), politeBroker)
	c, rec := newTestClient(t, ConnOptions{})
	connectTo(t, c, srv.addr(), ConnectConfig{})
	expectFrame(t, got, frames.CmdConnect)
	for range 5 {
		require.NoError(t, c.Send(testCtx(t), frames.New(frames.CmdSend, "destination", "/q"), 5*time.Second, true))
	}
	require.NoError(t, c.Begin(testCtx(t), "t1", 5*time.Second))
	require.NoError(t, c.Disconnect(testCtx(t), true, 5*time.Second))
	out := map[string]int{}
	ins := map[string]int{}
	for i, e := range rec.all() {
		switch e := e.(type) {
		case *ReceiptOutEvent:
			out[e.ReceiptID] = i
		case *ReceiptInEvent:
			ins[e.ReceiptID]++
			if at, ok := out[e.ReceiptID]; ok {
				require.Less(t, at, i, "ReceiptOutEvent of %s before its ReceiptInEvent", e.ReceiptID)
			}
		}
	}
	require.Len(t, ins, 7, "five SENDs, BEGIN and DISCONNECT: %v", ins)
	for id, n := range ins {
		require.Equal(t, 1, n, "RECEIPT %s reported once", id)
	}
	require.Zero(t, c.Stats().ReceiptsPending)
}

// A caller whose context ends while it waits for a RECEIPT hears
// ErrReceiptTimeout once the receipt's own deadline (set short of the
// context's) has passed, even when the deadline's timer has not run yet, as
// on a loaded machine; its frame's answer when that came meanwhile; the
// connection's outcome when it ended too; the context's error when its
// frame was withdrawn before the writer took it; and otherwise, the frame
// written or on its way, ErrOutcomeUnknown (never a bare context error,
// which would invite sending it twice).
func TestAnEndedWaitPrefersTheReceiptsOwnAnswer(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	l := &link{lost: make(chan struct{}), writerDone: make(chan struct{})}
	written := func(due time.Time) *writeFrame {
		wf := &writeFrame{receipt: 100 * time.Millisecond, reply: make(chan error, 1)}
		wf.take()
		wf.due.Store(due.UnixNano())
		wf.taken.Store(true)
		return wf
	}

	assert.ErrorIs(t, receiptOrCtxErr(ctx, l, written(time.Now().Add(-time.Millisecond))), ErrReceiptTimeout, "deadline passed")
	ahead := receiptOrCtxErr(ctx, l, written(time.Now().Add(time.Minute)))
	assert.ErrorIs(t, ahead, context.Canceled, "deadline still ahead")
	assert.ErrorIs(t, ahead, ErrOutcomeUnknown, "deadline still ahead: written, so maybe taken")
	notYet := receiptOrCtxErr(ctx, l, &writeFrame{reply: make(chan error, 1)})
	assert.ErrorIs(t, notYet, context.Canceled, "not taken yet")
	assert.NotErrorIs(t, notYet, ErrOutcomeUnknown, "not taken yet: withdrawn, never written")
	plain := &writeFrame{reply: make(chan error, 1)}
	plain.state.Store(frameWritten) // in the buffer, not yet flushed (writeDirect)
	assert.ErrorIs(t, receiptOrCtxErr(ctx, l, plain), ErrOutcomeUnknown, "a plain frame in the buffer")

	// A deadline that passed once the frame was written is not
	// ErrTimeout, which says nothing was written.
	past, cancelPast := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancelPast()
	late := receiptOrCtxErr(past, l, written(time.Now().Add(time.Minute)))
	assert.ErrorIs(t, late, ErrOutcomeUnknown)
	assert.ErrorIs(t, late, context.DeadlineExceeded)
	assert.NotErrorIs(t, late, ErrTimeout, "written: not 'timed out before anything was written'")

	wf := written(time.Now().Add(time.Minute))
	wf.reply <- nil
	assert.NoError(t, receiptOrCtxErr(ctx, l, wf), "the RECEIPT came meanwhile")

	// The connection ended as well: the book's answer, outcome unknown.
	l.end(ErrInterrupted)
	close(l.writerDone)
	l.receipts.end(ErrInterrupted)
	assert.ErrorIs(t, receiptOrCtxErr(ctx, l, written(time.Now().Add(-time.Millisecond))), ErrOutcomeUnknown, "connection ended too")
}

// A COMMIT (or SUBSCRIBE, UNSUBSCRIBE, BEGIN, ABORT) waiting for its
// RECEIPT when the connection ends is told ErrOutcomeUnknown — the broker
// may have committed — never the bare reason the connection ended, which
// invites a retry. The writer that stopped first (it had retired, idle)
// must not let the caller look for its answer before the end has answered
// the book; many subscriptions make the end long enough to tell.
func TestAnUnansweredCommitOfALostConnectionIsOutcomeUnknown(t *testing.T) {
	for round := range 3 {
		srv, got, asked, _ := heldReceipts(t, "1.2")
		e := NewEngine(EngineOptions{WriterLinger: time.Millisecond})
		c := mustConn(t, e, ConnOptions{Sink: newRecorder().add})
		connectTo(t, c, srv.addr(), ConnectConfig{})
		expectFrame(t, got, frames.CmdConnect)
		for i := range 500 {
			_, err := c.Subscribe(testCtx(t), SubscribeSpec{ID: strconv.Itoa(i), Destination: "/topic/t"})
			require.NoError(t, err)
		}
		require.NoError(t, c.Begin(testCtx(t), "t1", 0))
		done := make(chan error, 1)
		go func() { done <- c.Commit(testCtx(t), "t1", 5*time.Second) }()
		recv(t, asked, "the COMMIT's receipt request")
		q := c.link.Load().out
		waitFor(t, "the idle writer to retire", func() bool {
			q.mu.Lock()
			defer q.mu.Unlock()
			return q.writer == nil
		})
		c.Interrupt()
		require.ErrorIs(t, recv(t, done, "Commit"), ErrOutcomeUnknown, "round %d", round)
		c.Close()
		// A handler still running when Close came lets the connection
		// finish once it returns (Conn.Close): wait for that too.
		waitFor(t, "the connection's actors to stop", func() bool { return e.Actors() == 0 && e.Connections() == 0 })
		require.NoError(t, e.Close())
	}
}

// A SUBSCRIBE, UNSUBSCRIBE, BEGIN, COMMIT or ABORT whose caller's context
// ends once its receipt's deadline has passed, but before the deadline's
// timer ran (as on a loaded machine; held here by the book's lock), is
// answered ErrReceiptTimeout, as a SEND is in that situation, not with
// the context's error.
func TestLinkedCallsAnswerAnEndedWaitAsSendsDo(t *testing.T) {
	const receipt = 250 * time.Millisecond
	calls := []struct {
		name  string
		setup func(c *Conn)
		call  func(ctx context.Context, c *Conn) error
	}{
		{"SEND", nil, func(ctx context.Context, c *Conn) error {
			return c.Send(ctx, frames.New(frames.CmdSend, "destination", "/q"), receipt, true)
		}},
		{"SUBSCRIBE", nil, func(ctx context.Context, c *Conn) error {
			_, err := c.Subscribe(ctx, SubscribeSpec{ID: "s1", Destination: "/q", Receipt: receipt})
			return err
		}},
		{"UNSUBSCRIBE", func(c *Conn) {
			_, err := c.Subscribe(testCtx(t), SubscribeSpec{ID: "s1", Destination: "/q"})
			require.NoError(t, err)
		}, func(ctx context.Context, c *Conn) error {
			return c.Unsubscribe(ctx, "s1", receipt)
		}},
		{"BEGIN", nil, func(ctx context.Context, c *Conn) error { return c.Begin(ctx, "t1", receipt) }},
		{"COMMIT", func(c *Conn) { require.NoError(t, c.Begin(testCtx(t), "t1", 0)) }, func(ctx context.Context, c *Conn) error {
			return c.Commit(ctx, "t1", receipt)
		}},
		{"ABORT", func(c *Conn) { require.NoError(t, c.Begin(testCtx(t), "t1", 0)) }, func(ctx context.Context, c *Conn) error {
			return c.Abort(ctx, "t1", receipt)
		}},
	}
	for _, tc := range calls {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv, got, asked, _ := heldReceipts(t, "1.2")
			c, _ := newTestClient(t, ConnOptions{})
			connectTo(t, c, srv.addr(), ConnectConfig{})
			expectFrame(t, got, frames.CmdConnect)
			if tc.setup != nil {
				tc.setup(c)
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			done := make(chan error, 1)
			go func() { done <- tc.call(ctx, c) }()
			id := recv(t, asked, "the receipt request")
			assert.ErrorIs(t, endAfterDeadline(t, c.link.Load(), id, cancel, done), ErrReceiptTimeout)
		})
	}
}

// endAfterDeadline holds the book of l so that its timer cannot fail
// receipt id, waits until id's deadline has passed, ends the caller's
// context with cancel and returns what the caller (done) then answers.
func endAfterDeadline(t *testing.T, l *link, id string, cancel context.CancelFunc, done chan error) error {
	t.Helper()
	b := &l.receipts
	b.mu.Lock()
	defer b.mu.Unlock()
	w, ok := b.first, b.hasFirst && b.firstID == id
	if !ok {
		w, ok = b.byID[id]
	}
	require.True(t, ok, "receipt %s awaited (its deadline passed before the test held the book)", id)
	waitFor(t, "the receipt's deadline to pass", func() bool { return time.Now().After(w.deadline) })
	cancel()
	return recv(t, done, "the call")
}

// customReceipts finds every receipt header of bytes written as they are,
// each with the command of its frame, through CRLF line ends and frames
// that follow a NUL on the same line.
func TestCustomReceiptsOfRawBytes(t *testing.T) {
	raw := "SEND\r\ndestination:/q\r\nreceipt:a-1\r\n\r\nbody\x00SUBSCRIBE\nid:1\nreceipt:b 2\n\n\x00\nreceipt:c"
	require.Equal(t, []customReceipt{
		{id: "a-1", cmd: frames.CmdSend},
		{id: "b 2", cmd: frames.CmdSubscribe},
		{id: "c", cmd: frames.CmdSubscribe},
	}, customReceipts([]byte(raw)))
	require.Empty(t, customReceipts([]byte("SEND\ndestination:/q\n\nreceipts:x\x00")))
}
