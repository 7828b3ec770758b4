package sim

import (
	"bytes"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/stompactor/stompactor/frames"
)

// BenchmarkQueueThroughput measures one producer sending 100-byte messages
// through a queue to one auto-ack consumer, over raw frames. Besides
// msgs/s it reports cpu-ns/msg, the CPU time the whole process (broker,
// producer and consumer) spent per message, which other load on the
// machine does not inflate the way it does wall-clock figures.
func BenchmarkQueueThroughput(b *testing.B) {
	for _, transport := range []string{"tcp", "pipe"} {
		b.Run(transport, func(b *testing.B) {
			br, err := NewBroker()
			if err != nil {
				b.Fatal(err)
			}
			defer br.Close()
			dial := func() net.Conn {
				if transport == "pipe" {
					c, err := br.ServePipe()
					if err != nil {
						b.Fatal(err)
					}
					return c
				}
				c, err := net.Dial("tcp", br.Addr())
				if err != nil {
					b.Fatal(err)
				}
				return c
			}
			cons, prod := dial(), dial()
			defer cons.Close()
			defer prod.Close()
			cdec := frames.NewDecoder(cons, frames.V12, frames.Limits{})
			pdec := frames.NewDecoder(prod, frames.V12, frames.Limits{})
			expectBench(b, cons, cdec, "CONNECT\naccept-version:1.2\nhost:/\n\n\x00", frames.CmdConnected)
			expectBench(b, cons, cdec, "SUBSCRIBE\nid:0\ndestination:/queue/bench\nack:auto\nreceipt:s\n\n\x00", frames.CmdReceipt)
			expectBench(b, prod, pdec, "CONNECT\naccept-version:1.2\nhost:/\n\n\x00", frames.CmdConnected)

			one := "SEND\ndestination:/queue/bench\ncontent-type:text/plain\ncontent-length:100\n\n" +
				strings.Repeat("x", 100) + "\x00"
			const perWrite = 256
			chunk := bytes.Repeat([]byte(one), perWrite)
			b.SetBytes(100)
			b.ReportAllocs()
			b.ResetTimer()
			start := time.Now()
			cpu0, cpuOK := cpuTime()
			werr := make(chan error, 1)
			go func() {
				left := b.N
				for left > 0 {
					n := min(left, perWrite)
					if _, err := prod.Write(chunk[:n*len(one)]); err != nil {
						werr <- err
						return
					}
					left -= n
				}
				werr <- nil
			}()
			for got := 0; got < b.N; {
				f, err := cdec.Decode()
				if err != nil {
					b.Fatal(err)
				}
				if f.Command == frames.CmdMessage {
					got++
				}
			}
			elapsed := time.Since(start)
			cpu1, _ := cpuTime()
			b.StopTimer()
			if err := <-werr; err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "msgs/s")
			if cpuOK {
				b.ReportMetric(float64(cpu1-cpu0)/float64(b.N), "cpu-ns/msg")
			}
		})
	}
}

// expectBench writes a frame and reads until a frame of the given command.
func expectBench(b *testing.B, c io.Writer, d *frames.Decoder, raw string, want frames.Command) {
	b.Helper()
	if _, err := io.WriteString(c, raw); err != nil {
		b.Fatal(err)
	}
	for {
		f, err := d.Decode()
		if err != nil {
			b.Fatal(err)
		}
		if f.Command == want {
			return
		}
		if f.Command == frames.CmdError {
			b.Fatalf("ERROR: %v", f)
		}
	}
}
