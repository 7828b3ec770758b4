package sim

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// copyRig is a consumer that got a message and the copy a frame fault
// sent after it, on a broker whose only message that is.
type copyRig struct {
	b          *Broker
	c          *client
	first, dup rawFrame
}

func newCopyRig(t *testing.T, kind FaultKind, version, mode string) *copyRig {
	t.Helper()
	b := newBroker(t, WithPlan(Plan{{Name: "copy", Kind: kind, Conn: 1}}))
	c := tcpClient(t, b.Addr())
	c.connect(version)
	c.sendSync("SUBSCRIBE", "id:0", "destination:/queue/r", "ack:"+mode)
	p := tcpClient(t, b.Addr())
	p.connect("1.2")
	p.sendSync("SEND", "destination:/queue/r")
	r := &copyRig{b: b, c: c, first: c.expect("MESSAGE")}
	r.dup = c.expect("MESSAGE")
	return r
}

// ack sends an ACK or NACK of f, as version v names it, with a receipt.
func (r *copyRig) ack(cmd, version string, f rawFrame, receipt string) {
	switch version {
	case "1.2":
		r.c.send(cmd + "\nid:" + f.get("ack") + "\nreceipt:" + receipt + "\n\n\x00")
	case "1.1":
		r.c.send(cmd + "\nmessage-id:" + f.get("message-id") + "\nsubscription:0\nreceipt:" + receipt + "\n\n\x00")
	default:
		r.c.send(cmd + "\nmessage-id:" + f.get("message-id") + "\nreceipt:" + receipt + "\n\n\x00")
	}
}

// answers reads n frames, or what ended the connection.
func (r *copyRig) answers(n int) []string {
	var got []string
	for range n {
		f, err := r.c.readFrame()
		if err != nil {
			return append(got, "closed: "+err.Error())
		}
		a := f.cmd + " " + f.get("receipt-id")
		if m, ok := f.lookup("message"); ok {
			a += " (" + m + ")"
		}
		got = append(got, a)
	}
	return got
}

// settled checks the message was acknowledged once, counted once, and no
// ERROR was sent.
func (r *copyRig) settled(t *testing.T) {
	t.Helper()
	st := r.b.Stats()
	assert.Zero(t, st.Errors)
	d, _ := r.b.Destination("/queue/r")
	assert.Zero(t, d.Unacked, "%+v", d)
	assert.EqualValues(t, 1, d.Delivered, "the copy counted as a delivery: %+v", d)
	assert.EqualValues(t, 1, st.Acked, "%+v", st.Counters)
	assert.Zero(t, d.Ready, "%+v", d)
	ci, ok := r.b.Connection(1)
	require.True(t, ok)
	assert.Zero(t, ci.Unacked)
}

// A RedeliverMessage copy is acknowledged as a real broker's redelivery
// is: it has its own 1.2 ack id, and acknowledging both copies in
// client-individual mode (as such a consumer must) is no protocol error.
func TestRedeliveredCopyHasItsOwnAckIDAndBothCanBeAcked(t *testing.T) {
	r := newCopyRig(t, RedeliverMessage, "1.2", "client-individual")
	require.Equal(t, "true", r.dup.get("redelivered"))
	require.NotEqual(t, r.first.get("ack"), r.dup.get("ack"))
	r.ack("ACK", "1.2", r.first, "a1")
	r.ack("ACK", "1.2", r.dup, "a2")
	assert.Equal(t, []string{"RECEIPT a1", "RECEIPT a2"}, r.answers(2))
	r.settled(t)
	// Each ack id is spent once acknowledged.
	r.ack("ACK", "1.2", r.dup, "a3")
	assert.Equal(t, []string{"ERROR a3 (unknown ack id)"}, r.answers(1))
}

// The first ACK or NACK of either copy settles the message; the later one
// of the other does nothing, whichever order and kind they come in.
func TestDuplicateMessageFirstSettlementWins(t *testing.T) {
	for _, tc := range []struct {
		name, first, second string
		ackCopyFirst        bool
		nack                bool
	}{
		{"copy acked first", "ACK", "ACK", true, false},
		{"nack after ack does nothing", "ACK", "NACK", false, false},
		{"ack after nack does nothing", "NACK", "ACK", true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newCopyRig(t, DuplicateMessage, "1.2", "client-individual")
			a, b := r.first, r.dup
			if tc.ackCopyFirst {
				a, b = b, a
			}
			r.ack(tc.first, "1.2", a, "r1")
			r.ack(tc.second, "1.2", b, "r2")
			if !tc.nack {
				assert.Equal(t, []string{"RECEIPT r1", "RECEIPT r2"}, r.answers(2))
				r.settled(t)
				return
			}
			// The rejected message comes back (the fault has fired: no
			// copy this time) before the receipt; the ACK of the copy
			// does not settle that new delivery.
			assert.Equal(t, []string{"MESSAGE ", "RECEIPT r1", "RECEIPT r2"}, r.answers(3))
			st := r.b.Stats()
			assert.Zero(t, st.Errors)
			assert.EqualValues(t, 1, st.Nacked)
			assert.Zero(t, st.Acked)
			d, _ := r.b.Destination("/queue/r")
			assert.Equal(t, 1, d.Unacked, "the redelivery waits for its ACK: %+v", d)
			assert.EqualValues(t, 2, d.Delivered, "%+v", d)
		})
	}
}

// In 1.0 and 1.1 ACK names the message-id the copies share: the broker
// accepts one ACK of it per MESSAGE sent, and no more.
func TestDuplicateMessageAckedByMessageIDOncePerCopy(t *testing.T) {
	for _, version := range []string{"1.0", "1.1"} {
		t.Run(version, func(t *testing.T) {
			r := newCopyRig(t, DuplicateMessage, version, "client")
			r.ack("ACK", version, r.first, "a1")
			r.ack("ACK", version, r.dup, "a2")
			assert.Equal(t, []string{"RECEIPT a1", "RECEIPT a2"}, r.answers(2))
			r.settled(t)
			r.ack("ACK", version, r.dup, "a3")
			assert.Equal(t, []string{"ERROR a3 (unknown message-id)"}, r.answers(1))
		})
	}
}
