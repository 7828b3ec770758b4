package api

import (
	"encoding/hex"
	"testing"

	"github.com/stretchr/testify/require"
)

// Every receipt header that goes out is announced: DISCONNECT's, whose
// RECEIPT OnReceiptIn reports, included.
func TestReceiptOutAnnouncesDisconnectsReceipt(t *testing.T) {
	b := newBroker(t)
	s := connectTo(t, b, "1.2")
	outs := collect(s.OnReceiptOut)
	ins := collect(s.OnReceiptIn)
	disc := collect(s.OnDisconnected)
	require.NoError(t, s.Disconnect())
	recv(t, disc)
	in := recv(t, ins)
	require.NotEmpty(t, outs, "no OnReceiptOut for DISCONNECT's receipt %s", in.ReceiptID)
	out := <-outs
	require.Equal(t, in.ReceiptID, out.ReceiptID)
	require.Equal(t, "DISCONNECT", out.Command)
}

// A receipt header in a frame written with SendCustomFrame is announced,
// and its RECEIPT is the program's: no protocol violation.
func TestCustomFramesReceiptIsAnnouncedAndExpected(t *testing.T) {
	b := newBroker(t)
	s := connectTo(t, b, "1.2")
	errs := collect(s.OnError)
	ins := collect(s.OnReceiptIn)
	outs := collect(s.OnReceiptOut)
	raw := "SEND\ndestination:/queue/custom\nreceipt:mine-1\n\nhi\x00"
	_, err := s.Config("SendCustomFrame=" + hex.EncodeToString([]byte(raw)))
	require.NoError(t, err)
	require.Equal(t, "mine-1", recv(t, ins).ReceiptID)
	// A receipted send after it: its RECEIPT comes after any error the
	// custom frame's RECEIPT raised.
	require.NoError(t, s.SetRequestReceipts(true))
	require.NoError(t, s.SendMessage("/queue/custom", "marker"))
	recv(t, ins)
	require.Empty(t, errs, "an OnError for the custom frame's RECEIPT")
	out := recv(t, outs)
	require.Equal(t, "mine-1", out.ReceiptID)
	require.Equal(t, "SEND", out.Command)
}
