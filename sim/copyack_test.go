package sim

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// In STOMP 1.1 a NACK of the original of a DuplicateMessage or
// RedeliverMessage copy puts the message back, and the broker redelivers
// it to the same subscription under the same message-id. The ACK of the
// copy that follows is spent as the copy's and leaves the redelivery
// unsettled; the consumer's own ACK of the redelivery then settles it,
// and a further ACK of the message-id is unknown. (Review 9, finding 3:
// the copy's ACK settled the redelivery, and the consumer's ACK of it got
// a fatal "unknown message-id" ERROR.)
func TestAckOfACopyByMessageIDLeavesTheRedeliveryAfterANackUnsettled(t *testing.T) {
	for _, kind := range []FaultKind{DuplicateMessage, RedeliverMessage} {
		for _, mode := range []string{"client-individual", "client"} {
			t.Run(kind.String()+"/"+mode, func(t *testing.T) {
				r := newCopyRig(t, kind, "1.1", mode)
				r.ack("NACK", "1.1", r.first, "r1")
				redelivery := r.c.expect("MESSAGE")
				require.Equal(t, r.first.get("message-id"), redelivery.get("message-id"))
				assert.Equal(t, "true", redelivery.get("redelivered"))
				assert.Equal(t, []string{"RECEIPT r1"}, r.answers(1))

				r.ack("ACK", "1.1", r.dup, "r2")
				assert.Equal(t, []string{"RECEIPT r2"}, r.answers(1))
				d, _ := r.b.Destination("/queue/r")
				assert.Equal(t, 1, d.Unacked, "the ACK of the copy settled the redelivery: %+v", d)
				assert.Zero(t, r.b.Stats().Acked)

				r.ack("ACK", "1.1", redelivery, "r3")
				assert.Equal(t, []string{"RECEIPT r3"}, r.answers(1), "the consumer's ACK of the redelivery")
				st := r.b.Stats()
				assert.Zero(t, st.Errors)
				assert.EqualValues(t, 1, st.Nacked, "%+v", st.Counters)
				assert.EqualValues(t, 1, st.Acked, "%+v", st.Counters)
				d, _ = r.b.Destination("/queue/r")
				assert.Zero(t, d.Unacked, "%+v", d)
				assert.Zero(t, d.Ready, "%+v", d)

				// One ACK per MESSAGE sent, and no more.
				r.ack("ACK", "1.1", redelivery, "r4")
				assert.Equal(t, []string{"ERROR r4 (unknown message-id)"}, r.answers(1))
			})
		}
	}
}
