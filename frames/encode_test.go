package frames

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// encodeCase is a frame, an encoder and either the bytes it must produce
// (written by hand from the specifications) or the error it must return.
type encodeCase struct {
	name string
	enc  Encoder
	f    *Frame
	want string
	err  *SyntaxError
}

func encodeCases() []encodeCase {
	e10 := Encoder{Version: V10}
	e11 := Encoder{Version: V11}
	e12 := Encoder{Version: V12}
	cases := []encodeCase{
		// Value encoding per version.
		{
			name: "1.2 escapes CR, LF, colon and backslash in names and values",
			enc:  e12,
			f:    fr(CmdSend, "", "destination", "/queue/a", "a:b\\c", "1\r\n2:3\\4"),
			want: "SEND\ndestination:/queue/a\na\\cb\\\\c:1\\r\\n2\\c3\\\\4\ncontent-length:0\n\n\x00",
		},
		{
			name: "1.2 escapes a CR in a header name",
			enc:  e12,
			f:    fr(CmdAck, "", "a\rb", "v"),
			want: "ACK\na\\rb:v\n\n\x00",
		},
		{
			name: "1.1 escapes LF, colon and backslash",
			enc:  e11,
			f:    fr(CmdMessage, "hi", "k:1", "a\nb:c\\d"),
			want: "MESSAGE\nk\\c1:a\\nb\\cc\\\\d\ncontent-length:2\n\nhi\x00",
		},
		{
			name: "1.1 CR in a value is an error",
			enc:  e11,
			f:    fr(CmdSend, "", "k", "a\rb"),
			err:  synErr(CmdSend, "carriage return"),
		},
		{
			name: "1.1 CR in a header name is an error",
			enc:  e11,
			f:    fr(CmdSend, "", "a\rb", "v"),
			err:  synErr(CmdSend, "carriage return"),
		},
		{
			name: "1.0 leaves colons and backslashes in values as they are",
			enc:  e10,
			f:    fr(CmdSend, "", "k", "a:b\\c\\n"),
			want: "SEND\nk:a:b\\c\\n\ncontent-length:0\n\n\x00",
		},
		{
			name: "1.0 leaves a backslash in a header name as it is",
			enc:  e10,
			f:    fr(CmdBegin, "", "a\\b", "v"),
			want: "BEGIN\na\\b:v\n\n\x00",
		},
		{
			name: "1.0 LF in a value is an error",
			enc:  e10,
			f:    fr(CmdSend, "", "k", "a\nb"),
			err:  synErr(CmdSend, "line feed"),
		},
		{
			name: "1.0 CR in a value is an error",
			enc:  e10,
			f:    fr(CmdSend, "", "k", "a\rb"),
			err:  synErr(CmdSend, "carriage return"),
		},
		{
			name: "1.0 LF in a header name is an error",
			enc:  e10,
			f:    fr(CmdSend, "", "a\nb", "v"),
			err:  synErr(CmdSend, "line feed"),
		},
		{
			name: "1.0 colon in a header name is an error",
			enc:  e10,
			f:    fr(CmdSubscribe, "", "a:b", "v"),
			err:  synErr(CmdSubscribe, "colon"),
		},
		{
			name: "zero Encoder encodes 1.0",
			enc:  Encoder{},
			f:    fr(CmdSend, "", "k", "a:b\\c"),
			want: "SEND\nk:a:b\\c\ncontent-length:0\n\n\x00",
		},
		{
			name: "UTF-8 text passes through",
			enc:  e12,
			f:    fr(CmdSend, "", "clé", "värde ✓ 日本"),
			want: "SEND\nclé:värde ✓ 日本\ncontent-length:0\n\n\x00",
		},

		// CONNECT, STOMP and CONNECTED are never escaped.
		{
			name: "CONNECT headers are never escaped",
			enc:  e12,
			f:    fr(CmdConnect, "", "accept-version", "1.0,1.1,1.2", "host", "h", "login", "us\\er", "passcode", "p:w"),
			want: "CONNECT\naccept-version:1.0,1.1,1.2\nhost:h\nlogin:us\\er\npasscode:p:w\n\n\x00",
		},
		{
			name: "STOMP headers are never escaped",
			enc:  e11,
			f:    fr(CmdStomp, "", "accept-version", "1.1", "host", "a:b\\c"),
			want: "STOMP\naccept-version:1.1\nhost:a:b\\c\n\n\x00",
		},
		{
			name: "CONNECTED headers are never escaped",
			enc:  e12,
			f:    fr(CmdConnected, "", "version", "1.2", "server", "Broker/1.0 a:b\\c"),
			want: "CONNECTED\nversion:1.2\nserver:Broker/1.0 a:b\\c\n\n\x00",
		},
		{
			name: "LF in a CONNECT value is an error",
			enc:  e12,
			f:    fr(CmdConnect, "", "login", "a\nb"),
			err:  synErr(CmdConnect, "line feed"),
		},
		{
			name: "CR in a CONNECTED value is an error",
			enc:  e12,
			f:    fr(CmdConnected, "", "server", "a\rb"),
			err:  synErr(CmdConnected, "carriage return"),
		},
		{
			name: "colon in a STOMP header name is an error",
			enc:  e12,
			f:    fr(CmdStomp, "", "a:b", "v"),
			err:  synErr(CmdStomp, "colon"),
		},

		// What no version can represent.
		{
			name: "NUL in a header value is an error",
			enc:  e12,
			f:    fr(CmdSend, "", "k", "a\x00b"),
			err:  synErr(CmdSend, "NUL"),
		},
		{
			name: "1.0 NUL in a header value is an error",
			enc:  e10,
			f:    fr(CmdSend, "", "k", "\x00"),
			err:  synErr(CmdSend, "NUL"),
		},
		{
			name: "NUL in a header name is an error",
			enc:  e11,
			f:    fr(CmdSend, "", "a\x00", "v"),
			err:  synErr(CmdSend, "NUL"),
		},
		{
			name: "empty header name is an error",
			enc:  e12,
			f:    fr(CmdSend, "", "destination", "/q", "", "v"),
			err:  synErr(CmdSend, "empty header name"),
		},
		{
			name: "invalid command is an error",
			enc:  e12,
			f:    fr(CmdInvalid, ""),
			err:  synErr(CmdInvalid, "cannot encode command"),
		},
		{
			name: "out of range command is an error",
			enc:  e12,
			f:    fr(Command(200), ""),
			err:  synErr(CmdInvalid, "cannot encode command"),
		},
		{
			name: "error after a header already written",
			enc:  e12,
			f:    fr(CmdSend, "long body", "destination", "/queue/a", "receipt", "r-1", "bad", "a\x00"),
			err:  synErr(CmdSend, "NUL"),
		},

		// content-length.
		{
			name: "user content-length header is ignored",
			enc:  e12,
			f:    fr(CmdSend, "abc", "content-length", "99", "destination", "/q", "content-length", "x"),
			want: "SEND\ndestination:/q\ncontent-length:3\n\nabc\x00",
		},
		{
			name: "content-length on a command without a body is dropped",
			enc:  e12,
			f:    fr(CmdSubscribe, "", "content-length", "5", "id", "0"),
			want: "SUBSCRIBE\nid:0\n\n\x00",
		},
		{
			name: "content-length counts bytes, not characters",
			enc:  e12,
			f:    fr(CmdSend, "é✓"),
			want: "SEND\ncontent-length:5\n\né✓\x00",
		},
		{
			name: "binary body with NULs",
			enc:  e10,
			f:    fr(CmdSend, "\x00a\x00", "destination", "/q"),
			want: "SEND\ndestination:/q\ncontent-length:3\n\n\x00a\x00\x00",
		},
		{
			name: "empty MESSAGE carries content-length 0",
			enc:  e11,
			f:    fr(CmdMessage, "", "message-id", "1"),
			want: "MESSAGE\nmessage-id:1\ncontent-length:0\n\n\x00",
		},
		{
			name: "empty ERROR carries content-length 0",
			enc:  e12,
			f:    fr(CmdError, "", "message", "bad"),
			want: "ERROR\nmessage:bad\ncontent-length:0\n\n\x00",
		},
		{
			name: "empty non-nil body is no body",
			enc:  e12,
			f:    &Frame{Command: CmdReceipt, Headers: Headers{{"receipt-id", "1"}}, Body: []byte{}},
			want: "RECEIPT\nreceipt-id:1\n\n\x00",
		},
		{
			name: "OmitTextContentLength omits it for a text body",
			enc:  Encoder{Version: V12, OmitTextContentLength: true},
			f:    fr(CmdSend, "hello", "destination", "/q", "content-length", "5"),
			want: "SEND\ndestination:/q\n\nhello\x00",
		},
		{
			name: "OmitTextContentLength omits it for an empty body",
			enc:  Encoder{Version: V11, OmitTextContentLength: true},
			f:    fr(CmdSend, ""),
			want: "SEND\n\n\x00",
		},
		{
			name: "OmitTextContentLength keeps it for a body with a NUL",
			enc:  Encoder{Version: V12, OmitTextContentLength: true},
			f:    fr(CmdSend, "a\x00b"),
			want: "SEND\ncontent-length:3\n\na\x00b\x00",
		},

		// Order and repeats.
		{
			name: "repeated keys are kept in order",
			enc:  e12,
			f:    fr(CmdSend, "", "k", "1", "j", "x", "k", "2"),
			want: "SEND\nk:1\nj:x\nk:2\ncontent-length:0\n\n\x00",
		},
		{
			name: "empty header value",
			enc:  e12,
			f:    fr(CmdUnsubscribe, "", "id", ""),
			want: "UNSUBSCRIBE\nid:\n\n\x00",
		},
	}

	for _, v := range Versions {
		cases = append(cases, encodeCase{
			name: v.String() + " heart-beat is a single LF",
			enc:  Encoder{Version: v},
			f:    &Frame{Command: Heartbeat},
			want: "\n",
		})
	}
	for c := CmdConnect; c < Heartbeat; c++ {
		if c.HasBody() {
			cases = append(cases, encodeCase{
				name: c.String() + " may carry a body",
				enc:  e12,
				f:    fr(c, "body", "id", "1"),
				want: c.String() + "\nid:1\ncontent-length:4\n\nbody\x00",
			})
		} else {
			cases = append(cases, encodeCase{
				name: c.String() + " without a body has no content-length",
				enc:  e12,
				f:    fr(c, "", "id", "1"),
				want: c.String() + "\nid:1\n\n\x00",
			}, encodeCase{
				name: c.String() + " cannot carry a body",
				enc:  e12,
				f:    fr(c, "body", "id", "1"),
				err:  synErr(c, "cannot carry a body"),
			})
		}
	}
	return cases
}

