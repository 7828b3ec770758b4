package sim

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// A DropConn triggered by time (After) cuts the stream wherever it has got
// to; its event says where (FaultEvent.Offset), not byte 0.
func TestTimedDropConnRecordsTheOffsetItCutAt(t *testing.T) {
	b := newBroker(t, WithPlan(Plan{{Name: "cut", Kind: DropConn, After: 200 * time.Millisecond}}))
	c := tcpClient(t, b.Addr())
	f := c.connect("1.2")
	c.expectClosed()
	ev := b.FaultEvents()
	if assert.Len(t, ev, 1) {
		assert.GreaterOrEqual(t, ev[0].Offset, int64(len(f.raw)),
			"event %q: the client had received %d bytes before the cut", ev[0].String(), len(f.raw))
	}
}
