package frames

import (
	"bytes"
	"errors"
	"io"
	"math"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// decodeCase is one stream and what decoding it must give: the frames, in
// order, then the error that ends the stream (io.EOF for a clean end).
type decodeCase struct {
	name string
	ver  Version
	lim  Limits
	in   string
	want []*Frame
	err  error
	// check, when set, runs on the frames decoded.
	check func(t *testing.T, frames []*Frame)
}

// decodeCases are written by hand from the STOMP 1.0, 1.1 and 1.2
// specifications; none of the input bytes comes from the encoder.
func decodeCases() []decodeCase {
	small := Limits{MaxCommand: 8, MaxHeaderLine: 8, MaxHeaders: 2, MaxBody: 4, MaxFrame: 40}
	cases := []decodeCase{
		// Frame structure.
		{
			name: "1.2 SEND with a text body",
			ver:  V12,
			in:   "SEND\ndestination:/queue/a\n\nhello\x00",
			want: []*Frame{fr(CmdSend, "hello", "destination", "/queue/a")},
			err:  io.EOF,
		},
		{
			name: "1.2 CRLF line endings",
			ver:  V12,
			in:   "MESSAGE\r\ndestination:/queue/a\r\nmessage-id:7\r\nsubscription:0\r\n\r\nhi\x00",
			want: []*Frame{fr(CmdMessage, "hi", "destination", "/queue/a", "message-id", "7", "subscription", "0")},
			err:  io.EOF,
		},
		{
			name: "1.2 LF and CRLF line endings mixed in one frame",
			ver:  V12,
			in:   "MESSAGE\r\nmessage-id:7\nsubscription:0\r\n\nhi\x00",
			want: []*Frame{fr(CmdMessage, "hi", "message-id", "7", "subscription", "0")},
			err:  io.EOF,
		},
		{
			name: "1.2 CRLF blank line ends the headers",
			ver:  V12,
			in:   "RECEIPT\nreceipt-id:1\n\r\n\x00",
			want: []*Frame{fr(CmdReceipt, "", "receipt-id", "1")},
			err:  io.EOF,
		},
		{
			name: "1.1 CRLF line ending is an error",
			ver:  V11,
			in:   "SEND\r\ndestination:/queue/a\r\n\r\n\x00",
			err:  synErr(CmdInvalid, "CRLF"),
		},
		{
			name: "1.0 CRLF line ending in a header is an error",
			ver:  V10,
			in:   "SEND\ndestination:/queue/a\r\n\n\x00",
			err:  synErr(CmdInvalid, "CRLF"),
		},
		{
			name: "frame with no headers and no body",
			ver:  V11,
			in:   "DISCONNECT\n\n\x00",
			want: []*Frame{fr(CmdDisconnect, "")},
			err:  io.EOF,
		},
		{
			name: "without content-length the body ends at the first NUL",
			ver:  V12,
			in:   "SEND\n\nab\x00SEND\n\ncd\x00",
			want: []*Frame{fr(CmdSend, "ab"), fr(CmdSend, "cd")},
			err:  io.EOF,
		},
		{
			name: "body bytes are not interpreted",
			ver:  V12,
			in:   "SEND\n\nline1\r\nline2\n\nERROR\n:\\x\x00",
			want: []*Frame{fr(CmdSend, "line1\r\nline2\n\nERROR\n:\\x")},
			err:  io.EOF,
		},
		{
			name: "header value keeps its spaces",
			ver:  V12,
			in:   "SEND\nkey: value \n\n\x00",
			want: []*Frame{fr(CmdSend, "", "key", " value ")},
			err:  io.EOF,
		},
		{
			name: "empty header value",
			ver:  V12,
			in:   "SEND\nkey:\n\n\x00",
			want: []*Frame{fr(CmdSend, "", "key", "")},
			err:  io.EOF,
		},
		{
			name: "UTF-8 header name and value",
			ver:  V12,
			in:   "SEND\nclé:värde ✓ 日本\n\n\x00",
			want: []*Frame{fr(CmdSend, "", "clé", "värde ✓ 日本")},
			err:  io.EOF,
		},
		{
			name: "repeated header: first wins",
			ver:  V12,
			in:   "MESSAGE\nfoo:1\nbar:x\nfoo:2\n\n\x00",
			want: []*Frame{fr(CmdMessage, "", "foo", "1", "bar", "x", "foo", "2")},
			err:  io.EOF,
			check: func(t *testing.T, frames []*Frame) {
				assert.Equal(t, "1", frames[0].Header("foo"))
				assert.Equal(t, []string{"1", "2"}, frames[0].Headers.Values("foo"))
			},
		},
		{
			name: "repeated content-length: first wins",
			ver:  V12,
			in:   "SEND\ncontent-length:3\ncontent-length:1\n\na\x00c\x00",
			want: []*Frame{fr(CmdSend, "a\x00c", "content-length", "3", "content-length", "1")},
			err:  io.EOF,
		},
		{
			name: "repeated content-length: a malformed later one is ignored",
			ver:  V12,
			in:   "SEND\ncontent-length:2\ncontent-length:x\n\nab\x00",
			want: []*Frame{fr(CmdSend, "ab", "content-length", "2", "content-length", "x")},
			err:  io.EOF,
		},

		// Commands.
		{
			name: "lower-case command is an error",
			ver:  V12,
			in:   "send\n\n\x00",
			err:  synErr(CmdInvalid, "unknown command"),
		},
		{
			name: "unknown command is an error",
			ver:  V12,
			in:   "PUBLISH\n\n\x00",
			err:  synErr(CmdInvalid, "unknown command"),
		},
		{
			name: "command with a trailing space is an error",
			ver:  V12,
			in:   "SEND \n\n\x00",
			err:  synErr(CmdInvalid, "unknown command"),
		},
		{
			name: "heart-beat name is not a command",
			ver:  V12,
			in:   "heart-beat\n\n\x00",
			err:  synErr(CmdInvalid, "unknown command"),
		},

		// Heart-beats and the end of a frame.
		{
			name: "EOLs between frames returned as Heartbeat frames",
			ver:  V11,
			in:   "\n\nSEND\n\n\x00\n",
			want: []*Frame{hb, hb, fr(CmdSend, ""), hb},
			err:  io.EOF,
		},
		{
			name: "NUL LF frame ending gives the frame then a heart-beat",
			ver:  V12,
			in:   "RECEIPT\nreceipt-id:7\n\n\x00\nRECEIPT\nreceipt-id:8\n\n\x00\n",
			want: []*Frame{fr(CmdReceipt, "", "receipt-id", "7"), hb, fr(CmdReceipt, "", "receipt-id", "8"), hb},
			err:  io.EOF,
		},
		{
			name: "1.2 NUL CRLF frame ending",
			ver:  V12,
			in:   "RECEIPT\r\nreceipt-id:7\r\n\r\n\x00\r\n",
			want: []*Frame{fr(CmdReceipt, "", "receipt-id", "7"), hb},
			err:  io.EOF,
		},
		{
			name: "1.2 CRLF heart-beat",
			ver:  V12,
			in:   "\r\n\n\r\n",
			want: []*Frame{hb, hb, hb},
			err:  io.EOF,
		},
		{
			name: "1.0 frames may be preceded by EOLs",
			ver:  V10,
			in:   "\nCONNECTED\nsession:1\n\n\x00",
			want: []*Frame{hb, fr(CmdConnected, "", "session", "1")},
			err:  io.EOF,
		},
		{
			name: "1.1 CRLF heart-beat is an error",
			ver:  V11,
			in:   "\r\n",
			err:  synErr(CmdInvalid, "carriage return"),
		},
		{
			name: "bare CR is an error between frames",
			ver:  V12,
			in:   "\n\rSEND\n\n\x00",
			want: []*Frame{hb},
			err:  synErr(CmdInvalid, "carriage return"),
		},
		{
			name: "bare CR is an error in a header line",
			ver:  V12,
			in:   "SEND\nkey:a\rb\n\n\x00",
			err:  synErr(CmdSend, "carriage return"),
		},
		{
			name: "bare CR is an error before a CRLF",
			ver:  V12,
			in:   "SEND\nkey:ab\r\r\n\n\x00",
			err:  synErr(CmdSend, "carriage return"),
		},
		{
			name: "bare CR is an error in the command line",
			ver:  V12,
			in:   "SE\rND\n\n\x00",
			err:  synErr(CmdInvalid, "unknown command"),
		},
		{
			name: "CR at the end of the stream is an unexpected EOF",
			ver:  V12,
			in:   "\r",
			err:  io.ErrUnexpectedEOF,
		},

		// End of stream.
		{
			name: "empty stream is a clean EOF",
			ver:  V12,
			in:   "",
			err:  io.EOF,
		},
		{
			name: "clean EOF after the NUL",
			ver:  V10,
			in:   "ACK\nmessage-id:1\n\n\x00",
			want: []*Frame{fr(CmdAck, "", "message-id", "1")},
			err:  io.EOF,
		},
		{
			name: "EOF inside the command is unexpected",
			ver:  V12,
			in:   "SEN",
			err:  io.ErrUnexpectedEOF,
		},
		{
			name: "EOF after the command is unexpected",
			ver:  V12,
			in:   "SEND\n",
			err:  io.ErrUnexpectedEOF,
		},
		{
			name: "EOF inside a header is unexpected",
			ver:  V12,
			in:   "SEND\ndestination:/qu",
			err:  io.ErrUnexpectedEOF,
		},
		{
			name: "EOF inside a body without content-length is unexpected",
			ver:  V12,
			in:   "SEND\n\nabc",
			err:  io.ErrUnexpectedEOF,
		},
		{
			name: "EOF inside a content-length body is unexpected",
			ver:  V12,
			in:   "SEND\ncontent-length:5\n\nab",
			err:  io.ErrUnexpectedEOF,
		},
		{
			name: "EOF before the NUL after a content-length body is unexpected",
			ver:  V12,
			in:   "SEND\ncontent-length:2\n\nab",
			err:  io.ErrUnexpectedEOF,
		},
		{
			name: "EOF after a complete frame and part of the next is unexpected",
			ver:  V12,
			in:   "SEND\n\n\x00SEND\n",
			want: []*Frame{fr(CmdSend, "")},
			err:  io.ErrUnexpectedEOF,
		},
		{
			name: "NUL with no command line is an unexpected EOF",
			ver:  V12,
			in:   "\x00",
			err:  io.ErrUnexpectedEOF,
		},

		// Header lines.
		{
			name: "header line without a colon is an error",
			ver:  V12,
			in:   "SEND\ndestination\n\n\x00",
			err:  synErr(CmdSend, "without a colon"),
		},
		{
			name: "empty header name is an error",
			ver:  V12,
			in:   "SEND\n:value\n\n\x00",
			err:  synErr(CmdSend, "empty header name"),
		},
		{
			name: "NUL in a header line is an error",
			ver:  V12,
			in:   "SEND\nke\x00y:value\n\n\x00",
			err:  synErr(CmdSend, "NUL"),
		},
		{
			name: "value is split from the name at the first colon",
			ver:  V12,
			in:   "MESSAGE\nkey:a:b::\n\n\x00",
			want: []*Frame{fr(CmdMessage, "", "key", "a:b::")},
			err:  io.EOF,
		},

		// Value encoding.
		{
			name: "1.2 unescapes \\r \\n \\c and \\\\ in values",
			ver:  V12,
			in:   "MESSAGE\nkey:a\\rb\\nc\\cd\\\\e\n\n\x00",
			want: []*Frame{fr(CmdMessage, "", "key", "a\rb\nc:d\\e")},
			err:  io.EOF,
		},
		{
			name: "1.2 unescapes header names",
			ver:  V12,
			in:   "SEND\na\\cb\\\\c\\nd\\re:v\n\n\x00",
			want: []*Frame{fr(CmdSend, "", "a:b\\c\nd\re", "v")},
			err:  io.EOF,
		},
		{
			name: "1.2 escapes in several headers, in names and in values",
			ver:  V12,
			in:   "MESSAGE\na\\cb:c\\\\d\nplain:x\ne:f\\ng\\r\n\\\\:\\c\nlast:\\\\\n\n\x00",
			want: []*Frame{fr(CmdMessage, "", "a:b", "c\\d", "plain", "x", "e", "f\ng\r", "\\", ":", "last", "\\")},
			err:  io.EOF,
		},
		{
			name: "1.2 escaped backslash before n is a backslash and an n",
			ver:  V12,
			in:   "SEND\nkey:\\\\n\\\\\\\\\n\n\x00",
			want: []*Frame{fr(CmdSend, "", "key", "\\n\\\\")},
			err:  io.EOF,
		},
		{
			name: "1.1 unescapes \\n \\c and \\\\",
			ver:  V11,
			in:   "MESSAGE\nk\\cey:a\\nb\\cc\\\\d\n\n\x00",
			want: []*Frame{fr(CmdMessage, "", "k:ey", "a\nb:c\\d")},
			err:  io.EOF,
		},
		{
			name: "1.1 undefined escape \\r is fatal",
			ver:  V11,
			in:   "MESSAGE\nkey:a\\rb\n\n\x00",
			err:  synErr(CmdMessage, `\r`),
		},
		{
			name: "1.2 undefined escape \\t is fatal",
			ver:  V12,
			in:   "MESSAGE\nkey:a\\tb\n\n\x00",
			err:  synErr(CmdMessage, "undefined escape"),
		},
		{
			name: "1.2 undefined escape in a header name is fatal",
			ver:  V12,
			in:   "SEND\nk\\ey:v\n\n\x00",
			err:  synErr(CmdSend, "undefined escape"),
		},
		{
			name: "1.2 backslash at the end of a value is fatal",
			ver:  V12,
			in:   "SEND\nkey:ab\\\n\n\x00",
			err:  synErr(CmdSend, "backslash"),
		},
		{
			name: "1.1 backslash at the end of a header name is fatal",
			ver:  V11,
			in:   "SEND\nkey\\:v\n\n\x00",
			err:  synErr(CmdSend, "backslash"),
		},
		{
			name: "1.0 headers are not unescaped",
			ver:  V10,
			in:   "SEND\nke\\y:a\\nb\\cc\\\\d\\r\\t\\\n\n\x00",
			want: []*Frame{fr(CmdSend, "", "ke\\y", "a\\nb\\cc\\\\d\\r\\t\\")},
			err:  io.EOF,
		},
		{
			name: "CONNECTED headers not unescaped, raw colon in value",
			ver:  V12,
			in:   "CONNECTED\nversion:1.2\nserver:Broker/1.0 a\\cb:c\\d\n\n\x00",
			want: []*Frame{fr(CmdConnected, "", "version", "1.2", "server", "Broker/1.0 a\\cb:c\\d")},
			err:  io.EOF,
		},
		{
			name: "CONNECT headers not unescaped",
			ver:  V12,
			in:   "CONNECT\naccept-version:1.2\nhost:h\nlogin:us\\er\npasscode:p:w\\n\n\n\x00",
			want: []*Frame{fr(CmdConnect, "", "accept-version", "1.2", "host", "h", "login", "us\\er", "passcode", "p:w\\n")},
			err:  io.EOF,
		},
		{
			name: "STOMP headers not unescaped",
			ver:  V11,
			in:   "STOMP\naccept-version:1.1\nhost:h\\c1\n\n\x00",
			want: []*Frame{fr(CmdStomp, "", "accept-version", "1.1", "host", "h\\c1")},
			err:  io.EOF,
		},

		// content-length.
		{
			name: "content-length with NULs in body",
			ver:  V12,
			in:   "SEND\ncontent-length:5\n\na\x00b\x00c\x00",
			want: []*Frame{fr(CmdSend, "a\x00b\x00c", "content-length", "5")},
			err:  io.EOF,
		},
		{
			name: "content-length of a body made of NULs",
			ver:  V10,
			in:   "MESSAGE\ncontent-length:3\n\n\x00\x00\x00\x00",
			want: []*Frame{fr(CmdMessage, "\x00\x00\x00", "content-length", "3")},
			err:  io.EOF,
		},
		{
			name: "content-length zero",
			ver:  V12,
			in:   "SEND\ncontent-length:0\n\n\x00",
			want: []*Frame{fr(CmdSend, "", "content-length", "0")},
			err:  io.EOF,
		},
		{
			name: "content-length with leading zeros",
			ver:  V12,
			in:   "SEND\ncontent-length:003\n\nabc\x00",
			want: []*Frame{fr(CmdSend, "abc", "content-length", "003")},
			err:  io.EOF,
		},
		{
			name: "missing NUL after content-length body",
			ver:  V12,
			in:   "SEND\ncontent-length:2\n\nabc\x00",
			err:  synErr(CmdSend, "not followed by NUL"),
		},
		{
			name: "content-length with sign +",
			ver:  V12,
			in:   "SEND\ncontent-length:+2\n\nab\x00",
			err:  synErr(CmdSend, "not a decimal number"),
		},
		{
			name: "content-length with sign -",
			ver:  V12,
			in:   "SEND\ncontent-length:-2\n\nab\x00",
			err:  synErr(CmdSend, "not a decimal number"),
		},
		{
			name: "content-length with non-digit",
			ver:  V12,
			in:   "SEND\ncontent-length:2a\n\nab\x00",
			err:  synErr(CmdSend, "not a decimal number"),
		},
		{
			name: "content-length with a space",
			ver:  V12,
			in:   "SEND\ncontent-length: 2\n\nab\x00",
			err:  synErr(CmdSend, "not a decimal number"),
		},
		{
			name: "content-length in hexadecimal",
			ver:  V12,
			in:   "SEND\ncontent-length:0x2\n\nab\x00",
			err:  synErr(CmdSend, "not a decimal number"),
		},
		{
			name: "content-length empty",
			ver:  V12,
			in:   "SEND\ncontent-length:\n\n\x00",
			err:  synErr(CmdSend, "empty content-length"),
		},
		{
			name: "content-length overflow with default limits",
			ver:  V12,
			in:   "SEND\ncontent-length:99999999999999999999999999\n\nab\x00",
			err:  limErr(LimitBody, DefaultMaxBody),
		},
		{
			// 2^64+3 wraps to 3 in 64-bit arithmetic.
			name: "content-length overflow with the largest MaxBody",
			ver:  V12,
			lim:  Limits{MaxBody: math.MaxInt},
			in:   "SEND\ncontent-length:18446744073709551619\n\nabc\x00",
			err:  limErr(LimitBody, maxLimit),
		},
		{
			name: "content-length above MaxBody",
			ver:  V12,
			lim:  Limits{MaxBody: 4},
			in:   "SEND\ncontent-length:5\n\nabcde\x00",
			err:  limErr(LimitBody, 4),
		},
		{
			name: "content-length of a single digit above MaxBody",
			ver:  V12,
			lim:  Limits{MaxBody: 1},
			in:   "SEND\ncontent-length:7\n\nabcdefg\x00",
			err:  limErr(LimitBody, 1),
		},
		{
			name: "content-length equal to MaxBody",
			ver:  V12,
			lim:  Limits{MaxBody: 4},
			in:   "SEND\ncontent-length:4\n\nabcd\x00",
			want: []*Frame{fr(CmdSend, "abcd", "content-length", "4")},
			err:  io.EOF,
		},
		{
			name: "content-length body beyond MaxFrame",
			ver:  V12,
			lim:  Limits{MaxFrame: 30},
			in:   "SEND\ncontent-length:8\n\n12345678\x00",
			err:  limErr(LimitFrame, 30),
		},
		{
			name: "content-length body that just fits MaxFrame",
			ver:  V12,
			lim:  Limits{MaxFrame: 33},
			in:   "SEND\ncontent-length:8\n\n12345678\x00",
			want: []*Frame{fr(CmdSend, "12345678", "content-length", "8")},
			err:  io.EOF,
		},

		// Bodies on commands that cannot carry one.
		{
			name: "body on RECEIPT is an error",
			ver:  V12,
			in:   "RECEIPT\nreceipt-id:1\n\nx\x00",
			err:  synErr(CmdReceipt, "cannot carry a body"),
		},
		{
			name: "content-length body on RECEIPT is an error",
			ver:  V12,
			in:   "RECEIPT\nreceipt-id:1\ncontent-length:1\n\nx\x00",
			err:  synErr(CmdReceipt, "cannot carry a body"),
		},
		{
			name: "content-length zero on RECEIPT",
			ver:  V12,
			in:   "RECEIPT\nreceipt-id:1\ncontent-length:0\n\n\x00",
			want: []*Frame{fr(CmdReceipt, "", "receipt-id", "1", "content-length", "0")},
			err:  io.EOF,
		},

		// Limits.
		{
			name: "command longer than MaxCommand",
			ver:  V12,
			lim:  Limits{MaxCommand: 6},
			in:   "MESSAGE\n\n\x00",
			err:  limErr(LimitCommand, 6),
		},
		{
			name: "command as long as MaxCommand",
			ver:  V12,
			lim:  Limits{MaxCommand: 7},
			in:   "MESSAGE\r\n\r\n\x00",
			want: []*Frame{fr(CmdMessage, "")},
			err:  io.EOF,
		},
		{
			name: "endless command line",
			ver:  V12,
			lim:  small,
			in:   "SUBSCRIBESUBSCRIBESUBSCRIBE",
			err:  limErr(LimitCommand, 8),
		},
		{
			name: "header line longer than MaxHeaderLine",
			ver:  V12,
			lim:  small,
			in:   "SEND\nkey:value\n\n\x00",
			err:  limErr(LimitHeaderLine, 8),
		},
		{
			name: "header line as long as MaxHeaderLine",
			ver:  V12,
			lim:  small,
			in:   "SEND\nkey:valu\n\n\x00",
			want: []*Frame{fr(CmdSend, "", "key", "valu")},
			err:  io.EOF,
		},
		{
			name: "1.2 CR of a CRLF does not count towards MaxHeaderLine",
			ver:  V12,
			lim:  small,
			in:   "SEND\r\nkey:valu\r\n\r\n\x00",
			want: []*Frame{fr(CmdSend, "", "key", "valu")},
			err:  io.EOF,
		},
		{
			name: "1.2 CRLF line one byte over MaxHeaderLine",
			ver:  V12,
			lim:  small,
			in:   "SEND\r\nkey:value\r\n\r\n\x00",
			err:  limErr(LimitHeaderLine, 8),
		},
		{
			name: "1.0 CRLF line as long as MaxHeaderLine is a CRLF error",
			ver:  V10,
			lim:  small,
			in:   "SEND\nkey:valu\r\n\n\x00",
			err:  synErr(CmdInvalid, "CRLF"),
		},
		{
			name: "1.0 CRLF line over MaxHeaderLine is a limit error",
			ver:  V10,
			lim:  small,
			in:   "SEND\nkey:value\r\n\n\x00",
			err:  limErr(LimitHeaderLine, 8),
		},
		{
			name: "endless header line",
			ver:  V12,
			lim:  small,
			in:   "SEND\nkey:valuevaluevaluevalue",
			err:  limErr(LimitHeaderLine, 8),
		},
		{
			name: "more headers than MaxHeaders",
			ver:  V12,
			lim:  small,
			in:   "SEND\na:1\nb:2\nc:3\n\n\x00",
			err:  limErr(LimitHeaders, 2),
		},
		{
			name: "as many headers as MaxHeaders",
			ver:  V12,
			lim:  small,
			in:   "SEND\na:1\nb:2\n\n\x00",
			want: []*Frame{fr(CmdSend, "", "a", "1", "b", "2")},
			err:  io.EOF,
		},
		{
			name: "body longer than MaxBody",
			ver:  V12,
			lim:  small,
			in:   "SEND\n\nabcde\x00",
			err:  limErr(LimitBody, 4),
		},
		{
			name: "body as long as MaxBody",
			ver:  V12,
			lim:  small,
			in:   "SEND\n\nabcd\x00",
			want: []*Frame{fr(CmdSend, "abcd")},
			err:  io.EOF,
		},
		{
			name: "endless body without NUL",
			ver:  V12,
			lim:  small,
			in:   "SEND\n\nabcdefghijklmnop",
			err:  limErr(LimitBody, 4),
		},
		{
			name: "frame larger than MaxFrame",
			ver:  V12,
			lim:  Limits{MaxFrame: 20},
			in:   "SEND\nk:0123456789\nj:0123456789\n\n\x00",
			err:  limErr(LimitFrame, 20),
		},
		{
			name: "frame one byte larger than MaxFrame",
			ver:  V12,
			lim:  Limits{MaxFrame: 20},
			in:   "SEND\nk:01234567890\n\n\x00",
			err:  limErr(LimitFrame, 20),
		},
		{
			name: "frame one byte larger than MaxFrame, in its body",
			ver:  V12,
			lim:  Limits{MaxFrame: 20},
			in:   "SEND\nk:0123456789\n\nb\x00",
			err:  limErr(LimitFrame, 20),
		},
		{
			name: "frame as large as MaxFrame",
			ver:  V12,
			lim:  Limits{MaxFrame: 20},
			in:   "SEND\nk:0123456789\n\n\x00SEND\nk:0123456789\n\n\x00",
			want: []*Frame{fr(CmdSend, "", "k", "0123456789"), fr(CmdSend, "", "k", "0123456789")},
			err:  io.EOF,
		},
		{
			name: "limits apply to each frame, not to the stream",
			ver:  V12,
			lim:  small,
			in:   "SEND\na:1\n\nab\x00\nSEND\nb:2\n\ncd\x00SEND\n\nabcde\x00",
			want: []*Frame{fr(CmdSend, "ab", "a", "1"), hb, fr(CmdSend, "cd", "b", "2")},
			err:  limErr(LimitBody, 4),
		},
	}

	// Every command decodes without a body; only SEND, MESSAGE and ERROR
	// may carry one.
	for c := CmdConnect; c < Heartbeat; c++ {
		for _, v := range Versions {
			cases = append(cases, decodeCase{
				name: v.String() + " " + c.String() + " without a body",
				ver:  v,
				in:   c.String() + "\nid:1\n\n\x00",
				want: []*Frame{fr(c, "", "id", "1")},
				err:  io.EOF,
			})
		}
		in := c.String() + "\nid:1\n\nbody\x00"
		if c.HasBody() {
			cases = append(cases, decodeCase{
				name: c.String() + " may carry a body",
				ver:  V12,
				in:   in,
				want: []*Frame{fr(c, "body", "id", "1")},
				err:  io.EOF,
			})
		} else {
			cases = append(cases, decodeCase{
				name: c.String() + " cannot carry a body",
				ver:  V12,
				in:   in,
				err:  synErr(c, "cannot carry a body"),
			})
		}
	}
	return cases
}

// TestDecode runs every case whole, with data and EOF together, one byte
// at a time and split in two at every offset: the result must not depend
// on how the stream arrives. Every case runs through DecodeOwned too,
// whose frames are kept as they are, uncloned, while the next ones are
// decoded.
func TestDecode(t *testing.T) {
	for _, tc := range decodeCases() {
		t.Run(tc.name, func(t *testing.T) {
			in := []byte(tc.in)
			for _, m := range readModes(in) {
				d := NewDecoder(m.r(in), tc.ver, tc.lim)
				got, err := decodeAll(d, 100)
				require.Equal(t, exactAll(tc.want), got, "%s: frames of %s", m.name, show(in))
				owned, ownedErr := decodeOwnedAll(NewDecoder(m.r(in), tc.ver, tc.lim), 100)
				require.Equal(t, exactAll(tc.want), exactAll(owned), "%s: owned frames of %s", m.name, show(in))
				requireErrLike(t, tc.err, ownedErr)
				requireErrLike(t, tc.err, err)
				if tc.check != nil {
					tc.check(t, got)
				}
				if t.Failed() {
					t.Fatalf("%s: %s: error %v", m.name, show(in), err)
				}
			}
		})
	}
}

func TestDecodeErrorIsSticky(t *testing.T) {
	d := NewDecoder(strings.NewReader("SEND\n\n\x00send\n\n\x00SEND\n\n\x00"), V12, Limits{})
	f, err := d.Decode()
	require.NoError(t, err)
	assert.Equal(t, CmdSend, f.Command)
	_, err1 := d.Decode()
	requireErrLike(t, synErr(CmdInvalid, "unknown command"), err1)
	_, err2 := d.Decode()
	assert.Same(t, err1, err2)
}

func TestDecodeEOFIsSticky(t *testing.T) {
	d := NewDecoder(strings.NewReader(""), V12, Limits{})
	for range 3 {
		_, err := d.Decode()
		require.ErrorIs(t, err, io.EOF)
	}
}

func TestDecodeReadErrorPassesThrough(t *testing.T) {
	boom := errors.New("boom")
	d := NewDecoder(io.MultiReader(strings.NewReader("SEND\n\nab\x00SE"), iotest.ErrReader(boom)), V12, Limits{})
	f, err := d.Decode()
	require.NoError(t, err)
	assert.Equal(t, "ab", string(f.Body))
	_, err = d.Decode()
	require.ErrorIs(t, err, boom)

	d = NewDecoder(iotest.ErrReader(boom), V12, Limits{})
	_, err = d.Decode()
	require.ErrorIs(t, err, boom)
}

// zeroReader never returns data nor an error.
type zeroReader struct{}

func (zeroReader) Read([]byte) (int, error) { return 0, nil }

func TestDecodeReaderWithoutProgress(t *testing.T) {
	d := NewDecoder(zeroReader{}, V12, Limits{})
	_, err := d.Decode()
	require.ErrorIs(t, err, io.ErrNoProgress)
}

func TestDecodeSetVersion(t *testing.T) {
	// The CONNECTED frame is read before the version is known; the frame
	// after it, already buffered, is unescaped with the new version.
	in := "CONNECTED\nversion:1.2\n\n\x00MESSAGE\nk:a\\cb\\rc\n\n\x00"
	d := NewDecoder(strings.NewReader(in), V10, Limits{})
	assert.Equal(t, V10, d.Version())
	f, err := d.Decode()
	require.NoError(t, err)
	require.Equal(t, CmdConnected, f.Command)
	v, err := ParseVersion(f.Header(HdrVersion))
	require.NoError(t, err)
	d.SetVersion(v)
	assert.Equal(t, V12, d.Version())
	f, err = d.Decode()
	require.NoError(t, err)
	assert.Equal(t, "a:b\rc", f.Header("k"))
}

func TestDecodeFrameValidUntilNextDecode(t *testing.T) {
	in := "MESSAGE\nk:1\n\nfirst\x00MESSAGE\nk:2\n\nsecond\x00"
	d := NewDecoder(strings.NewReader(in), V12, Limits{})
	f1, err := d.Decode()
	require.NoError(t, err)
	kept := f1.Clone()
	f2, err := d.Decode()
	require.NoError(t, err)
	assert.Equal(t, fr(CmdMessage, "first", "k", "1"), kept)
	assert.Equal(t, fr(CmdMessage, "second", "k", "2"), exact(f2))
}

func TestDecodeCounters(t *testing.T) {
	in := "SEND\n\nab\x00\n\nRECEIPT\n\n\x00"
	d := NewDecoder(strings.NewReader(in), V12, Limits{})
	_, err := d.Decode()
	require.NoError(t, err)
	assert.Equal(t, int64(len(in)), d.BytesRead())
	assert.Equal(t, len(in)-len("SEND\n\nab\x00"), d.Buffered())
	_, err = decodeAll(d, 10)
	require.ErrorIs(t, err, io.EOF)
	assert.Equal(t, 0, d.Buffered())
	assert.Equal(t, int64(len(in)), d.BytesRead())
}

func TestDecoderLimits(t *testing.T) {
	assert.Equal(t, DefaultLimits(), NewDecoder(nil, V12, Limits{}).Limits())
	lim := Limits{MaxCommand: 1, MaxHeaderLine: 2, MaxHeaders: 3, MaxBody: 4, MaxFrame: 5}
	assert.Equal(t, lim, NewDecoder(nil, V12, lim).Limits())
}

// Decoding a frame costs one allocation (the string that holds every
// header), however many headers it has, or two when some need unescaping.
func TestDecodeAllocations(t *testing.T) {
	plain := "MESSAGE\ndestination:/queue/a\nmessage-id:123\nsubscription:0\ncontent-length:5\n\nhello\x00"
	escaped := "MESSAGE\ndestination:/queue/a\nmessage-id:ID\\cbroker\\c7\nk\\\\ey:a\\nb\\rc\nsubscription:0\n\nhello\x00"
	for _, tc := range []struct {
		frame  string
		allocs float64
	}{{plain, 1}, {escaped, 2}} {
		d := NewDecoder(&loopReader{data: []byte(strings.Repeat(tc.frame, 64))}, V12, Limits{})
		allocs := testing.AllocsPerRun(1000, func() {
			f, err := d.Decode()
			if err != nil || f.Command != CmdMessage {
				panic(err)
			}
		})
		assert.LessOrEqual(t, allocs, tc.allocs, "%q", tc.frame)
	}
	d := NewDecoder(strings.NewReader(escaped), V12, Limits{})
	f, err := d.Decode()
	require.NoError(t, err)
	assert.Equal(t, fr(CmdMessage, "hello", "destination", "/queue/a", "message-id", "ID:broker:7", "k\\ey", "a\nb\rc", "subscription", "0"), exact(f))
}

// A frame of DecodeOwned read alone costs one allocation for its header
// text and body (unescaped in place) and one for its header list. On a
// busy stream small frames share chunks, so they cost a fraction of one.
// Either way a frame's body is its own: writing to it, or appending to
// it, changes neither its headers nor any other frame.
func TestDecodeOwned(t *testing.T) {
	plain := "MESSAGE\ndestination:/queue/a\nmessage-id:123\nsubscription:0\ncontent-length:5\n\nhello\x00"
	escaped := "MESSAGE\ndestination:/queue/a\nmessage-id:ID\\cbroker\\c7\nk\\\\ey:a\\nb\\rc\nsubscription:0\n\nhello\x00"
	wantPlain := fr(CmdMessage, "hello", "destination", "/queue/a", "message-id", "123", "subscription", "0", "content-length", "5")
	wantEscaped := fr(CmdMessage, "hello", "destination", "/queue/a", "message-id", "ID:broker:7", "k\\ey", "a\nb\rc", "subscription", "0")
	for _, frame := range []string{plain, escaped} {
		d := NewDecoder(oneAtATime(frame), V12, Limits{})
		alone := testing.AllocsPerRun(1000, func() {
			if f, err := d.DecodeOwned(); err != nil || f.Command != CmdMessage {
				panic(err)
			}
		})
		assert.LessOrEqual(t, alone, 2.0, "alone: %q", frame)
		assert.Nil(t, d.slab, "a frame alone shares no chunk it could pin")
		d = NewDecoder(&loopReader{data: []byte(strings.Repeat(frame, 64))}, V12, Limits{})
		busy := testing.AllocsPerRun(1000, func() {
			if f, err := d.DecodeOwned(); err != nil || f.Command != CmdMessage {
				panic(err)
			}
		})
		assert.LessOrEqual(t, busy, 0.25, "busy: %q", frame)
	}

	// Frames alone, then frames carved from shared chunks, all kept.
	quiet := escaped + plain + "RECEIPT\nreceipt-id:r1\n\n\x00\n"
	d := NewDecoder(strings.NewReader(quiet+strings.Repeat(escaped+plain, 200)), V12, Limits{})
	kept, err := decodeOwnedAll(d, 1000)
	require.ErrorIs(t, err, io.EOF)
	require.Len(t, kept, 404)
	assert.Equal(t, fr(CmdReceipt, "", "receipt-id", "r1"), exact(kept[2]))
	assert.Equal(t, Heartbeat, kept[3].Command)
	frames := append(kept[:2:2], kept[4:]...)
	for i, f := range frames {
		copy(f.Body, "HELLO")
		grown := append(f.Body, " and more"...)
		copy(grown, "xxxxx")
		f.Headers = append(f.Headers, Header{"x", "y"})
		f.Headers[0].Value = "changed"
		require.Equal(t, "HELLO", string(f.Body), "frame %d", i)
	}
	for i, f := range frames {
		want := wantEscaped
		if i%2 == 1 {
			want = wantPlain
		}
		want = want.Clone()
		want.Body = []byte("HELLO")
		want.Headers[0].Value = "changed"
		want.Headers = append(want.Headers, Header{"x", "y"})
		require.Equal(t, want, exact(f), "frame %d", i)
	}
}

// oneAtATime returns a reader that hands out frame, once per read, for
// ever: a quiet stream, where each frame arrives alone.
func oneAtATime(frame string) io.Reader {
	return readerFunc(func(p []byte) (int, error) { return copy(p, frame), nil })
}

type readerFunc func(p []byte) (int, error)

func (f readerFunc) Read(p []byte) (int, error) { return f(p) }

// countingReader counts the bytes it hands out.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// endless returns prefix followed by unit repeated forever.
func endless(prefix, unit string) io.Reader {
	return io.MultiReader(strings.NewReader(prefix), &loopReader{data: []byte(unit)})
}

// TestDecodeHostileStreamMemory feeds endless input and checks that the
// decoder stops at its limits: the error names the limit, and the bytes
// read, the buffer and the memory allocated stay within what the limits
// allow.
func TestDecodeHostileStreamMemory(t *testing.T) {
	def := DefaultLimits()
	tests := []struct {
		name    string
		in      io.Reader
		lim     Limits
		err     *LimitError
		maxRead int // most bytes the decoder may read and buffer
		extra   int // bytes the decoder may allocate besides its buffer
	}{
		{
			name:    "endless command line",
			in:      endless("", "A"),
			err:     limErr(LimitCommand, DefaultMaxCommand),
			maxRead: defaultBufSize,
		},
		{
			name:    "endless header line",
			in:      endless("SEND\nkey:", "v"),
			err:     limErr(LimitHeaderLine, DefaultMaxHeaderLine),
			maxRead: 2 * DefaultMaxHeaderLine,
		},
		{
			name:    "endless header lines",
			in:      endless("SEND\n", "k:v\n"),
			err:     limErr(LimitHeaders, DefaultMaxHeaders),
			maxRead: defaultBufSize,
		},
		{
			name:    "endless header lines within the header count",
			in:      endless("SEND\n", "k:v\n"),
			lim:     Limits{MaxHeaders: 100000, MaxFrame: 4096},
			err:     limErr(LimitFrame, 4096),
			maxRead: 4097,
			// The offsets of up to 1024 header lines, 40 bytes
			// each, doubling as they grow: under 96 KiB in all.
			extra: 96 << 10,
		},
		{
			name:    "endless body without NUL",
			in:      endless("SEND\n\n", "b"),
			err:     limErr(LimitBody, DefaultMaxBody),
			maxRead: def.MaxFrame + 1,
		},
		{
			name:    "endless body without NUL, small MaxBody",
			in:      endless("SEND\n\n", "b"),
			lim:     Limits{MaxBody: 1000},
			err:     limErr(LimitBody, 1000),
			maxRead: defaultBufSize,
		},
		{
			name:    "huge content-length",
			in:      endless("SEND\ncontent-length:"+strconv.Itoa(DefaultMaxBody+1)+"\n\n", "b"),
			err:     limErr(LimitBody, DefaultMaxBody),
			maxRead: defaultBufSize,
		},
		{
			name:    "content-length of 2^63",
			in:      endless("SEND\ncontent-length:9223372036854775808\n\n", "b"),
			lim:     Limits{MaxBody: math.MaxInt, MaxFrame: 1 << 20},
			err:     limErr(LimitBody, maxLimit),
			maxRead: defaultBufSize,
		},
		{
			name:    "content-length past MaxFrame",
			in:      endless("SEND\ncontent-length:1000\n\n", "b"),
			lim:     Limits{MaxFrame: 500},
			err:     limErr(LimitFrame, 500),
			maxRead: 501,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := &countingReader{r: tc.in}
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			d := NewDecoder(r, V12, tc.lim)
			_, err := d.Decode()
			runtime.ReadMemStats(&after)
			requireErrLike(t, tc.err, err)
			assert.LessOrEqual(t, len(d.buf), tc.maxRead, "buffer size")
			assert.LessOrEqual(t, r.n, int64(tc.maxRead), "bytes read")
			assert.LessOrEqual(t, d.BytesRead(), int64(tc.maxRead), "bytes read")
			// The buffer doubles on its way up: every size it took adds
			// up to less than twice the last.
			assert.LessOrEqual(t, after.TotalAlloc-before.TotalAlloc, uint64(3*tc.maxRead+tc.extra+64<<10), "bytes allocated")
		})
	}
}