func TestEncode(t *testing.T) {
	for _, tc := range encodeCases() {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.enc.Append(nil, tc.f)
			if tc.err != nil {
				requireErrLike(t, tc.err, err)
				assert.Nil(t, got)
			} else {
				require.NoError(t, err)
				assert.Equal(t, tc.want, string(got))
			}

			// Appending to a slice with room, and to one without.
			for _, dst := range [][]byte{make([]byte, 3, 1024), []byte("abc")} {
				copy(dst, "abc")
				got, err := tc.enc.Append(dst, tc.f)
				if tc.err != nil {
					requireErrLike(t, tc.err, err)
					// dst itself comes back, unchanged.
					require.Len(t, got, len(dst))
					assert.Equal(t, cap(dst), cap(got))
					assert.Same(t, &dst[0], &got[0])
					assert.Equal(t, "abc", string(got))
				} else {
					require.NoError(t, err)
					assert.Equal(t, "abc"+tc.want, string(got))
				}
			}

			// AppendFrame is the same as an Encoder of that version.
			if !tc.enc.OmitTextContentLength && tc.enc.Version != 0 {
				got, err := AppendFrame(nil, tc.f, tc.enc.Version)
				if tc.err != nil {
					requireErrLike(t, tc.err, err)
				} else {
					require.NoError(t, err)
					assert.Equal(t, tc.want, string(got))
				}
			}
		})
	}
}

