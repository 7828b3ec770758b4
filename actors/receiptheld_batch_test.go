package actors

import (
	"bufio"
	"context"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stompactor/stompactor/frames"
	"github.com/stretchr/testify/require"
)

// skimFrame reads one client frame from r, its body skipped by its
// content-length, and returns its command and headers.
func skimFrame(r *bufio.Reader) (string, map[string]string, error) {
	cmd := ""
	for cmd == "" { // heart-beats and the EOLs between frames
		line, err := r.ReadString('\n')
		if err != nil {
			return "", nil, err
		}
		cmd = strings.TrimRight(line, "\r\n")
	}
	hdrs := map[string]string{}
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return "", nil, err
		}
		h := strings.TrimRight(line, "\r\n")
		if h == "" {
			break
		}
		if k, v, ok := strings.Cut(h, ":"); ok {
			if _, seen := hdrs[k]; !seen {
				hdrs[k] = v
			}
		}
	}
	length, err := strconv.ParseInt(hdrs["content-length"], 10, 64)
	if err != nil {
		return "", nil, err
	}
	_, err = io.CopyN(io.Discard, r, length+1) // the body and its NUL
	return cmd, hdrs, err
}

// A small receipted SEND that one write carries ahead of a large frame
// (both gathered while the write before them was under way): its RECEIPT,
// which the broker sends once it read the SEND whole, confirms it once
// its bytes left, whatever becomes of the rest of that write. Here the
// broker then stops reading (flow control, a resource alarm), so the rest
// never leaves; the call still hears nil at once, with an absolute wait
// as with an inactivity one, whichever encodes the frame (its sender, or
// the writer, which does when SENDs are announced).
func TestAReceiptOfAFrameWrittenWholeIsNotHeldBehindTheRestOfItsBatch(t *testing.T) {
	const wait = 4 * time.Second
	for _, mode := range []string{"absolute", "inactivity"} {
		for _, path := range []string{"sender", "writer"} {
			t.Run(mode+"/"+path, func(t *testing.T) {
				read, finish := make(chan struct{}), make(chan struct{})
				answered := make(chan string, 1)
				srv := newScriptedServer(t, func(conn net.Conn, r *bufio.Reader) {
					if _, err := r.ReadString(0); err != nil {
						return
					}
					_, _ = conn.Write([]byte(connectedFrame("1.2")))
					select {
					case <-read:
					case <-finish:
						return
					}
					for range 2 { // the first large SEND, then the small one
						cmd, hdrs, err := skimFrame(r)
						if err != nil || cmd != "SEND" {
							return
						}
						if id, ok := hdrs["receipt"]; ok {
							answered <- hdrs["destination"]
							_, _ = conn.Write([]byte(rawFrame("RECEIPT", "", "receipt-id", id)))
						}
					}
					<-finish // and reads no more
				})
				c, _ := newTestClient(t, ConnOptions{})
				t.Cleanup(func() { close(finish) }) // first: the server stops, the client's write ends
				c.SetMessageOutEvents(path == "writer")
				c.SetAbsoluteWrites(mode == "absolute")
				connectTo(t, c, srv.addr(), ConnectConfig{Versions: []frames.Version{frames.V12}})

				send := func(dest string, size int) *frames.Frame {
					f := frames.New(frames.CmdSend)
					f.Headers.Add(frames.HdrDestination, dest)
					f.Body = make([]byte, size)
					return f
				}
				// The first large SEND keeps the writer busy: the broker
				// reads nothing yet.
				require.NoError(t, c.Send(testCtx(t), send("/big/1", 32<<20), 0, false))
				var ctx context.Context
				var cancel context.CancelFunc
				if mode == "absolute" {
					ctx, cancel = context.WithTimeout(context.Background(), wait)
				} else {
					ctx, cancel = c.InactivityContext(context.Background(), wait)
				}
				defer cancel()
				errc := make(chan error, 1)
				if path == "writer" {
					waitFor(t, "the writer to take the first", func() bool { return inbox(c) == 0 })
				}
				go func() { errc <- c.Send(ctx, send("/small", 10), wait*9/10, true) }()
				// From then on the second large SEND is queued behind it.
				if path == "writer" {
					waitFor(t, "the small SEND in the writer's mailbox", func() bool { return inbox(c) == 1 })
				} else { // its receipt is registered as it is encoded
					waitFor(t, "the small SEND's receipt", func() bool { return c.Stats().ReceiptsPending == 1 })
				}
				require.NoError(t, c.Send(testCtx(t), send("/big/2", 32<<20), 0, false))
				close(read)
				require.Equal(t, "/small", recv(t, answered, "the broker's RECEIPT"))
				start := time.Now()
				require.NoError(t, recv(t, errc, "the small SEND's outcome"), "its RECEIPT held behind the rest of its write")
				require.Less(t, time.Since(start), wait/2, "confirmed only as its wait ran out")
			})
		}
	}
}

// inbox is how many writeFrames are on their way to c's writer.
func inbox(c *Conn) int {
	q := c.link.Load().out
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.inbox
}
