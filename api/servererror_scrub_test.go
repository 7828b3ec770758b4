package api

import (
	"errors"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stompactor/stompactor/frames"
)

// TestOverBudgetErrorWithEchoedSecretKeepsItsScrubbedMessage: a broker
// echoes the passcode in an ERROR's message (the case the scrub exists
// for) while OnError is busy and the queue's byte budget is in use. The
// ERRORs past the budget come with their message only (errorOnly), and
// that message is the scrubbed reason, not a bare "stomp: server error".
func TestOverBudgetErrorWithEchoedSecretKeepsItsScrubbedMessage(t *testing.T) {
	const secret = "Sup3rSecretPasscode"
	const n, lines, line = 16, 16, 64 << 10
	wrote := make(chan struct{})
	srv := newScripted(t, func(conn net.Conn, d *frames.Decoder) {
		f, err := readFrame(d)
		if err != nil {
			return
		}
		var b strings.Builder
		b.WriteString("ERROR\nmessage:bad passcode " + f.Header("passcode") + "\n")
		for i := range lines {
			b.WriteString("x-" + strconv.Itoa(i) + ":" + strings.Repeat("h", line) + "\n")
		}
		b.WriteString("\nbody\x00")
		_, _ = conn.Write([]byte("CONNECTED\nversion:1.2\n\n\x00"))
		for range n {
			if _, err := conn.Write([]byte(b.String())); err != nil {
				return
			}
		}
		close(wrote)
		_ = conn.SetReadDeadline(time.Now().Add(wait))
		for {
			if _, err := readFrame(d); err != nil {
				return
			}
		}
	})
	release := make(chan struct{})
	var once sync.Once
	defer once.Do(func() { close(release) })
	var mu sync.Mutex
	var events []*ErrorEvent
	all := make(chan struct{})
	first := make(chan struct{}, 1)
	s := newClient(t, WithSupportedVersions("1.2"), WithUser("guest"), WithPassword(secret))
	s.OnError(func(e *ErrorEvent) {
		select {
		case first <- struct{}{}:
		default:
		}
		<-release
		mu.Lock()
		events = append(events, e)
		if len(events) == n {
			close(all)
		}
		mu.Unlock()
	})
	require.NoError(t, s.Connect(srv.host, srv.port))
	recv(t, first)
	recv(t, wrote)
	waitFor(t, "every ERROR read", func() bool { return s.Stats().FramesIn >= int64(n)+1 })
	once.Do(func() { close(release) })
	recv(t, all)
	mu.Lock()
	defer mu.Unlock()
	slim := 0
	for i, e := range events {
		var ae *Error
		require.True(t, errors.As(e.Err, &ae))
		assert.NotContains(t, ae.Message, "Sup3r")
		if ae.Headers == nil {
			slim++
		}
		assert.Equal(t, "stomp: server error: bad passcode <redacted>", ae.Message, "event %d (headers kept: %v)", i, ae.Headers != nil)
	}
	require.Positive(t, slim, "the budget was reached")
}
