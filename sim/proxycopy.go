package sim

import (
	"errors"
	"io"
	"net"
	"strings"

	"github.com/stompactor/stompactor/frames"
)

// toClient decodes the server's frames, passes them through the frame
// faults and re-encodes them for the client, flushing whenever the decoder
// has nothing more buffered.
func (pc *proxyConn) toClient() {
	dec := frames.NewDecoder(pc.server, frames.V12, proxyLimits)
	for {
		f, err := dec.Decode()
		if err != nil {
			pc.wmu.Lock()
			_ = pc.w.Flush()
			pc.wmu.Unlock()
			pc.end(closeGraceful)
			return
		}
		var v frames.Version
		if f.Command == frames.CmdConnected {
			v = frames.V10
			if s, ok := f.Headers.Get(frames.HdrVersion); ok {
				if pv, err := frames.ParseVersion(strings.TrimSpace(s)); err == nil {
					v = pv
				}
			}
			dec.SetVersion(v)
		}
		pc.wmu.Lock()
		mode, err := keepOpen, error(nil)
		if pc.filter != nil {
			mode, err = pc.filter.toClient(f, pc.w.WriteFrame)
		} else {
			err = pc.w.WriteFrame(f)
		}
		if v != 0 {
			pc.w.SetVersion(v)
		}
		var ferr error
		if pc.perFrame || dec.Buffered() == 0 || mode != keepOpen || err != nil {
			ferr = pc.w.Flush()
		}
		pc.wmu.Unlock()
		if err != nil || ferr != nil {
			mode = closeAbort
		}
		if mode != keepOpen {
			pc.end(mode)
			return
		}
	}
}

// toServer forwards the client's bytes to the server unchanged (but for
// the byte faults on the client's connection). It decodes a copy of them to
// tell the frame faults about DISCONNECT receipts and to count frames for
// DropConn; every frame is seen before its last byte is forwarded. Input it
// cannot decode is forwarded raw from then on.
func (pc *proxyConn) toServer() {
	sn := &sniffer{src: pc.client, dst: pc.server}
	dec := frames.NewDecoder(sn, frames.V12, proxyLimits)
	var start int64 // where the frame being decoded starts
	for {
		f, err := dec.Decode()
		if err != nil {
			if sn.flush() == nil && !errors.Is(err, io.EOF) && !isNetError(err) && !errors.Is(err, io.ErrUnexpectedEOF) {
				_, _ = io.Copy(pc.server, pc.client)
			}
			if cw, ok := pc.server.(interface{ CloseWrite() error }); ok {
				_ = cw.CloseWrite()
			}
			return
		}
		if f.Command == frames.CmdConnect || f.Command == frames.CmdStomp {
			if _, ok := f.Headers.Get(frames.HdrAcceptVersion); !ok {
				dec.SetVersion(frames.V10)
			}
		}
		if pc.filter != nil && pc.filter.fromClient(f) {
			_ = sn.flushTo(start)
			pc.closeBoth()
			return
		}
		start = dec.BytesRead() - int64(dec.Buffered())
	}
}

// sniffer hands the decoder the client's bytes and forwards them to the
// server each time the decoder asks for more, that is once every frame
// already buffered has been decoded.
type sniffer struct {
	src     io.Reader
	dst     io.Writer
	pending []byte
	fwd     int64 // stream offset of pending[0]
}

func (s *sniffer) Read(p []byte) (int, error) {
	if err := s.flush(); err != nil {
		return 0, err
	}
	n, err := s.src.Read(p)
	s.pending = append(s.pending, p[:n]...)
	return n, err
}

// flush forwards every pending byte.
func (s *sniffer) flush() error { return s.flushTo(s.fwd + int64(len(s.pending))) }

// flushTo forwards the pending bytes before stream offset off.
func (s *sniffer) flushTo(off int64) error {
	n := int(min(max(off-s.fwd, 0), int64(len(s.pending))))
	if n == 0 {
		return nil
	}
	_, err := s.dst.Write(s.pending[:n])
	s.fwd += int64(n)
	s.pending = append(s.pending[:0], s.pending[n:]...)
	return err
}

// isNetError reports whether err comes from a socket rather than the codec.
func isNetError(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) || errors.Is(err, net.ErrClosed)
}