// loopReader returns data over and over; it never ends.
type loopReader struct {
	data []byte
	off  int
	n    int64
}

func (r *loopReader) Read(p []byte) (int, error) {
	total := 0
	for len(p) > 0 {
		n := copy(p, r.data[r.off:])
		r.off = (r.off + n) % len(r.data)
		p = p[n:]
		total += n
	}
	r.n += int64(total)
	return total, nil
}

// A large frame grows the buffer; once it is consumed the decoder goes back
// to a small buffer, so one large message does not pin its memory.
func TestDecodeBufferShrinksAfterLargeFrame(t *testing.T) {
	body := bytes.Repeat([]byte("x"), 3<<20)
	in := "MESSAGE\ncontent-length:" + strconv.Itoa(len(body)) + "\n\n" + string(body) + "\x00" + "MESSAGE\n\nsmall\x00"
	d := NewDecoder(iotest.HalfReader(strings.NewReader(in)), V12, Limits{})
	f, err := d.Decode()
	require.NoError(t, err)
	require.Equal(t, body, f.Body)
	assert.Greater(t, len(d.buf), len(body))
	f, err = d.Decode()
	require.NoError(t, err)
	assert.Equal(t, "small", string(f.Body))
	assert.LessOrEqual(t, len(d.buf), defaultBufSize)
	_, err = d.Decode()
	require.ErrorIs(t, err, io.EOF)
}

