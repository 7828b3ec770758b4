package api

import (
	"net"
	"testing"

	"github.com/stompactor/stompactor/actors"
	"github.com/stompactor/stompactor/frames"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// AtLeastOnce.DedupHeader may not name a header the client writes itself
// (actors.OwnHeader: destination, receipt, transaction, content-length
// and the rest), as AddHeader, WithHeader and SendOptions.Headers may not
// ("an extra header cannot replace it"). Named "destination", it would
// replace every at-least-once message's destination with its
// de-duplication id: a broker that creates the destinations it is sent to
// (ActiveMQ) confirms the message, and it sits in a queue nobody reads.
// Named "receipt", the writer's receipt id would replace the
// de-duplication id at every transmission, so a resent copy would carry
// another id. Each is refused with ErrInvalidArgument, by the option, by
// the DedupHeader setting and by the engine itself.
func TestDedupHeaderCannotNameTheClientsOwnHeaders(t *testing.T) {
	for _, name := range []string{"destination", "receipt", "transaction", "content-length", "subscription", "id", "ack", "message-id"} {
		require.True(t, actors.OwnHeader(name), name)
		err := newClient(t, WithAtLeastOnce(AtLeastOnce{Enabled: true, DedupHeader: name})).Connect("127.0.0.1", 1)
		assert.ErrorIs(t, err, ErrInvalidArgument, "DedupHeader %q was accepted", name)
		_, err = newClient(t).Config("DedupHeader=" + name)
		assert.ErrorIs(t, err, ErrInvalidArgument, "the DedupHeader setting %q was accepted", name)
		// AddHeader refuses the same name.
		assert.ErrorIs(t, newClient(t).AddHeader(name, "x"), ErrInvalidArgument, name)
	}
	// content-type is the caller's to add, but the client fills it from
	// ContentType: a de-duplication id there would be every message's
	// content type.
	err := newClient(t, WithAtLeastOnce(AtLeastOnce{Enabled: true, DedupHeader: "content-type"})).Connect("127.0.0.1", 1)
	assert.ErrorIs(t, err, ErrInvalidArgument, "DedupHeader content-type was accepted")
	_, err = newClient(t).Config("DedupHeader=content-type")
	assert.ErrorIs(t, err, ErrInvalidArgument, "the DedupHeader setting content-type was accepted")

	// A name of the caller's own keeps the message where it was sent,
	// with its id beside the client's headers, confirmed by its RECEIPT.
	got := make(chan *frames.Frame, 1)
	srv := newScripted(t, func(conn net.Conn, d *frames.Decoder) {
		if _, err := readFrame(d); err != nil { // CONNECT
			return
		}
		_, _ = conn.Write([]byte("CONNECTED\nversion:1.2\n\n\x00"))
		f, err := readFrame(d)
		if err != nil || f.Command != frames.CmdSend {
			return
		}
		got <- f
		_, _ = conn.Write([]byte("RECEIPT\nreceipt-id:" + f.Header(frames.HdrReceipt) + "\n\n\x00"))
		_, _ = readFrame(d) // until the client goes
	})
	s := newClient(t, WithSupportedVersions("1.2"), WithAtLeastOnce(AtLeastOnce{Enabled: true, DedupHeader: "x-dedup"}))
	require.NoError(t, s.Connect(srv.host, srv.port))
	require.NoError(t, s.SendMessage("/queue/orders", "order 1"), "the broker confirmed it")
	f := recv(t, got)
	assert.Equal(t, "/queue/orders", f.Header(frames.HdrDestination), "a confirmed message went to another destination")
	assert.NotEmpty(t, f.Header("x-dedup"))
	assert.NotEqual(t, f.Header("x-dedup"), f.Header(frames.HdrReceipt))
	s.Close()
}
