package api

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stompactor/stompactor/frames"
	"github.com/stompactor/stompactor/sim"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// With Timeout 0 a call given no deadline does not wait (doc.go, "Calls
// and timeouts"), and an at-least-once send is no exception: SendData
// returns nil once the outbox took the message, which stays there, not
// confirmed, while a broker that never confirms (a resource alarm: it
// stops reading) holds it. Review 14, finding 1: after the outbox's
// ConfirmTimeout was removed, the call waited for ever, until Close.
func TestWithTimeout0AnAtLeastOnceSendReturnsOnceTheOutboxTookIt(t *testing.T) {
	b := newBroker(t)
	s := connectTo(t, b, "1.2", WithAtLeastOnce(AtLeastOnce{Enabled: true}))
	require.NoError(t, b.Inject(sim.Fault{Name: "alarm", Kind: sim.StopReading, Conn: 1}))
	require.NoError(t, s.SetTimeout(0))

	res := make(chan error, 1)
	go func() { res <- s.SendData("/queue/t0", []byte("x")) }()
	// Past the 5 s the outbox's timer used to bound it by.
	select {
	case err := <-res:
		require.NoError(t, err, "with Timeout 0 the send does not wait: nil once the outbox took the message")
	case <-time.After(7 * time.Second):
		s.Close()
		err := <-res
		require.Fail(t, "SendData with AtLeastOnce and Timeout 0 (no context deadline) still waits after 7s; it returned only at Close", "Close made it return: %v", err)
	}
	// Queued, not confirmed: the outbox keeps it until its RECEIPT.
	assert.EqualValues(t, 1, s.Stats().Outbox, "the message stays in the outbox")
	// A deadline on the context makes the call wait, Timeout 0 or not.
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	err := s.SendDataContext(ctx, "/queue/t0", []byte("y"))
	require.ErrorIs(t, err, ErrReceiptTimeout, "a context deadline makes an at-least-once send wait for its RECEIPT")
	assert.EqualValues(t, 2, s.Stats().Outbox)
}

// With Timeout 0 a full queue is ErrWouldBlock (doc.go), the outbox too:
// with it full of messages the broker never confirms, SendDataAsync and
// SendData with Timeout 0 and no deadline return ErrWouldBlock at once,
// nothing taken (done is never called). Review 14, finding 2: they waited
// for room for ever, until Close.
func TestWithTimeout0AFullOutboxIsErrWouldBlock(t *testing.T) {
	b := newBroker(t)
	s := connectTo(t, b, "1.2", WithAtLeastOnce(AtLeastOnce{Enabled: true, MaxOutbox: 1}))
	require.NoError(t, b.Inject(sim.Fault{Name: "alarm", Kind: sim.StopReading, Conn: 1}))
	dones := make(chan error, 3)
	require.NoError(t, s.SendDataAsync(context.Background(), "/queue/t0", []byte("first"), func(err error) { dones <- err }))
	waitFor(t, "the outbox to hold the first", func() bool { return s.Stats().Outbox == 1 })
	require.NoError(t, s.SetTimeout(0))

	res := make(chan error, 1)
	go func() {
		res <- s.SendDataAsync(context.Background(), "/queue/t0", []byte("second"), func(err error) { dones <- err })
	}()
	select {
	case err := <-res:
		require.Error(t, err)
		assert.ErrorIs(t, err, ErrWouldBlock)
	case <-time.After(7 * time.Second):
		s.Close()
		err := <-res
		require.Fail(t, "SendDataAsync with Timeout 0 and a full outbox still waits for room after 7s (expected ErrWouldBlock at once)", "Close made it return: %v", err)
	}
	// The synchronous send, too.
	go func() { res <- s.SendData("/queue/t0", []byte("third")) }()
	select {
	case err := <-res:
		assert.ErrorIs(t, err, ErrWouldBlock)
	case <-time.After(wait):
		s.Close()
		require.Fail(t, "SendData with Timeout 0 and a full outbox still waits for room", "Close made it return: %v", <-res)
	}
	assert.EqualValues(t, 1, s.Stats().Outbox, "nothing refused was taken")
	select {
	case err := <-dones:
		assert.Fail(t, "a done was called", "%v", err)
	default:
	}
}

// A message an at-least-once send with Timeout 0 left in the outbox, and
// that the broker refuses (an ERROR naming its receipt), is reported to
// OnError naming it: the call, its destination and its DedupHeader id,
// with the ERROR's code, headers (the receipt of its SEND) and body. The
// ERROR also reaches OnError as it arrives, as every ERROR does.
func TestWithTimeout0ARefusedAtLeastOnceMessageReachesOnErrorNamingIt(t *testing.T) {
	b := newBroker(t, sim.WithPlan(sim.Plan{
		{Name: "refuse", Kind: sim.SendError, Conn: 1, ReceiptOf: 1, Message: "refused"},
	}))
	s := connectTo(t, b, "1.2", WithAtLeastOnce(AtLeastOnce{Enabled: true, DedupHeader: "x-dedup"}))
	errs := collect(s.OnError)
	outs := collect(s.OnReceiptOut)
	require.NoError(t, s.SetTimeout(0))
	require.NoError(t, s.SendData("/queue/refused", []byte("refused by the broker")), "with Timeout 0 the send does not wait: nil once the outbox took it")
	out := recv(t, outs)
	require.Equal(t, "SEND", out.Command)

	var named *ErrorEvent
	for range 2 {
		e := recv(t, errs)
		require.Equal(t, CodeServerError, e.ErrorCode, e.Description)
		var se *Error
		require.True(t, errors.As(e.Err, &se))
		assert.Equal(t, out.ReceiptID, se.Headers.Value(frames.HdrReceiptID), "the ERROR names the SEND's receipt")
		assert.Contains(t, e.Description, "refused")
		if named == nil && errors.Is(e.Err, ErrServer) && containsAll(e.Description, "SendData", `"/queue/refused"`, "x-dedup") {
			named = e
		}
	}
	require.NotNil(t, named, "OnError names the refused message (call, destination, de-duplication id)")
	assert.Regexp(t, `x-dedup "[0-9a-f]+-1"`, named.Description)
	waitFor(t, "the outbox to let the refused message go", func() bool { return s.Stats().Outbox == 0 })
}

func containsAll(s string, parts ...string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}
