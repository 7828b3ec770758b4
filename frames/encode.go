package frames

import (
	"bytes"
	"strconv"
)

// Encoder turns frames into wire bytes for one protocol version. The zero
// Encoder encodes STOMP 1.0; set Version for the negotiated one.
type Encoder struct {
	// Version selects the escaping rules and line endings.
	Version Version
	// OmitTextContentLength leaves out the content-length header when the
	// body holds no NUL byte (the body then ends at the frame's NUL). By
	// default every frame that carries a body gets a content-length.
	OmitTextContentLength bool
}

// AppendFrame appends the wire form of f in version v to dst.
// See Encoder.Append.
func AppendFrame(dst []byte, f *Frame, v Version) ([]byte, error) {
	return Encoder{Version: v}.Append(dst, f)
}

// Append appends the wire form of f to dst and returns the extended slice.
//
// A content-length header is computed from the body; any content-length in
// f.Headers is ignored. Headers are escaped as the version requires, except
// on CONNECT, STOMP and CONNECTED frames. A header the version cannot
// represent, a body on a command that cannot carry one, or an invalid
// command returns a *SyntaxError and dst itself, unchanged: its length and
// contents are the same, though bytes past its length may have been written.
func (e Encoder) Append(dst []byte, f *Frame) ([]byte, error) {
	orig := dst
	cmd := f.Command
	if cmd == Heartbeat {
		return append(dst, '\n'), nil
	}
	if !cmd.Valid() {
		return dst, syntaxErr(CmdInvalid, "cannot encode command %v", cmd)
	}
	v := e.Version
	if v == 0 {
		v = V10
	}
	if len(f.Body) > 0 && !cmd.HasBody() {
		return dst, syntaxErr(cmd, "%s frames cannot carry a body", cmd)
	}
	escape := cmd.escapes(v)
	dst = append(dst, commands[cmd].name...)
	dst = append(dst, '\n')
	var err error
	for i := range f.Headers {
		h := &f.Headers[i]
		if h.Key == HdrContentLength {
			continue
		}
		if h.Key == "" {
			return orig, syntaxErr(cmd, "empty header name")
		}
		if dst, err = appendHeaderText(dst, h.Key, v, escape, true, cmd); err != nil {
			return orig, err
		}
		dst = append(dst, ':')
		if dst, err = appendHeaderText(dst, h.Value, v, escape, false, cmd); err != nil {
			return orig, err
		}
		dst = append(dst, '\n')
	}
	if cmd.HasBody() && !(e.OmitTextContentLength && bytes.IndexByte(f.Body, 0) < 0) {
		dst = append(dst, HdrContentLength...)
		dst = append(dst, ':')
		dst = strconv.AppendInt(dst, int64(len(f.Body)), 10)
		dst = append(dst, '\n')
	}
	dst = append(dst, '\n')
	dst = append(dst, f.Body...)
	return append(dst, 0), nil
}
