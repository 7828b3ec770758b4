package api

import (
	"context"
	"encoding/hex"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/stompactor/stompactor/frames"
	"github.com/stompactor/stompactor/sim"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTransactions(t *testing.T) {
	for _, v := range versions {
		t.Run(v, func(t *testing.T) {
			b := newBroker(t, sim.WithFrameLog(64))
			s := connectTo(t, b, v)
			got := collect(s.OnMessageIn)
			_, err := s.Subscribe("/queue/tx", false)
			require.NoError(t, err)

			require.NoError(t, s.BeginTransaction("t1"))
			require.NoError(t, s.BeginTransaction("t2"))
			assert.Equal(t, []string{"t1", "t2"}, s.OpenTransactions())
			open, err := s.Config("OpenTransactions")
			require.NoError(t, err)
			assert.Equal(t, "t1,t2", open)
			assert.ErrorIs(t, s.BeginTransaction("t1"), ErrTransactionExists)

			require.NoError(t, s.SetTransactionID("t1"))
			assert.Equal(t, "t1", s.TransactionID())
			require.NoError(t, s.SendMessage("/queue/tx", "committed"))
			require.NoError(t, s.SetTransactionID("t2"))
			require.NoError(t, s.SendMessage("/queue/tx", "aborted"))
			require.NoError(t, s.SetTransactionID(""))
			waitFor(t, "two SENDs", func() bool { return len(received(t, b, 1, frames.CmdSend)) == 2 })
			sends := received(t, b, 1, frames.CmdSend)
			assert.Equal(t, "t1", sends[0].Header("transaction"))
			assert.Equal(t, "t2", sends[1].Header("transaction"))
			assert.Empty(t, got, "nothing delivered before COMMIT")

			require.NoError(t, s.AbortTransaction("t2"))
			require.NoError(t, s.CommitTransaction("t1"))
			assert.Equal(t, "committed", recv(t, got).Text())
			require.NoError(t, s.SendMessage("/queue/tx", "plain"))
			assert.Equal(t, "plain", recv(t, got).Text(), "the aborted message never arrives")
			assert.Empty(t, s.OpenTransactions())

			assert.ErrorIs(t, s.CommitTransaction("t1"), ErrUnknownTransaction)
			assert.ErrorIs(t, s.AbortTransaction("nope"), ErrUnknownTransaction)
			assert.ErrorIs(t, s.BeginTransaction(""), ErrInvalidArgument)
		})
	}
}

func TestTransactionReceipts(t *testing.T) {
	b := newBroker(t, sim.WithFrameLog(64))
	s := connectTo(t, b, "1.2")
	out := collect(s.OnReceiptOut)
	_, err := s.Config("RequestTransactionReceipts=true")
	require.NoError(t, err)
	require.NoError(t, s.BeginTransaction("t"))
	require.NoError(t, s.CommitTransaction("t"))
	assert.Equal(t, "BEGIN", recv(t, out).Command)
	assert.Equal(t, "COMMIT", recv(t, out).Command)
	assert.NotEmpty(t, waitFrame(t, b, 1, frames.CmdBegin).Header("receipt"))
	assert.NotEmpty(t, waitFrame(t, b, 1, frames.CmdCommit).Header("receipt"))
}

func TestTransactionsNeedAConnection(t *testing.T) {
	s := newClient(t)
	assert.ErrorIs(t, s.BeginTransaction("t"), ErrNotConnected)
	assert.ErrorIs(t, s.CommitTransaction("t"), ErrNotConnected)
	assert.ErrorIs(t, s.AbortTransaction("t"), ErrNotConnected)
	assert.Empty(t, s.OpenTransactions())
}

// With Timeout 0 a call is queued to run after the calls queued before
// it, and a message is no exception: one sent in a transaction just begun
// goes out after the BEGIN (else the broker refuses the transaction and
// drops the connection), and none overtakes the COMMIT. The messages sent
// while nothing waits go straight to the writer, still in order.
func TestTimeoutZeroSendsFollowTheCallsQueuedBeforeThem(t *testing.T) {
	const n = 20
	b := newBroker(t, sim.WithFrameLog(4*n))
	s := connectTo(t, b, "1.2")
	require.NoError(t, s.SetTimeout(0))
	errs := collect(s.OnError)
	receipts := collect(s.OnReceiptIn)
	disc := collect(s.OnDisconnected)
	require.NoError(t, s.BeginTransaction("t1"))
	require.NoError(t, s.SetTransactionID("t1"))
	for i := range n {
		require.NoError(t, s.SendMessage("/queue/tx", strconv.Itoa(i)))
	}
	require.NoError(t, s.SetTransactionID(""))
	require.NoError(t, s.CommitTransaction("t1"))
	for i := range n {
		require.NoError(t, s.SendData("/queue/plain", []byte(strconv.Itoa(i))))
	}
	// A marker with a receipt, queued after them: once its RECEIPT came,
	// the broker has taken every frame before it.
	require.NoError(t, s.SetRequestReceipts(true))
	require.NoError(t, s.SendMessage("/queue/marker", "m"))
	select {
	case <-receipts:
	case e := <-disc:
		t.Fatalf("the broker ended the connection: %d %s", e.StatusCode, e.Description)
	case <-time.After(wait):
		t.Fatalf("no RECEIPT for the marker within %v", wait)
	}

	ci, ok := b.Connection(1)
	require.True(t, ok)
	var got []string
	for _, f := range ci.Received {
		switch f.Command {
		case frames.CmdBegin, frames.CmdCommit:
			got = append(got, f.Command.String()+" "+f.Header("transaction"))
		case frames.CmdSend:
			got = append(got, f.Header("destination")+" "+f.Header("transaction")+" "+string(f.Body))
		}
	}
	want := []string{"BEGIN t1"}
	for i := range n {
		want = append(want, "/queue/tx t1 "+strconv.Itoa(i))
	}
	want = append(want, "COMMIT t1")
	for i := range n {
		want = append(want, "/queue/plain  "+strconv.Itoa(i))
	}
	want = append(want, "/queue/marker  m")
	require.Equal(t, want, got)
	require.Empty(t, errs)
}

// A transaction ends with the connection it was begun on, as the broker
// ends it. After a reconnect a send that still names it is refused before
// anything is written: it used to go out and report success, and the
// broker dropped the message (RabbitMQ: "Bad transaction") or ended the
// connection just restored for it (the simulator, as STOMP 1.2 says).
func TestASendInATransactionLostWithItsConnectionIsRefused(t *testing.T) {
	b := newBroker(t)
	s := connectTo(t, b, "1.2", WithReconnect(Reconnect{Enabled: true, InitialDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond}))
	require.NoError(t, s.BeginTransaction("tx1"))
	require.NoError(t, s.SetTransactionID("tx1"))
	require.NoError(t, s.SendMessage("/queue/tx-lost", "before the cut"))
	statuses := collect(s.OnConnectionStatus)
	require.NoError(t, b.CloseConnection(1))
	for ev := recv(t, statuses); ev.ConnectionEvent != "reconnected"; ev = recv(t, statuses) {
	}
	require.Empty(t, s.OpenTransactions())
	before := s.Stats()
	err := s.SendMessage("/queue/tx-lost", "after the cut")
	require.ErrorIs(t, err, ErrUnknownTransaction)
	require.ErrorContains(t, err, `"tx1" is not open on this connection`)

	// The connection lives on: a receipted send goes through, and the
	// transaction may be begun again on it.
	require.NoError(t, s.SetTransactionID(""))
	require.NoError(t, s.SetRequestReceipts(true))
	require.NoError(t, s.SendMessage("/queue/tx-marker", "behind it"))
	require.Equal(t, before.Disconnects, s.Stats().Disconnects)
	require.NoError(t, s.BeginTransaction("tx1"))
	require.NoError(t, s.SetTransactionID("tx1"))
	require.NoError(t, s.SendMessage("/queue/tx-lost", "in the new transaction"))
	require.NoError(t, s.CommitTransaction("tx1"))
	require.NoError(t, s.SetTransactionID(""))
	require.NoError(t, s.SendMessage("/queue/tx-lost", "after the commit"))
	msgs := make(chan string, 4)
	_, err = s.SubscribeWith(context.Background(), "/queue/tx-lost", SubscribeOptions{Handler: func(e *MessageInEvent) { msgs <- string(e.Data) }})
	require.NoError(t, err)
	require.Equal(t, "in the new transaction", recv(t, msgs), "the refused message never reached the broker")
	require.Equal(t, "after the commit", recv(t, msgs))
}

// A transaction begun by hand (SendCustomFrame) is open on the connection
// as one begun with BeginTransaction is: a message may join it, and a
// hand-written COMMIT ends it.
func TestAHandBegunTransactionCanBeJoined(t *testing.T) {
	b := newBroker(t)
	s := connectTo(t, b, "1.2", WithRequestReceipts(true))
	_, err := s.Config("SendCustomFrame=" + hex.EncodeToString([]byte("BEGIN\ntransaction:byhand\n\n\x00")))
	require.NoError(t, err)
	require.NoError(t, s.SetTransactionID("byhand"))
	require.NoError(t, s.SendMessage("/queue/byhand", "in the hand-begun transaction"))
	require.NoError(t, s.SetTransactionID(""))
	_, err = s.Config("SendCustomFrame=" + hex.EncodeToString([]byte("COMMIT\ntransaction:byhand\n\n\x00")))
	require.NoError(t, err)
	require.Empty(t, s.OpenTransactions())
	require.NoError(t, s.SetTransactionID("byhand"))
	require.ErrorIs(t, s.SendMessage("/queue/byhand", "after the commit"), ErrUnknownTransaction)
}

// A frame written by hand that joins a transaction lost with an earlier
// connection is refused as any other, before it is written: the broker
// would end the connection just restored for it.
func TestAHandWrittenSendInALostTransactionIsRefused(t *testing.T) {
	b := newBroker(t)
	s := connectTo(t, b, "1.2", WithReconnect(Reconnect{Enabled: true, InitialDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond}))
	require.NoError(t, s.BeginTransaction("tx1"))
	statuses := collect(s.OnConnectionStatus)
	require.NoError(t, b.CloseConnection(1))
	for ev := recv(t, statuses); ev.ConnectionEvent != "reconnected"; ev = recv(t, statuses) {
	}
	before := s.Stats().Disconnects
	_, err := s.Config("SendCustomFrame=" + hex.EncodeToString([]byte("SEND\ndestination:/queue/tx\ntransaction:tx1\n\nx\x00")))
	require.ErrorIs(t, err, ErrUnknownTransaction)
	require.NoError(t, s.SetRequestReceipts(true))
	require.NoError(t, s.SendMessage("/queue/marker", "behind it"))
	require.Equal(t, before, s.Stats().Disconnects)
}

// An Ack refused before anything was written, for a transaction not open
// (AckTransactionId), leaves the message unsettled: once the transaction
// is begun the Ack is made.
func TestARefusedAckMayBeMadeAgain(t *testing.T) {
	s, ev := messageToAckIn(t, "acks")
	require.ErrorIs(t, s.Ack(context.Background(), ev), ErrUnknownTransaction)
	require.NoError(t, s.BeginTransaction("acks"))
	require.NoError(t, s.Ack(context.Background(), ev))
	require.NoError(t, s.CommitTransaction("acks"))
}

// An Ack that does not wait (Timeout 0) and is refused later, for its
// transaction, reports the refusal by OnError and, the message not
// acknowledged, may be made again (review 7: the retry got
// ErrAlreadyAcked and the broker kept the message). A lent event is left
// as it is: by then a Lent subscription may have filled it with the next
// message, whose Ack it would undo (it did: two ACKs for one message).
func TestARefusedQueuedAckMayBeMadeAgainButLeavesALentEventAlone(t *testing.T) {
	for _, lent := range []bool{false, true} {
		t.Run(fmt.Sprintf("lent=%v", lent), func(t *testing.T) {
			s, ev := messageToAckIn(t, "nosuchtx")
			ev.lent = lent
			errs := collect(s.OnError)
			require.NoError(t, s.SetTimeout(0))
			require.NoError(t, s.Ack(context.Background(), ev)) // queued: refused later
			require.Contains(t, recv(t, errs).Description, "nosuchtx")
			waitFor(t, "the queued Ack to end", func() bool { return !s.calls.Load().busy() })
			require.Equal(t, lent, ev.settled.Load(), "settled after a queued Ack's refusal")
			if !lent {
				_, err := s.Config("AckTransactionId=")
				require.NoError(t, err)
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				require.NoError(t, s.Ack(ctx, ev), "made again once refused before anything was written")
			}
		})
	}
}

// A frame written by hand is read as a frame: the lines of its body are
// not headers. A body that holds "COMMIT" and "transaction:tx1" ends no
// transaction, and one that holds "transaction:42" joins none.
func TestTheBodyOfAHandWrittenFrameNamesNoTransaction(t *testing.T) {
	b := newBroker(t)
	s := connectTo(t, b, "1.2", WithRequestReceipts(true))
	require.NoError(t, s.BeginTransaction("tx1"))
	for _, raw := range []string{
		"SEND\ndestination:/queue/notes\ncontent-type:text/plain\n\nminutes:\nCOMMIT\ntransaction:tx1\n\x00",
		"SEND\ndestination:/queue/notes\ncontent-type:text/plain\n\nfields:\ntransaction:42\n\x00",
	} {
		_, err := s.Config("SendCustomFrame=" + hex.EncodeToString([]byte(raw)))
		require.NoError(t, err, "%q", raw)
	}
	require.Equal(t, []string{"tx1"}, s.OpenTransactions())
	require.NoError(t, s.CommitTransaction("tx1"))
}

// messageToAckIn returns a client whose acknowledgements join transaction
// tx (AckTransactionId) and a message of its, to be acknowledged by hand.
func messageToAckIn(t *testing.T, tx string) (*STOMP, *MessageInEvent) {
	t.Helper()
	b := newBroker(t)
	s := connectTo(t, b, "1.2")
	_, err := s.Config("AckTransactionId=" + tx)
	require.NoError(t, err)
	got := make(chan *MessageInEvent, 1)
	_, err = s.SubscribeWith(context.Background(), "/queue/ack-in-"+tx, SubscribeOptions{AckMode: AckClientIndividual, ManualAck: true,
		Handler: func(e *MessageInEvent) { got <- e }})
	require.NoError(t, err)
	require.NoError(t, s.SendMessage("/queue/ack-in-"+tx, "m"))
	return s, recv(t, got)
}
