package api

import (
	"testing"

	"github.com/stompactor/stompactor/sim"
	"github.com/stretchr/testify/require"
)

// A message whose destination its version cannot carry is refused as
// such (ErrInvalidArgument, code 100, naming the header) whatever else is
// wrong with it, on every route: also when it names a transaction not
// open (TransactionID), which the common route (checked as TrySend
// encodes it) once refused for the transaction (ErrUnknownTransaction,
// 401) while the others (a receipt asked for) named the header.
func TestSendRefusesAnUnencodableHeaderBeforeAnUnknownTransaction(t *testing.T) {
	for _, tt := range []struct {
		name string
		opts []Option
	}{
		{name: "common send"},
		{name: "receipts", opts: []Option{WithRequestReceipts(true)}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			b := newBroker(t, sim.WithFrameLog(64))
			s := connectTo(t, b, "1.0", tt.opts...)
			require.NoError(t, s.SetTransactionID("never-begun"))
			requireRefused(t, s.SendData("/queue/a\nb", []byte("x")), "destination")
		})
	}
}