// The encoder never changes the frame it is given.
func TestEncodeLeavesFrameAlone(t *testing.T) {
	f := fr(CmdSend, "a\x00b", "content-length", "1", "k", "a:b\nc")
	before := f.Clone()
	_, err := AppendFrame(nil, f, V12)
	require.NoError(t, err)
	assert.Equal(t, before, f)
}

func TestEncodeAllocations(t *testing.T) {
	f := fr(CmdSend, repeat("x", 100), "destination", "/queue/a", "receipt", "r:1", "content-type", "text/plain")
	buf := make([]byte, 0, 1024)
	for _, enc := range []Encoder{{Version: V10}, {Version: V11}, {Version: V12}, {Version: V12, OmitTextContentLength: true}} {
		allocs := testing.AllocsPerRun(100, func() {
			var err error
			buf, err = enc.Append(buf[:0], f)
			if err != nil {
				panic(err)
			}
		})
		assert.Zero(t, allocs, "encoder %+v", enc)
	}
}

// plainLen finds the first byte that is not plain text wherever it is,
// whatever bytes surround it (UTF-8 and other high bytes included).
func TestPlainLenFindsEveryNonPlainByte(t *testing.T) {
	naive := func(s string) int {
		for i := 0; i < len(s); i++ {
			if byteClass[s[i]] != clsPlain {
				return i
			}
		}
		return len(s)
	}
	fills := []byte{'a', 0x7f, 0x80, 0xff, ' ', '9', ';', '[', ']', 0x1f + 1}
	for n := 0; n <= 24; n++ {
		for _, fill := range fills {
			base := bytes.Repeat([]byte{fill}, n)
			require.Equal(t, n, plainLen(string(base)), "n=%d fill=%#x", n, fill)
			for pos := 0; pos < n; pos++ {
				for c := 0; c < 256; c++ {
					b := append([]byte(nil), base...)
					b[pos] = byte(c)
					if got, want := plainLen(string(b)), naive(string(b)); got != want {
						t.Fatalf("plainLen(%q) = %d, want %d", b, got, want)
					}
				}
			}
		}
	}
}

func BenchmarkPlainLen(b *testing.B) {
	s := "/topic/stompactor-bench-destination"
	for b.Loop() {
		if plainLen(s) != len(s) {
			b.Fatal("not plain")
		}
	}
}
