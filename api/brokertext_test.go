package api

import (
	"errors"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stompactor/stompactor/frames"
)

// logUnsafe reports whether s holds what a log line should never carry
// raw: a line break, another C0 control (ESC starts terminal sequences),
// DEL, a C1 control (U+0080-U+009F: CSI and friends to some terminals) or
// a byte that is not UTF-8.
func logUnsafe(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 && c != '\t' || c == 0x7f {
			return true
		}
	}
	for _, r := range s {
		if r >= 0x80 && r <= 0x9f || r == utf8.RuneError {
			return true
		}
	}
	return false
}

// afterConnect serves a broker that writes what reply makes of the
// client's CONNECT, closes the returned channel, and then reads the
// client's frames until it goes, answering a DISCONNECT's receipt.
func afterConnect(t *testing.T, reply func(connect *frames.Frame) string) (*scripted, chan struct{}) {
	sent := make(chan struct{})
	srv := newScripted(t, func(conn net.Conn, d *frames.Decoder) {
		f, err := readFrame(d)
		if err != nil {
			return
		}
		_, _ = conn.Write([]byte(reply(f)))
		close(sent)
		_ = conn.SetReadDeadline(time.Now().Add(wait))
		for {
			f, err := readFrame(d)
			if err != nil {
				return
			}
			if f.Command == frames.CmdDisconnect {
				_, _ = conn.Write([]byte("RECEIPT\nreceipt-id:" + f.Header("receipt") + "\n\n\x00"))
			}
		}
	})
	return srv, sent
}

// logMessages gathers the messages of s's LogEvents, each prefixed with
// prefix; the function it returns gives those so far.
func logMessages(s *STOMP, prefix string) func() []string {
	var mu sync.Mutex
	var logs []string
	s.OnLog(func(e *LogEvent) {
		mu.Lock()
		logs = append(logs, prefix+e.Message)
		mu.Unlock()
	})
	return func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), logs...)
	}
}

// TestServerErrorMessageCannotForgeLogLines: a broker's ERROR whose
// message header holds an escaped line feed (STOMP 1.2 "\n"), a terminal
// escape and a C1 control reaches Error(), ErrorEvent.Description and the
// LogEvent lines escaped (\n, \x1b, \u009b), so a hostile broker cannot
// write lines of its choosing into the application's log or drive a
// terminal; the raw header stays in Error.Headers, where it is data.
func TestServerErrorMessageCannotForgeLogLines(t *testing.T) {
	const forged = `bad\nlevel=INFO msg="user admin logged in"\n` + "\x1b]0;pwned\x07\u009b2J"
	srv, sent := afterConnect(t, func(*frames.Frame) string {
		return "CONNECTED\nversion:1.2\n\n\x00ERROR\nmessage:" + forged + "\n\n\x00"
	})
	s := newClient(t, WithSupportedVersions("1.2"), WithLogLevel(3))
	logs := logMessages(s, "")
	errs := collect(s.OnError)
	_ = s.Connect(srv.host, srv.port)
	recv(t, sent)
	ev := recv(t, errs)
	var ae *Error
	require.True(t, errors.As(ev.Err, &ae), "%v", ev.Err)
	require.Equal(t, CodeServerError, ae.Code)
	s.Close()

	var bad []string
	if logUnsafe(ae.Error()) {
		bad = append(bad, "Error(): "+ae.Error())
	}
	if logUnsafe(ev.Description) {
		bad = append(bad, "ErrorEvent.Description: "+ev.Description)
	}
	for _, l := range logs() {
		if logUnsafe(l) {
			bad = append(bad, "LogEvent: "+l)
		}
	}
	require.Empty(t, bad, "a broker's ERROR message put raw control bytes (line feed, ESC) into:\n%s",
		strings.Join(bad, "\n---\n"))
	assert.Equal(t, `stomp: server error: bad\nlevel=INFO msg="user admin logged in"\n\x1b]0;pwned\a\u009b2J`, ae.Error())
	assert.Equal(t, "bad\nlevel=INFO msg=\"user admin logged in\"\n\x1b]0;pwned\x07\u009b2J", ae.Headers.Value("message"),
		"Error.Headers keeps the broker's header raw")
}

