package actors

import (
	"bufio"
	"io"
	"net"
	"testing"
	"time"

	"github.com/stompactor/stompactor/frames"
)

// sinkServer completes the handshake and then swallows everything,
// answering receipts when receipts is true.
func sinkServer(b *testing.B, receipts bool) *scriptedServer {
	return newScriptedServer(b, func(conn net.Conn, r *bufio.Reader) {
		if _, err := readFrame(r); err != nil {
			return
		}
		if _, err := conn.Write([]byte(connectedFrame("1.2"))); err != nil {
			return
		}
		if !receipts {
			_, _ = io.Copy(io.Discard, r)
			return
		}
		dec := frames.NewDecoder(r, frames.V12, frames.Limits{})
		out := bufio.NewWriter(conn)
		for {
			f, err := dec.Decode()
			if err != nil {
				return
			}
			if id, ok := f.Headers.Get(frames.HdrReceipt); ok {
				_, _ = out.WriteString("RECEIPT\nreceipt-id:" + id + "\n\n\x00")
				if dec.Buffered() == 0 {
					_ = out.Flush()
				}
			}
		}
	})
}

// BenchmarkPublish measures SEND throughput with 100-byte bodies against
// a server that only reads.
func BenchmarkPublish(b *testing.B) {
	body := make([]byte, 100)
	for i := range body {
		body[i] = 'a' + byte(i%26)
	}
	cases := []struct {
		name     string
		wait     bool
		receipt  time.Duration
		parallel bool
	}{
		{name: "wait=false"},
		{name: "wait=true", wait: true},
		{name: "wait=true/parallel", wait: true, parallel: true},
		{name: "receipt", receipt: time.Minute},
		{name: "receipt/parallel", receipt: time.Minute, parallel: true},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			srv := sinkServer(b, tc.receipt > 0)
			c := mustConn(b, nil, ConnOptions{})
			b.Cleanup(c.Close)
			ctx := testCtxLong(b)
			if _, err := c.Connect(ctx, ConnectConfig{Addr: srv.addr()}); err != nil {
				b.Fatal(err)
			}
			send := func() {
				f := frames.New(frames.CmdSend, frames.HdrDestination, "/queue/bench", frames.HdrContentType, "text/plain")
				f.Body = body
				if err := c.Send(ctx, f, tc.receipt, tc.wait); err != nil {
					b.Error(err)
				}
			}
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			b.ResetTimer()
			if tc.parallel {
				b.SetParallelism(8)
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						send()
					}
				})
			} else {
				for range b.N {
					send()
				}
			}
			// Everything queued is on the wire once this is.
			if err := c.Send(ctx, frames.New(frames.CmdSend, frames.HdrDestination, "/queue/bench"), 0, true); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
		})
	}
}