// The decoder never hands out memory the next frame overwrites through
// the headers: header strings are copies.
func TestDecodeHeadersDoNotAliasBuffer(t *testing.T) {
	in := "MESSAGE\nk:first\n\n\x00MESSAGE\nk:other\n\n\x00"
	d := NewDecoder(strings.NewReader(in), V12, Limits{})
	f, err := d.Decode()
	require.NoError(t, err)
	v := f.Header("k")
	_, err = d.Decode()
	require.NoError(t, err)
	assert.Equal(t, "first", v)
}

// readCounter counts the Read calls that reach r.
type readCounter struct {
	r     io.Reader
	reads int
}

func (c *readCounter) Read(p []byte) (int, error) {
	c.reads++
	return c.r.Read(p)
}

// A stream of small frames is read a large buffer at a time, not the idle
// buffer at a time: the frame that does not fit in the idle buffer moves
// the decoder to a large one, and it stays there while reads fill it. Once
// a read comes back short (the stream went quiet), the decoder waits in
// the idle buffer again.
func TestDecodeFirehoseReadsLargeBuffers(t *testing.T) {
	one := "MESSAGE\nsubscription:0\nmessage-id:12345\ndestination:/topic/x\ncontent-length:100\n\n" + strings.Repeat("x", 100) + "\x00"
	const n = 20000
	in := strings.Repeat(one, n)
	cr := &readCounter{r: strings.NewReader(in)}
	d := NewDecoder(cr, V12, Limits{})
	for range n {
		f, err := d.Decode()
		require.NoError(t, err)
		require.Len(t, f.Body, 100)
	}
	assert.LessOrEqual(t, cr.reads, 2+len(in)/(defaultBufSize/2), "reads of a firehose")
	_, err := d.Decode()
	require.ErrorIs(t, err, io.EOF)
	assert.Equal(t, idleSize, len(d.buf), "after a short read the decoder waits in its idle buffer")
}