// TestServerErrorMessageIsCapped: an ERROR's message header of 100 KiB
// (MaxHeaderLine allows it) or a body whose first line is as long is
// quoted into Error() cut to MaxQuotedText bytes, marked "..."; the
// header stays whole in the *Error, and the body up to MaxErrorBody
// (Truncated says it was longer).
func TestServerErrorMessageIsCapped(t *testing.T) {
	long := strings.Repeat("x", 100<<10-len("message:"))
	for name, frame := range map[string]string{
		"header": "ERROR\nmessage:" + long + "\n\n\x00",
		"body":   "ERROR\n\n" + long + "\nsecond line\x00",
	} {
		t.Run(name, func(t *testing.T) {
			srv := newScripted(t, func(conn net.Conn, d *frames.Decoder) {
				if _, err := readFrame(d); err != nil {
					return
				}
				_, _ = conn.Write([]byte(frame))
			})
			s := newClient(t, WithSupportedVersions("1.2"))
			err := s.Connect(srv.host, srv.port)
			var ae *Error
			require.True(t, errors.As(err, &ae), "%v", err)
			require.Equal(t, CodeServerError, ae.Code)
			assert.Equal(t, "stomp: server error: "+strings.Repeat("x", MaxQuotedText)+"...", ae.Error())
			if name == "header" {
				assert.Equal(t, long, ae.Headers.Value("message"))
			} else {
				assert.True(t, string(ae.Body) == (long + "\nsecond line")[:MaxErrorBody], "the body's first MaxErrorBody bytes")
				assert.True(t, ae.Truncated)
			}
		})
	}
}

// TestServerErrorCutThroughAPasscodeIsRedacted: a broker that echoes the
// passcode where the cut of its message (MaxQuotedText) goes through it
// leaves no piece of it in the error, the event or the log: the engine
// scrubs the broker's words before it cuts them, so the cut goes through
// "<redacted>" instead. Text the library did not cut is not guessed at:
// the start of a secret before a "..." of the text's own stays.
func TestServerErrorCutThroughAPasscodeIsRedacted(t *testing.T) {
	const secret = "Sup3rSecretPasscode"
	pad := strings.Repeat("y", MaxQuotedText-6)
	srv, sent := afterConnect(t, func(connect *frames.Frame) string {
		msg := pad + connect.Header("passcode")
		return "CONNECTED\nversion:1.2\n\n\x00ERROR\nmessage:" + msg + "\n\n" + msg + "\x00"
	})
	s := newClient(t, WithSupportedVersions("1.2"), WithUser("guest"), WithPassword(secret), WithLogLevel(1))
	logs := logMessages(s, "")
	errs := collect(s.OnError)
	require.NoError(t, s.Connect(srv.host, srv.port))
	recv(t, sent)
	ev := recv(t, errs)
	var ae *Error
	require.True(t, errors.As(ev.Err, &ae), "%v", ev.Err)
	s.Close()
	assert.True(t, strings.HasPrefix(ae.Error(), "stomp: server error: "+pad+"<redac"), ae.Error())
	assert.NotContains(t, ae.Error(), "Sup3r")
	assert.NotContains(t, ev.Description, "Sup3r")
	assert.NotContains(t, ae.Headers.Value("message"), "Sup3r", "the scrubbed headers")
	found := false
	for _, l := range logs() {
		assert.NotContains(t, l, "Sup3r")
		if strings.Contains(l, "server error: "+pad) {
			// The engine scrubbed the text, then cut it.
			assert.Contains(t, l, pad+"<redac...")
			found = true
		}
	}
	assert.True(t, found, "the ERROR was logged: %q", logs)
	assert.Equal(t, "a Sup3r... b <redacted>... c", s.scrub("a Sup3r... b "+secret+"... c"))
}

