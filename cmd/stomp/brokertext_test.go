package main

import (
	"net"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stompactor/stompactor/api"
	"github.com/stompactor/stompactor/frames"
)

// hostileBroker is a one-connection loopback STOMP 1.2 server: it answers
// CONNECT, writes after, answers each SUBSCRIBE with onSubscribe(its id)
// (when given), then reads until the client leaves.
func hostileBroker(t *testing.T, after string, onSubscribe func(id string) string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	done := make(chan struct{})
	go func() {
		defer close(done)
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(30 * time.Second))
		d := frames.NewDecoder(c, frames.V12, frames.Limits{})
		if _, err := d.Decode(); err != nil {
			return
		}
		_, _ = c.Write([]byte("CONNECTED\nversion:1.2\n\n\x00" + after))
		for {
			f, err := d.Decode()
			if err != nil {
				return
			}
			switch {
			case f.Command == frames.CmdSubscribe && onSubscribe != nil:
				_, _ = c.Write([]byte(onSubscribe(f.Header("id"))))
			case f.Command == frames.CmdDisconnect:
				if id := f.Header("receipt"); id != "" {
					_, _ = c.Write([]byte("RECEIPT\nreceipt-id:" + id + "\n\n\x00"))
				}
			}
		}
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		select {
		case <-done:
		case <-time.After(40 * time.Second):
			t.Error("hostile server did not finish")
		}
	})
	return "stomp://" + ln.Addr().String()
}

// TestCLIServerErrorCannotForgeStderrLines: `stomp subscribe` prints a
// broker's ERROR message header escaped: a STOMP 1.2 broker escapes a line
// feed in it (\n), so the header decodes to several lines, yet stderr
// shows it on the CLI's one line ("stomp: server ERROR: ..."), with the
// line feed and the ESC sequence written as \n and \x1b; no line of stderr
// is the broker's, and no escape reaches the terminal.
func TestCLIServerErrorCannotForgeStderrLines(t *testing.T) {
	srv := hostileBroker(t, "ERROR\nmessage:quota\\nstomp: connected to backup broker, all messages confirmed\x1b[2K\n\n"+
		"first\r\nsecond\roverwritten\x1b]0;t\x07\n\tat Frame.java:1\x00", nil)
	r := stomp(t, "", "subscribe", "--server", srv, "/queue/q")
	assert.Equal(t, exitFailure, r.code, r.stderr)
	require.Contains(t, r.stderr, "stomp: server ERROR: quota")
	for _, line := range strings.Split(strings.TrimRight(r.stderr, "\n"), "\n") {
		assert.False(t, strings.HasPrefix(line, "stomp: connected to backup broker"),
			"a line of stderr is the broker's words, not the CLI's; stderr:\n%q", r.stderr)
	}
	assert.NotContains(t, r.stderr, "\x1b", "a terminal escape from the broker reached stderr raw")
	assert.NotContains(t, r.stderr, "\r", "a carriage return from the broker reached stderr raw")
	assert.Contains(t, r.stderr, `stomp: server ERROR: quota\nstomp: connected to backup broker, all messages confirmed\x1b[2K`+"\n")
	assert.Contains(t, r.stderr, "    first\n    second\\roverwritten\\x1b]0;t\\a\n        at Frame.java:1\n",
		"body lines keep their indent (a tab as four spaces), a CRLF ends a line, other controls are escaped")
}

// TestCLIMessageIDIsPrintedEscaped: a message-id of the broker's that
// `stomp subscribe` names on stderr (here: a body -0 cannot print) comes
// escaped, so it cannot forge a line either.
func TestCLIMessageIDIsPrintedEscaped(t *testing.T) {
	srv := hostileBroker(t, "", func(id string) string {
		return "MESSAGE\nsubscription:" + id + "\nmessage-id:m1\\nstomp: forged\x1b[2K\ndestination:/queue/q\ncontent-length:3\n\na\x00b\x00"
	})
	r := stomp(t, "", "subscribe", "--server", srv, "-0", "/queue/q")
	assert.Equal(t, exitFailure, r.code, r.stderr)
	assert.Contains(t, r.stderr, `message m1\nstomp: forged\x1b[2K not printed nor acknowledged`)
	assert.NotContains(t, r.stderr, "\x1b")
	for _, line := range strings.Split(r.stderr, "\n") {
		assert.False(t, strings.HasPrefix(line, "stomp: forged"), "stderr:\n%q", r.stderr)
	}
}

// TestServerErrorTextBoundsItsBody: a long body is cut at maxErrorBody
// bytes on a character boundary and says so; the message header too.
func TestServerErrorTextBoundsItsBody(t *testing.T) {
	e := &api.Error{Code: api.CodeServerError,
		Headers: frames.Headers{{Key: "message", Value: strings.Repeat("m", 2*maxErrorBody)}},
		Body:    []byte(strings.Repeat("\u00e9", maxErrorBody))}
	text := serverErrorText(e)
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	require.Len(t, lines, 3, text)
	assert.Equal(t, "stomp: server ERROR: "+strings.Repeat("m", maxErrorBody)+"...", lines[0])
	assert.Equal(t, "    "+strings.Repeat("\u00e9", maxErrorBody/2), lines[1])
	assert.Equal(t, "    ...", lines[2])
}