// Release gives the buffers back only when nothing is buffered; the next
// Decode takes one again, and frames decoded owned stay valid.
func TestDecodeRelease(t *testing.T) {
	in := "RECEIPT\nreceipt-id:1\n\n\x00MESSAGE\ndestination:/q\nmessage-id:2\nsubscription:0\n\nbody\x00"
	for _, name := range []string{"whole", "one byte at a time"} {
		t.Run(name, func(t *testing.T) {
			var r io.Reader = strings.NewReader(in)
			if name != "whole" {
				r = iotest.OneByteReader(r)
			}
			d := NewDecoder(r, V12, Limits{})
			d.Release() // before any read: nothing to give back
			first, err := d.DecodeOwned()
			require.NoError(t, err)
			d.Release()
			if d.Pending() {
				assert.NotNil(t, d.buf, "bytes of the next frame stay buffered")
			} else {
				assert.Nil(t, d.buf)
				assert.Nil(t, d.small)
			}
			second, err := d.DecodeOwned()
			require.NoError(t, err)
			d.Release()
			assert.False(t, d.Pending())
			assert.Nil(t, d.buf, "an idle decoder holds no buffer after Release")
			assert.Nil(t, d.small)
			assert.Equal(t, "1", first.Header(HdrReceiptID))
			assert.Equal(t, "body", string(second.Body))
			_, err = d.DecodeOwned()
			require.ErrorIs(t, err, io.EOF)
		})
	}
}

