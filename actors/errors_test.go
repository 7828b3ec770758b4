package actors

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/stompactor/stompactor/frames"
)

// ErrQueueFull is what a FullError subscription's overflow ends the
// connection with: its text must name the subscription's queue, not the
// outgoing one (which never fails this way: a full outgoing queue makes
// the caller wait).
func TestQueueFullNamesTheSubscriptionQueue(t *testing.T) {
	require.NotContains(t, ErrQueueFull.Error(), "outgoing")
	require.Contains(t, ErrQueueFull.Error(), "subscription")
}

// A server ERROR is an *Error of CodeServerError that keeps the frame;
// without a message header its body's first line says what happened.
func TestServerErrorKeepsTheFrame(t *testing.T) {
	f := frames.New(frames.CmdError, "message", "denied", "x", "1")
	f.Body = []byte("details")
	e := serverError(f, nil)
	require.Equal(t, CodeServerError, e.Code)
	require.Equal(t, "stomp: server error: denied", e.Error())
	require.Equal(t, frames.Headers{{Key: "message", Value: "denied"}, {Key: "x", Value: "1"}}, e.Headers)
	require.Equal(t, []byte("details"), e.Body)
	require.ErrorIs(t, e, ErrServer)
	require.True(t, IsServerError(connectionLost(e)))

	f = frames.New(frames.CmdError)
	f.Body = []byte("first line\nsecond")
	require.Equal(t, "stomp: server error: first line", serverError(f, nil).Error())
}

// TestServerErrorScrubsBeforeTheCut: with a scrub (ConnectConfig.Scrub),
// an ERROR's message header, or its body's first line, is scrubbed before
// it is cut to MaxQuotedText, so a secret the cut goes through leaves no
// piece in Message; Headers and Body keep the broker's words.
func TestServerErrorScrubsBeforeTheCut(t *testing.T) {
	const secret = "Sup3rSecretPasscode"
	scrub := func(s string) string { return strings.ReplaceAll(s, secret, "<redacted>") }
	text := strings.Repeat("y", MaxQuotedText-6) + secret + " tail"
	f := frames.New(frames.CmdError, "message", text)
	f.Body = []byte(text)
	e := serverError(f, scrub)
	require.Equal(t, "stomp: server error: "+strings.Repeat("y", MaxQuotedText-6)+"<redac...", e.Message)
	require.Equal(t, text, e.Headers.Value("message"))
	require.Equal(t, text, string(e.Body))

	f = frames.New(frames.CmdError)
	f.Body = []byte(text + "\nsecond")
	require.Equal(t, "stomp: server error: "+strings.Repeat("y", MaxQuotedText-6)+"<redac...", serverError(f, scrub).Message)
	require.Contains(t, serverError(f, nil).Message, "Sup3r", "without a scrub the words are only cut")
}

// The engine's errors are known by their most specific code.
func TestEngineErrorCodes(t *testing.T) {
	code := func(err error) int {
		var e *Error
		require.ErrorAs(t, err, &e)
		return e.Code
	}
	require.Equal(t, CodeHeartbeatMissed, code(connectionLost(&heartbeatError{})))
	require.Equal(t, CodeFrameLimit, code(connectionLost(readError(&frames.LimitError{Limit: frames.LimitBody, Max: 1}))))
	require.Equal(t, CodeProtocol, code(connectionLost(readError(&frames.SyntaxError{Reason: "bad"}))))
	require.Equal(t, CodeOutcomeUnknown, code(outcomeUnknown(connectionLost(&heartbeatError{}))))
	require.Equal(t, CodeTimeout, code(connectionLost(&timeoutError{what: "connecting"})))
	require.Equal(t, CodeConnectionLost, code(connectionLost(errSomething)))
	require.ErrorIs(t, outcomeUnknown(connectionLost(&heartbeatError{})), ErrConnectionLost)
}

var errSomething = errors.New("read: connection reset by peer")
