package api

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"regexp"
	"slices"
	"strconv"
	"testing"

	"github.com/stompactor/stompactor/actors"
	"github.com/stompactor/stompactor/frames"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestEngineErrorsMapToCodes(t *testing.T) {
	cases := []struct {
		name string
		err  error
		def  int
		want *Error
	}{
		{"closed", actors.ErrClosed, CodeOther, ErrClosed},
		{"not connected", actors.ErrNotConnected, CodeOther, ErrNotConnected},
		{"already connected", actors.ErrAlreadyConnected, CodeOther, ErrAlreadyConnected},
		{"lost", actors.ErrConnectionLost, CodeOther, ErrConnectionLost},
		{"lost wrapping EOF", fmt.Errorf("%w: %w", actors.ErrConnectionLost, io.EOF), CodeOther, ErrConnectionLost},
		{"heart-beat", fmt.Errorf("%w: %w", actors.ErrConnectionLost, actors.ErrHeartbeatMissed), CodeOther, ErrHeartbeatMissed},
		{"interrupted", actors.ErrInterrupted, CodeOther, ErrInterrupted},
		{"queue full", fmt.Errorf("%w: %w", actors.ErrConnectionLost, actors.ErrQueueFull), CodeOther, ErrQueueFull},
		{"timeout", actors.ErrTimeout, CodeOther, ErrTimeout},
		{"deadline", context.DeadlineExceeded, CodeOther, ErrTimeout},
		{"canceled", context.Canceled, CodeOther, ErrCanceled},
		{"receipt timeout", actors.ErrReceiptTimeout, CodeOther, ErrReceiptTimeout},
		{"protocol", &actors.ProtocolError{Reason: "bad"}, CodeOther, ErrProtocol},
		{"frame limit", &frames.LimitError{Limit: frames.LimitHeaderLine, Max: 10}, CodeOther, ErrFrameLimit},
		{"syntax", &frames.SyntaxError{Reason: "bad"}, CodeOther, ErrProtocol},
		{"our header", &actors.HeaderError{Command: frames.CmdSend, Key: "x", Reason: "holds a line feed"}, CodeOther, ErrInvalidArgument},
		{"unknown tx", actors.ErrUnknownTransaction, CodeOther, ErrUnknownTransaction},
		{"tx exists", actors.ErrTransactionExists, CodeOther, ErrTransactionExists},
		{"unknown sub", actors.ErrUnknownSubscription, CodeOther, ErrUnknownSubscription},
		{"no ack", actors.ErrNoAck, CodeOther, ErrNoAck},
		{"server", &actors.Error{Code: CodeServerError, Message: "stomp: server error: m", Headers: frames.Headers{{Key: "message", Value: "m"}}, Body: []byte("b")}, CodeOther, ErrServer},
		{"dial", errors.New("dial tcp: refused"), CodeConnectFailed, ErrConnectFailed},
		{"other", errors.New("something"), CodeOther, ErrOther},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := toError(c.err, c.def, func(s string) string { return s })
			require.NotNil(t, e)
			assert.Equal(t, c.want.Code, e.Code)
			assert.ErrorIs(t, e, c.want)
			assert.ErrorIs(t, e, c.err, "the cause is kept")
			assert.Contains(t, e.Error(), "stomp: ")
			for _, other := range sentinels {
				// A heart-beat that ended the connection is both: the
				// code says the most specific, Is holds for both.
				if other.Code != c.want.Code && !errors.Is(c.err, other) {
					assert.NotErrorIs(t, e, other)
				}
			}
		})
	}
	assert.Nil(t, toError(nil, CodeOther, nil))
}

func TestServerErrorCarriesFrame(t *testing.T) {
	se := &actors.Error{Code: CodeServerError, Message: "stomp: server error: denied", Headers: frames.Headers{{Key: "message", Value: "denied"}, {Key: "x", Value: "1"}}, Body: []byte("details")}
	e := toError(connectionLostLike(se), CodeOther, func(s string) string { return s })
	assert.Equal(t, CodeServerError, e.Code)
	assert.Equal(t, frames.Headers{{Key: "message", Value: "denied"}, {Key: "x", Value: "1"}}, e.Headers)
	assert.Equal(t, []byte("details"), e.Body)
}

// connectionLostLike wraps err the way a lost connection's error does.
func connectionLostLike(err error) error { return fmt.Errorf("stomp: connection lost: %w", err) }

func TestSentinelCodesAreUnique(t *testing.T) {
	seen := map[int]bool{}
	for _, s := range sentinels {
		assert.False(t, seen[s.Code], "code %d twice", s.Code)
		seen[s.Code] = true
		assert.Contains(t, s.Error(), "stomp: ")
	}
	assert.Len(t, seen, 32)
}