// Frames larger than the decoder's usual buffer reuse the buffer grown for
// them, on a busy stream and one frame at a time alike: decoding one
// costs what a small frame costs, not a new buffer (it cost 8 allocations
// and 74 KB per 64 KiB frame when a grown buffer was dropped after each).
func TestLargeFramesReuseTheGrownBuffer(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector makes sync.Pool drop buffers on purpose")
	}
	body := strings.Repeat("x", 64<<10)
	frame := []byte("SEND\ndestination:/queue/a\ncontent-length:" + strconv.Itoa(len(body)) + "\n\n" + body + "\x00")
	busy := NewDecoder(&loopReader{data: frame}, V12, Limits{})
	quiet := NewDecoder(&oneFrameReader{frame: frame}, V12, Limits{})
	for name, d := range map[string]*Decoder{"busy": busy, "one at a time": quiet} {
		decode := func() {
			f, err := d.Decode()
			if err != nil || len(f.Body) != len(body) {
				panic(err)
			}
		}
		decode() // the first frame grows the buffer
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		const frames = 200
		for range frames {
			decode()
		}
		runtime.ReadMemStats(&after)
		perFrame := (after.TotalAlloc - before.TotalAlloc) / frames
		// The header list, and on a quiet connection its scratch slices.
		assert.Less(t, perFrame, uint64(1<<10), "%s: %d bytes allocated per frame", name, perFrame)
	}
}

