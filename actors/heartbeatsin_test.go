package actors

import (
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/stompactor/stompactor/frames"
)

// paddingBroker is a scripted broker that ends every frame with an EOL
// after its NUL, as RabbitMQ and ActiveMQ do, and writes before the RECEIPT
// of the n-th receipted frame the EOLs beats(n) returns.
func paddingBroker(t *testing.T, serverBeat string, beats func(n int) string) *scriptedServer {
	t.Helper()
	n := 0
	srv, _ := newBroker(t, connectedFrame("1.2", "heart-beat", serverBeat)+"\n", func(p *peer, f *frames.Frame) bool {
		if id, ok := f.Headers.Get(frames.HdrReceipt); ok {
			n++
			p.write(beats(n) + rawFrame("RECEIPT", "", "receipt-id", id) + "\n")
		}
		return f.Command != frames.CmdDisconnect
	})
	return srv
}

// sendReceipted sends n SENDs, each waiting for its RECEIPT.
func sendReceipted(t *testing.T, c *Conn, n int) {
	t.Helper()
	for i := 0; i < n; i++ {
		require.NoError(t, c.Send(testCtx(t), frames.New(frames.CmdSend, frames.HdrDestination, "/queue/hb"), 5*time.Second, true))
	}
}

// Stats.HeartbeatsIn stays 0 when no incoming heart-beats were
// negotiated: neither the EOL a broker such as RabbitMQ writes after each
// frame's NUL (the frame's padding, which STOMP allows) nor any other EOL
// is a heart-beat then. Before, every padding EOL was counted: 20
// receipted sends to RabbitMQ with heart-beats 0,0 showed FramesIn 21 and
// HeartbeatsIn 21 (review cluster, finding 4).
func TestHeartbeatsInZeroWithoutNegotiatedHeartbeats(t *testing.T) {
	for _, tc := range []struct {
		name       string
		clientIn   time.Duration
		serverBeat string
	}{
		{"neither side", 0, "0,0"},
		{"the server offers, the client wants none", 0, "50,0"},
		{"the client wants, the server offers none", 10 * time.Second, "0,0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := paddingBroker(t, tc.serverBeat, func(n int) string { return strings.Repeat("\n", n%3) })
			c, _ := newTestClient(t, ConnOptions{})
			info := connectTo(t, c, srv.addr(), ConnectConfig{HeartbeatIn: tc.clientIn})
			require.Zero(t, info.HeartbeatIn)
			sendReceipted(t, c, 20)
			st := c.Stats()
			require.EqualValues(t, 21, st.FramesIn, "CONNECTED and 20 RECEIPTs")
			require.Zero(t, st.HeartbeatsIn, "heart-beats counted on a connection that negotiated none (FramesIn %d)", st.FramesIn)
			require.NoError(t, c.Disconnect(testCtx(t), true, 5*time.Second))
		})
	}
}

// With incoming heart-beats negotiated, every EOL counts but the one right
// after a frame's NUL, which is its padding: here each frame is padded
// with one EOL, and n%3 EOLs come before the n-th RECEIPT.
func TestHeartbeatsInCountsBeatsNotPadding(t *testing.T) {
	srv := paddingBroker(t, "500,0", func(n int) string { return strings.Repeat("\n", n%3) })
	c, _ := newTestClient(t, ConnOptions{})
	info := connectTo(t, c, srv.addr(), ConnectConfig{HeartbeatIn: 10 * time.Second})
	require.Equal(t, 10*time.Second, info.HeartbeatIn)
	const sends = 20
	sendReceipted(t, c, sends)
	want := 0
	for n := 1; n <= sends; n++ {
		want += n % 3
	}
	st := c.Stats()
	require.EqualValues(t, sends+1, st.FramesIn)
	require.EqualValues(t, want, st.HeartbeatsIn, "the EOLs between frames, less each frame's padding")
	require.Zero(t, st.HeartbeatsMissed)
	require.NoError(t, c.Disconnect(testCtx(t), true, 5*time.Second))
}