func TestCodeTableIsDocumented(t *testing.T) {
	doc, err := os.ReadFile("doc.go")
	require.NoError(t, err)
	for _, s := range sentinels {
		assert.Regexp(t, fmt.Sprintf(`(?m)^//\t%d Err\w+ +\S`, s.Code), string(doc), "code %d", s.Code)
	}
}

// The other way round: the "NNN ErrName" rows of doc.go's error table
// name the sentinel that has that code.
func TestDocErrorTableNamesEachSentinel(t *testing.T) {
	byName := map[string]*Error{
		"ErrInvalidArgument": ErrInvalidArgument, "ErrUnknownSetting": ErrUnknownSetting,
		"ErrSettingAccess": ErrSettingAccess, "ErrConnectedSetting": ErrConnectedSetting,
		"ErrUnsupported": ErrUnsupported, "ErrClosed": ErrClosed, "ErrEngineClosed": ErrEngineClosed,
		"ErrEngineInUse": ErrEngineInUse, "ErrNotConnected": ErrNotConnected,
		"ErrAlreadyConnected": ErrAlreadyConnected, "ErrConnectFailed": ErrConnectFailed,
		"ErrConnectionLost": ErrConnectionLost, "ErrHeartbeatMissed": ErrHeartbeatMissed,
		"ErrInterrupted": ErrInterrupted, "ErrQueueFull": ErrQueueFull, "ErrCertRejected": ErrCertRejected,
		"ErrTLSFailed": ErrTLSFailed, "ErrProxyFailed": ErrProxyFailed, "ErrOutcomeUnknown": ErrOutcomeUnknown,
		"ErrTimeout": ErrTimeout, "ErrReceiptTimeout": ErrReceiptTimeout, "ErrWouldBlock": ErrWouldBlock,
		"ErrCanceled": ErrCanceled, "ErrUnknownSubscription": ErrUnknownSubscription,
		"ErrUnknownTransaction": ErrUnknownTransaction, "ErrTransactionExists": ErrTransactionExists,
		"ErrNoAck": ErrNoAck, "ErrAlreadyAcked": ErrAlreadyAcked, "ErrNackUnsupported": ErrNackUnsupported,
		"ErrProtocol": ErrProtocol, "ErrFrameLimit": ErrFrameLimit, "ErrServer": ErrServer, "ErrOther": ErrOther,
	}
	// The map above holds every sentinel errors.go declares.
	src, err := os.ReadFile("errors.go")
	require.NoError(t, err)
	for _, m := range regexp.MustCompile(`(?m)^\t(Err\w+) += actors\.`).FindAllStringSubmatch(string(src), -1) {
		assert.Contains(t, byName, m[1], "errors.go declares %s: add it to this test", m[1])
	}
	for _, s := range sentinels {
		assert.True(t, slices.ContainsFunc(slices.Collect(maps.Values(byName)), func(e *Error) bool { return e == s }), "sentinel %v is not in this test", s)
	}

	doc, err := os.ReadFile("doc.go")
	require.NoError(t, err)
	rows := regexp.MustCompile(`(?m)^//\t(\d{3}) (Err\w+) `).FindAllStringSubmatch(string(doc), -1)
	require.NotEmpty(t, rows)
	for _, r := range rows {
		e, ok := byName[r[2]]
		if assert.True(t, ok, "doc.go's error table names %s, which is no sentinel", r[2]) {
			assert.Equal(t, r[1], strconv.Itoa(e.Code), "doc.go gives %s the code %s", r[2], r[1])
		}
	}
}

func TestScrubbedErrors(t *testing.T) {
	s := newClient(t, WithPassword("topsecret"), WithFirewall(Firewall{Password: "proxysecret"}))
	e := toError(errors.New("the broker said topsecret and proxysecret"), CodeOther, s.scrub)
	assert.Equal(t, "stomp: error: the broker said <redacted> and <redacted>", e.Error())
	short := newClient(t, WithPassword("ab"))
	assert.Equal(t, "about", short.scrub("about"), "secrets under three characters are not scrubbed")
}

// The engine's errors keep their codes through toError.
func TestEngineErrorsKeepTheirCodes(t *testing.T) {
	e := toError(connectionLostLike(actors.ErrHeartbeatMissed), CodeOther, func(s string) string { return s })
	assert.Equal(t, CodeHeartbeatMissed, e.Code)
	assert.ErrorIs(t, e, ErrHeartbeatMissed)
	assert.Same(t, ErrNotConnected, toError(ErrNotConnected, CodeOther, func(s string) string { return s }), "a clean *Error is returned as it is")
}
