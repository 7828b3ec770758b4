package actors

import (
	"bufio"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stompactor/stompactor/frames"
	"github.com/stretchr/testify/require"
)

// earlyReceiptServer answers CONNECT, reads the headers of the first
// frame that asks for a receipt, answers its RECEIPT at once, before
// reading its body, and then reads drain bytes of the rest (-1: all of
// it) and resets the connection.
func earlyReceiptServer(t *testing.T, drain int64) *scriptedServer {
	return newScriptedServer(t, func(conn net.Conn, r *bufio.Reader) {
		if _, err := r.ReadString(0); err != nil {
			return
		}
		_, _ = conn.Write([]byte(connectedFrame("1.2")))
		rid, length := "", int64(0)
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			h := strings.TrimRight(line, "\r\n")
			if v, ok := strings.CutPrefix(h, "receipt:"); ok {
				rid = v
			}
			if v, ok := strings.CutPrefix(h, "content-length:"); ok {
				length, _ = strconv.ParseInt(v, 10, 64)
			}
			if h == "" && rid != "" {
				break
			}
		}
		_, _ = conn.Write([]byte(rawFrame("RECEIPT", "", "receipt-id", rid)))
		if drain < 0 {
			drain = length + 1
		}
		_, _ = io.CopyN(io.Discard, r, drain)
		if drain <= length {
			_ = conn.(*net.TCPConn).SetLinger(0) // a reset: the client's write fails at once
		}
	})
}

// A receipted SEND whose RECEIPT comes while it is still being written,
// by either path (encoded by its sender, or by the writer, which does so
// when SENDs are announced): confirmed once the broker read it whole, not
// when the broker drops the connection with most of it unread.
func TestAnEarlyReceiptConfirmsOnlyAFrameWrittenWhole(t *testing.T) {
	for _, path := range []string{"sender", "writer"} {
		for _, whole := range []bool{true, false} {
			t.Run(path+"/whole="+strconv.FormatBool(whole), func(t *testing.T) {
				drain := int64(-1)
				if !whole {
					drain = 2 << 20
				}
				srv := earlyReceiptServer(t, drain)
				c, _ := newTestClient(t, ConnOptions{})
				c.SetMessageOutEvents(path == "writer")
				connectTo(t, c, srv.addr(), ConnectConfig{Versions: []frames.Version{frames.V12}})
				f := frames.New(frames.CmdSend)
				f.Headers.Add(frames.HdrDestination, "/q")
				f.Body = make([]byte, 32<<20)
				err := c.Send(testCtx(t), f, 10*time.Second, true)
				if whole {
					require.NoError(t, err)
					return
				}
				require.Error(t, err, "confirmed by a RECEIPT that came while the frame was being written, whose write then failed")
				require.ErrorIs(t, err, ErrOutcomeUnknown)
			})
		}
	}
}
