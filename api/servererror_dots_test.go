package api

import (
	"errors"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stompactor/stompactor/frames"
)

// TestScrubLeavesErrorTextTheLibraryDidNotCut: a passcode that starts
// with "later" does not eat the last word of a broker's "try again
// later...": the library cut none of it (the message is under
// MaxQuotedText, and Error.Headers and Body are never cut), and the scrub
// hides whole secrets only, the engine having scrubbed a broker's words
// before it cut them. Body and Headers stay as the broker sent them.
func TestScrubLeavesErrorTextTheLibraryDidNotCut(t *testing.T) {
	const secret = "later2024!"
	const text = "Server busy, try again later..."
	sent := make(chan struct{})
	srv := newScripted(t, func(conn net.Conn, d *frames.Decoder) {
		if _, err := readFrame(d); err != nil {
			return
		}
		_, _ = conn.Write([]byte("CONNECTED\nversion:1.2\n\n\x00"))
		_, _ = conn.Write([]byte("ERROR\nmessage:" + text + "\n\n" + text + "\x00"))
		close(sent)
		_ = conn.SetReadDeadline(time.Now().Add(wait))
		for {
			if _, err := readFrame(d); err != nil {
				return
			}
		}
	})
	s := newClient(t, WithSupportedVersions("1.2"), WithUser("guest"), WithPassword(secret))
	errs := collect(s.OnError)
	require.NoError(t, s.Connect(srv.host, srv.port))
	recv(t, sent)
	ev := recv(t, errs)
	var ae *Error
	require.True(t, errors.As(ev.Err, &ae), "%v", ev.Err)
	assert.Equal(t, text, string(ae.Body), "Body")
	assert.Equal(t, text, ae.Headers.Value("message"), "Headers")
	assert.Equal(t, "stomp: server error: "+text, ae.Message, "Message (not cut)")
}
