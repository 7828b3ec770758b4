package frames

import (
	"bytes"
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCommandTable(t *testing.T) {
	names := map[Command]string{
		CmdConnect: "CONNECT", CmdStomp: "STOMP", CmdConnected: "CONNECTED",
		CmdSend: "SEND", CmdSubscribe: "SUBSCRIBE", CmdUnsubscribe: "UNSUBSCRIBE",
		CmdAck: "ACK", CmdNack: "NACK", CmdBegin: "BEGIN", CmdCommit: "COMMIT",
		CmdAbort: "ABORT", CmdDisconnect: "DISCONNECT", CmdMessage: "MESSAGE",
		CmdReceipt: "RECEIPT", CmdError: "ERROR",
	}
	for c := CmdInvalid; c <= numCommands; c++ {
		name, wire := names[c]
		assert.Equal(t, wire, c.Valid(), "%v", c)
		got, ok := ParseCommand(c.String())
		if wire {
			assert.Equal(t, name, c.String())
			assert.True(t, ok)
			assert.Equal(t, c, got)
			_, ok = ParseCommand(strings.ToLower(name))
			assert.False(t, ok, "%s in lower case", name)
		} else {
			assert.False(t, ok, "%v", c)
			assert.Equal(t, CmdInvalid, got)
		}
	}
	assert.Equal(t, "Command(200)", Command(200).String())
	assert.Equal(t, "heart-beat", Heartbeat.String())

	for c := CmdInvalid; c <= numCommands; c++ {
		want := c == CmdSend || c == CmdMessage || c == CmdError
		assert.Equal(t, want, c.HasBody(), "%v", c)
	}
	assert.False(t, Command(200).HasBody())

	assert.Equal(t, FromClient, CmdSend.SentBy())
	assert.Equal(t, FromServer, CmdMessage.SentBy())
	assert.Equal(t, FromClient|FromServer, Heartbeat.SentBy())
	assert.Equal(t, Sender(0), Command(200).SentBy())
	assert.Equal(t, V11, CmdNack.Since())
	assert.Equal(t, V11, CmdStomp.Since())
	assert.Equal(t, V10, CmdAck.Since())
	assert.Equal(t, Version(0), Command(200).Since())

	for _, v := range Versions {
		for c := CmdConnect; c < Heartbeat; c++ {
			never := c == CmdConnect || c == CmdStomp || c == CmdConnected
			assert.Equal(t, v >= V11 && !never, c.escapes(v), "%v %v", c, v)
		}
	}
}

func TestVersion(t *testing.T) {
	for _, v := range Versions {
		assert.True(t, v.Valid())
		got, err := ParseVersion(v.String())
		require.NoError(t, err)
		assert.Equal(t, v, got)
	}
	assert.Equal(t, []string{"1.0", "1.1", "1.2"}, []string{V10.String(), V11.String(), V12.String()})
	assert.False(t, Version(0).Valid())
	assert.False(t, Version(13).Valid())
	assert.Equal(t, "Version(13)", Version(13).String())
	for _, s := range []string{"", "1", "1.3", "2.0", " 1.2", "1.2 "} {
		_, err := ParseVersion(s)
		assert.Error(t, err, "%q", s)
	}
}

func TestHeaders(t *testing.T) {
	h := Headers{{"a", "1"}, {"b", "2"}, {"a", "3"}}
	v, ok := h.Get("a")
	assert.True(t, ok)
	assert.Equal(t, "1", v, "the first entry wins")
	_, ok = h.Get("A")
	assert.False(t, ok, "keys are case-sensitive")
	assert.Equal(t, "", h.Value("missing"))
	assert.True(t, h.Has("b"))
	assert.False(t, h.Has("c"))
	assert.Equal(t, []string{"1", "3"}, h.Values("a"))
	assert.Nil(t, h.Values("c"))

	c := h.Clone()
	c[0].Value = "changed"
	assert.Equal(t, "1", h[0].Value)
	assert.Nil(t, Headers(nil).Clone())

	h.Add("c", "4")
	assert.Equal(t, Headers{{"a", "1"}, {"b", "2"}, {"a", "3"}, {"c", "4"}}, h)

	h.Set("a", "5")
	assert.Equal(t, Headers{{"a", "5"}, {"b", "2"}, {"c", "4"}}, h)
	h.Set("d", "6")
	assert.Equal(t, Headers{{"a", "5"}, {"b", "2"}, {"c", "4"}, {"d", "6"}}, h)

	h = Headers{{"x", "1"}, {"a", "1"}, {"x", "2"}, {"b", "2"}, {"x", "3"}}
	h.Del("x")
	assert.Equal(t, Headers{{"a", "1"}, {"b", "2"}}, h)
	h.Del("missing")
	assert.Equal(t, Headers{{"a", "1"}, {"b", "2"}}, h)

	var empty Headers
	empty.Set("k", "v")
	assert.Equal(t, Headers{{"k", "v"}}, empty)
}

func TestNewFrame(t *testing.T) {
	f := New(CmdSend, "destination", "/q", "k", "v", "odd")
	assert.Equal(t, &Frame{Command: CmdSend, Headers: Headers{{"destination", "/q"}, {"k", "v"}}}, f)
	assert.Equal(t, "/q", f.Header("destination"))
	assert.Equal(t, "", f.Header("missing"))
	assert.False(t, f.IsHeartbeat())
	assert.True(t, (&Frame{Command: Heartbeat}).IsHeartbeat())
	assert.Nil(t, New(CmdAck).Headers)
}

func TestFrameClone(t *testing.T) {
	f := fr(CmdSend, "body", "a", "1", "bb", "22", "a", "3")
	c := f.Clone()
	require.Equal(t, f, c)
	f.Headers[0].Value = "x"
	f.Body[0] = 'X'
	assert.Equal(t, "1", c.Headers[0].Value)
	assert.Equal(t, "body", string(c.Body))

	assert.Equal(t, &Frame{Command: CmdAck}, (&Frame{Command: CmdAck}).Clone())
	empty := (&Frame{Command: CmdSend, Body: []byte{}}).Clone()
	assert.NotNil(t, empty.Body, "an empty body stays non-nil")

	many := New(CmdMessage)
	for i := range 50 {
		many.Headers.Add(strings.Repeat("k", i+1), strings.Repeat("v", i))
	}
	many.Body = []byte("b")
	allocs := testing.AllocsPerRun(100, func() { _ = many.Clone() })
	assert.LessOrEqual(t, allocs, 4.0, "whatever the number of headers")
}

func TestFrameString(t *testing.T) {
	f := fr(CmdConnect, "", "login", "me", "passcode", "s3cret", "Authorization", "Bearer x", "k", "a\nb")
	s := f.String()
	assert.Equal(t, `CONNECT login:me passcode:<redacted> Authorization:<redacted> k:a\nb`, s)
	assert.NotContains(t, s, "s3cret")

	f = fr(CmdMessage, "secret body", "destination", "/q")
	assert.Equal(t, "MESSAGE destination:/q body=11B", f.String())
	assert.Equal(t, "heart-beat", (&Frame{Command: Heartbeat}).String())

	for _, k := range []string{"passcode", "Passcode", "password", "authorization", "proxy-authorization", "token",
		"X-Authorization", "access-token", "access_token", "x-auth-token", "X-Auth", "client-secret", "X-API-Key",
		"apikey", "api_key", "Cookie", "Set-Cookie", "x-credentials", "db-passwd", "key-passphrase", "x-jwt"} {
		assert.True(t, IsSecretHeader(k), k)
	}
	for _, k := range []string{"login", "client-id", "host", "receipt", "destination", "content-type", "routing-key", "bypass-cache", "message-id"} {
		assert.False(t, IsSecretHeader(k), k)
	}
}

// TestFrameStringQuotesHeaderNames: Frame.String, the text of every frame
// log line (LogLevel 3, `stomp --debug`), escapes header names as it
// escapes values. In STOMP 1.1/1.2 a broker escapes a line feed in a name
// (\n), so a raw name would break the log line in two and write the
// second line itself (log injection); a name with ESC or a C1 control
// would reach a terminal.
func TestFrameStringQuotesHeaderNames(t *testing.T) {
	wire := "MESSAGE\nsubscription:1\nmessage-id:7\ndestination:/queue/a\n" +
		"x\\ntime=2026-12-07 level=ERROR msg=forged:1\n\nhi\x00"
	d := NewDecoder(bytes.NewReader([]byte(wire)), V12, Limits{})
	f, err := d.Decode()
	require.NoError(t, err)
	s := f.String()
	assert.NotContains(t, s, "\n", "Frame.String holds a raw line feed from a header name")
	assert.Equal(t, `MESSAGE subscription:1 message-id:7 destination:/queue/a x\ntime=2026-12-07 level=ERROR msg=forged:1 body=2B`, s)

	f = fr(CmdMessage, "", "a\x1bb\u0085\xff", "v\x1b")
	assert.Equal(t, `MESSAGE a\x1bb\u0085\xff:v\x1b`, f.String())
}

func TestErrors(t *testing.T) {
	le := &LimitError{Limit: LimitBody, Max: 4096}
	assert.Equal(t, "stomp: frame exceeds the body size limit of 4096 bytes", le.Error())
	assert.ErrorIs(t, le, ErrLimit)
	assert.NotErrorIs(t, le, ErrSyntax)
	assert.Equal(t, "stomp: frame exceeds the header count limit of 100 headers",
		(&LimitError{Limit: LimitHeaders, Max: 100}).Error())

	se := &SyntaxError{Command: CmdSend, Reason: "bad"}
	assert.Equal(t, "stomp: malformed SEND frame: bad", se.Error())
	assert.Equal(t, "stomp: malformed frame: bad", (&SyntaxError{Reason: "bad"}).Error())
	assert.ErrorIs(t, se, ErrSyntax)
	assert.NotErrorIs(t, se, ErrLimit)
}

func TestLimitsDefaults(t *testing.T) {
	def := DefaultLimits()
	assert.Equal(t, Limits{
		MaxCommand:    DefaultMaxCommand,
		MaxHeaderLine: DefaultMaxHeaderLine,
		MaxHeaders:    DefaultMaxHeaders,
		MaxBody:       DefaultMaxBody,
		MaxFrame:      DefaultMaxBody + 256<<10,
	}, def)
	assert.Equal(t, def, Limits{MaxCommand: -1, MaxHeaderLine: -1, MaxHeaders: -1, MaxBody: -1, MaxFrame: -1}.withDefaults())
	assert.Equal(t, 1000+256<<10, Limits{MaxBody: 1000}.withDefaults().MaxFrame, "MaxFrame follows MaxBody")

	huge := Limits{MaxCommand: math.MaxInt, MaxHeaderLine: math.MaxInt, MaxHeaders: math.MaxInt, MaxBody: math.MaxInt}.withDefaults()
	assert.Equal(t, Limits{MaxCommand: maxLimit, MaxHeaderLine: maxLimit, MaxHeaders: maxLimit, MaxBody: maxLimit, MaxFrame: maxLimit}, huge)
	assert.NotPanics(t, func() { NewDecoder(strings.NewReader(""), V12, huge) })
}