// The first EOL after a frame is its padding however the reads split
// them: a broker that writes the padding EOL apart from its frame (here
// in a write of its own, after the client could have read the frame)
// gets the same count. A broker that does not pad at all has its first
// EOL after each frame taken for padding, and the EOLs read with it too
// (documented on Stats.HeartbeatsIn): its beats, written together here,
// count none. Each round is read whole before the next SEND (BytesIn):
// beats written at once after a padding the client has not read yet
// would be read with it, and taken for padding (documented).
func TestHeartbeatsInPaddingAnyRead(t *testing.T) {
	var written atomic.Int64 // the bytes the broker writes, counted before
	for _, tc := range []struct {
		name  string
		write func(p *peer, id string, n int)
		want  func(n int) int
	}{
		{"padding in its own write", func(p *peer, id string, n int) {
			beats, frame := strings.Repeat("\n", n%3), rawFrame("RECEIPT", "", "receipt-id", id)
			written.Add(int64(len(beats) + len(frame) + 1))
			p.write(beats)
			p.write(frame)
			p.write("\n")
		}, func(n int) int { return n % 3 }},
		{"no padding", func(p *peer, id string, n int) {
			beats, frame := strings.Repeat("\n", n%3), rawFrame("RECEIPT", "", "receipt-id", id)
			written.Add(int64(len(beats) + len(frame)))
			p.write(beats)
			p.write(frame)
		}, func(int) int { return 0 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := 0
			connected := connectedFrame("1.2", "heart-beat", "500,0")
			if tc.name != "no padding" {
				connected += "\n"
			}
			srv, _ := newBroker(t, connected, func(p *peer, f *frames.Frame) bool {
				if id, ok := f.Headers.Get(frames.HdrReceipt); ok {
					n++
					tc.write(p, id, n)
				}
				return f.Command != frames.CmdDisconnect
			})
			written.Store(int64(len(connected)))
			c, _ := newTestClient(t, ConnOptions{})
			connectTo(t, c, srv.addr(), ConnectConfig{HeartbeatIn: 10 * time.Second})
			const sends = 12
			for range sends {
				sendReceipted(t, c, 1)
				waitFor(t, "the round read whole", func() bool { return c.Stats().BytesIn == written.Load() })
			}
			want := 0
			for i := 1; i <= sends; i++ {
				want += tc.want(i)
			}
			require.EqualValues(t, want, c.Stats().HeartbeatsIn, fmt.Sprintf("%s: %+v", tc.name, c.Stats()))
			require.NoError(t, c.Disconnect(testCtx(t), true, 5*time.Second))
		})
	}
}

// A broker that ends every frame with two EOLs (STOMP allows any number)
// and sends no heart-beat at all while heart-beats are negotiated: the
// whole run of EOLs read with a frame's NUL is padding.
func TestHeartbeatsInSkipsEveryPaddingEOL(t *testing.T) {
	for _, pad := range []string{"\n\n", "\n\n\n", "\r\n\r\n", "\n\r\n\n"} {
		t.Run(strings.ReplaceAll(strings.ReplaceAll(pad, "\r", "CR"), "\n", "LF"), func(t *testing.T) {
			srv, _ := newBroker(t, connectedFrame("1.2", "heart-beat", "500,0")+pad, func(p *peer, f *frames.Frame) bool {
				if id, ok := f.Headers.Get(frames.HdrReceipt); ok {
					p.write(rawFrame("RECEIPT", "", "receipt-id", id) + pad)
				}
				return f.Command != frames.CmdDisconnect
			})
			c, _ := newTestClient(t, ConnOptions{})
			connectTo(t, c, srv.addr(), ConnectConfig{HeartbeatIn: 10 * time.Second})
			sendReceipted(t, c, 10)
			require.Zero(t, c.Stats().HeartbeatsIn, "the broker sent no heart-beat: %+v", c.Stats())
			require.NoError(t, c.Disconnect(testCtx(t), true, 5*time.Second))
		})
	}
}

// CRLF EOLs: each frame padded with one CRLF, and n%3 CRLF heart-beats
// written before the n-th RECEIPT (with it, in one write): the beats
// start the read, so they count.
func TestHeartbeatsInCRLF(t *testing.T) {
	n := 0
	srv, _ := newBroker(t, connectedFrame("1.2", "heart-beat", "500,0")+"\r\n", func(p *peer, f *frames.Frame) bool {
		if id, ok := f.Headers.Get(frames.HdrReceipt); ok {
			n++
			p.write(strings.Repeat("\r\n", n%3) + rawFrame("RECEIPT", "", "receipt-id", id) + "\r\n")
		}
		return f.Command != frames.CmdDisconnect
	})
	c, _ := newTestClient(t, ConnOptions{})
	connectTo(t, c, srv.addr(), ConnectConfig{HeartbeatIn: 10 * time.Second})
	const sends = 12
	sendReceipted(t, c, sends)
	want := 0
	for i := 1; i <= sends; i++ {
		want += i % 3
	}
	require.EqualValues(t, want, c.Stats().HeartbeatsIn, "%+v", c.Stats())
	require.NoError(t, c.Disconnect(testCtx(t), true, 5*time.Second))
}