// TestServerHeaderReachesLogsEscaped: the server header of CONNECTED
// (never escaped on the wire, so it cannot hold a line feed, but it can
// hold ESC, BEL and other controls; a lone CR is refused) reaches the
// LogLevel 1 line "connected with STOMP 1.2 to ...", the ConnectedEvent
// and ConnectionStatusEvent descriptions and String escaped, so a terminal
// that shows them runs none of the broker's escape sequences; ServerInfo,
// a data field, keeps it raw.
func TestServerHeaderReachesLogsEscaped(t *testing.T) {
	const server = "evil\x1b]0;pwned\x07 level=INFO msg=forged"
	srv, _ := afterConnect(t, func(*frames.Frame) string {
		return "CONNECTED\nversion:1.2\nserver:" + server + "\n\n\x00"
	})
	var mu sync.Mutex
	var texts []string
	s := newClient(t, WithSupportedVersions("1.2"))
	logs := logMessages(s, "LogEvent: ")
	s.OnConnectionStatus(func(e *ConnectionStatusEvent) {
		mu.Lock()
		texts = append(texts, "ConnectionStatus: "+e.Description)
		mu.Unlock()
	})
	var connected string
	s.OnConnected(func(e *ConnectedEvent) {
		mu.Lock()
		texts = append(texts, "Connected: "+e.Description)
		connected = e.Description
		mu.Unlock()
	})
	require.NoError(t, s.Connect(srv.host, srv.port))
	assert.Equal(t, server, s.ServerInfo(), "ServerInfo keeps the header raw")
	texts = append(texts, "String: "+s.String())
	require.NoError(t, s.Disconnect())
	s.Close()
	mu.Lock()
	defer mu.Unlock()
	var bad []string
	for _, x := range append(texts, logs()...) {
		if logUnsafe(x) {
			bad = append(bad, x)
		}
	}
	require.Empty(t, bad, "the broker's server header reached these raw (ESC, CR):\n%q", bad)
	assert.Equal(t, `connected to evil\x1b]0;pwned\a level=INFO msg=forged with STOMP 1.2`, connected)
}

// TestUnknownReceiptIDIsQuotedCapped: a RECEIPT for a receipt id nobody
// awaits (here 64 KiB, with a line feed and ESC in it) is reported in the
// ErrorEvent and the log line with the id quoted, escaped and cut to
// MaxQuotedText bytes; ReceiptInEvent, a data field, keeps it whole.
func TestUnknownReceiptIDIsQuotedCapped(t *testing.T) {
	id := "r\\n\x1b[2K" + strings.Repeat("z", 64<<10)
	srv, sent := afterConnect(t, func(*frames.Frame) string {
		return "CONNECTED\nversion:1.2\n\n\x00RECEIPT\nreceipt-id:" + id + "\n\n\x00"
	})
	s := newClient(t, WithSupportedVersions("1.2"), WithLogLevel(1))
	logs := logMessages(s, "")
	receipts := collect(s.OnReceiptIn)
	errs := collect(s.OnError)
	require.NoError(t, s.Connect(srv.host, srv.port))
	recv(t, sent)
	ev := recv(t, errs)
	assert.Equal(t, "\n\x1b[2K"+strings.Repeat("z", 64<<10), strings.TrimPrefix(recv(t, receipts).ReceiptID, "r"))
	s.Close()
	want := `"r\n\x1b[2K` + strings.Repeat("z", MaxQuotedText-6) + `"...`
	assert.Equal(t, "stomp: protocol violation by the server: RECEIPT for unknown receipt-id "+want, ev.Description)
	found := false
	for _, l := range logs() {
		assert.False(t, logUnsafe(l), "%q", l)
		assert.Less(t, len(l), 2*MaxQuotedText, "%q", l)
		found = found || strings.Contains(l, want)
	}
	assert.True(t, found, "the id is in a log line: %q", logs)
}
