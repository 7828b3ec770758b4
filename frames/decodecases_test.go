package frames

import (
	"io"
	"math"
	"testing"

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