// oneFrameReader returns at most the rest of one frame per Read, as a
// quiet connection's socket does.
type oneFrameReader struct {
	frame []byte
	off   int
}

func (r *oneFrameReader) Read(p []byte) (int, error) {
	n := copy(p, r.frame[r.off:])
	r.off = (r.off + n) % len(r.frame)
	return n, nil
}

// A decoder Reset onto another stream decodes it as a new one would, with
// the new version and limits: nothing of the old stream, half a frame
// included, is left.
func TestDecoderResetStartsOver(t *testing.T) {
	d := NewDecoder(strings.NewReader("MESSAGE\nk:a\\cb\n\nx\x00MESS"), V12, Limits{})
	f, err := d.Decode()
	require.NoError(t, err)
	v, _ := f.Headers.Get("k")
	require.Equal(t, "a:b", v, "1.2 unescapes")
	require.True(t, d.Pending(), "the start of the next frame is buffered")

	d.Reset(strings.NewReader("MESSAGE\nk:a\\cb\n\ny\x00"), V10, Limits{MaxBody: 1})
	require.False(t, d.Pending())
	g, err := d.DecodeOwned()
	require.NoError(t, err)
	v, _ = g.Headers.Get("k")
	require.Equal(t, `a\cb`, v, "1.0 does not unescape")
	require.Equal(t, "y", string(g.Body))
	require.Equal(t, 1, d.Limits().MaxBody)
	_, err = d.Decode()
	require.ErrorIs(t, err, io.EOF)
}

// countingReads counts the Read calls made of r.
type countingReads struct {
	r     io.Reader
	calls int
}

func (c *countingReads) Read(p []byte) (int, error) {
	c.calls++
	return c.r.Read(p)
}

func TestAStreamReadsIntoTheStreamBuffer(t *testing.T) {
	frame := []byte("MESSAGE\ndestination:/queue/a\nmessage-id:1\nsubscription:0\ncontent-length:100\n\n" + strings.Repeat("x", 100) + "\x00")
	const n = 20000 // about 2.8 MB
	decodeAll := func(r io.Reader) *Decoder {
		d := NewDecoder(r, V12, Limits{})
		for range n {
			f, err := d.DecodeOwned()
			require.NoError(t, err)
			require.Equal(t, CmdMessage, f.Command)
			require.Len(t, f.Body, 100)
		}
		return d
	}

	// A socket that always has more than the buffer holds: after the
	// first full buffer the decoder reads streamBufSize at a time.
	total := n * len(frame)
	busy := &countingReads{r: bytes.NewReader(bytes.Repeat(frame, n))}
	d := decodeAll(busy)
	assert.Equal(t, streamBufSize, len(d.buf), "the buffer a stream reads into")
	// The idle buffer's read and the first large buffer's come first.
	assert.LessOrEqual(t, busy.calls, total/(streamBufSize-len(frame))+3, "one read per stream buffer")

	// A socket that holds one frame at a time never looks like a stream.
	quiet := decodeAll(&oneFrameReader{frame: frame})
	assert.LessOrEqual(t, len(quiet.buf), defaultBufSize, "the buffer of one frame at a time")

	// Going idle gives the stream buffer back.
	d.Release()
	assert.True(t, d.buf == nil && d.lent == nil, "the decoder keeps no buffer once released")
}
