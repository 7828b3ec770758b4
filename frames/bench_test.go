package frames

import (
	"bytes"
	"fmt"
	"io"
	"testing"
)

var (
	benchBodySizes   = []int{0, 100, 4 << 10, 64 << 10}
	benchHeaderSizes = []int{3, 12}
)

// benchFrame returns a SEND or MESSAGE frame with n headers (3 or 12) and a
// body of size bytes, shaped like real traffic.
func benchFrame(cmd Command, n, size int) *Frame {
	var f *Frame
	if cmd == CmdSend {
		f = New(CmdSend, "destination", "/queue/orders", "content-type", "application/json", "receipt", "r-1024")
	} else {
		f = New(CmdMessage, "destination", "/queue/orders", "message-id", "ID:broker-1:2048", "subscription", "sub-0")
	}
	if n > 3 {
		f.Headers = append(f.Headers,
			Header{"persistent", "true"},
			Header{"priority", "4"},
			Header{"expires", "1735689600000"},
			Header{"timestamp", "1735686000000"},
			Header{"correlation-id", "7f3c9a2e-5b1d-4c8e-9f0a-1e2d3c4b5a69"},
			Header{"reply-to", "/temp-queue/replies"},
			Header{"x-trace-id", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"},
			Header{"x-tenant", "acme"},
			Header{"x-attempt", "1"},
		)
	}
	if size > 0 {
		f.Body = bytes.Repeat([]byte("0123456789abcdef"), size/16+1)[:size]
	}
	return f
}

func benchCases(b *testing.B, fn func(b *testing.B, f *Frame)) {
	for _, cmd := range []Command{CmdSend, CmdMessage} {
		for _, size := range benchBodySizes {
			for _, n := range benchHeaderSizes {
				name := fmt.Sprintf("%s/body=%s/headers=%d", cmd, sizeName(size), n)
				b.Run(name, func(b *testing.B) { fn(b, benchFrame(cmd, n, size)) })
			}
		}
	}
}

func sizeName(n int) string {
	if n >= 1<<10 {
		return fmt.Sprintf("%dKiB", n>>10)
	}
	return fmt.Sprintf("%dB", n)
}

func BenchmarkEncode(b *testing.B) {
	benchCases(b, func(b *testing.B, f *Frame) {
		buf, err := AppendFrame(nil, f, V12)
		if err != nil {
			b.Fatal(err)
		}
		b.SetBytes(int64(len(buf)))
		b.ReportAllocs()
		for b.Loop() {
			buf, err = AppendFrame(buf[:0], f, V12)
			if err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkDecode(b *testing.B) {
	benchDecode(b, func(d *Decoder) (int, error) {
		f, err := d.Decode()
		if err != nil {
			return 0, err
		}
		return len(f.Body), nil
	})
}

// BenchmarkDecodeOwned is BenchmarkDecode for frames the caller keeps, as
// a subscription's messages are: what each costs in allocations is the
// price of every message a busy consumer receives.
func BenchmarkDecodeOwned(b *testing.B) {
	benchDecode(b, func(d *Decoder) (int, error) {
		f, err := d.DecodeOwned()
		return len(f.Body), err
	})
}

// benchDecode decodes a stream of copies of each case's frame with
// decode, which returns the body's length.
func benchDecode(b *testing.B, decode func(*Decoder) (int, error)) {
	benchCases(b, func(b *testing.B, f *Frame) {
		one, err := AppendFrame(nil, f, V12)
		if err != nil {
			b.Fatal(err)
		}
		// Many frames, so the decoder's buffer is reused and frames
		// straddle its end as they do on a real connection.
		var stream []byte
		for len(stream) < 1<<20 || len(stream) < 16*len(one) {
			stream = append(stream, one...)
		}
		d := NewDecoder(&loopReader{data: stream}, V12, Limits{})
		b.SetBytes(int64(len(one)))
		b.ReportAllocs()
		for b.Loop() {
			n, err := decode(d)
			if err != nil {
				b.Fatal(err)
			}
			if n != len(f.Body) {
				b.Fatalf("body of %d bytes, want %d", n, len(f.Body))
			}
		}
	})
}

// swapReader hands out the bytes it was last given, once.
type swapReader struct{ b []byte }

func (r *swapReader) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, io.EOF
	}
	n := copy(p, r.b)
	r.b = r.b[n:]
	return n, nil
}

// BenchmarkRoundTrip encodes a 100 B SEND with 3 headers and decodes it
// again, reusing the encode buffer and the decoder.
func BenchmarkRoundTrip(b *testing.B) {
	f := benchFrame(CmdSend, 3, 100)
	r := &swapReader{}
	d := NewDecoder(r, V12, Limits{})
	buf, err := AppendFrame(nil, f, V12)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		buf, err = AppendFrame(buf[:0], f, V12)
		if err != nil {
			b.Fatal(err)
		}
		r.b = buf
		g, err := d.Decode()
		if err != nil {
			b.Fatal(err)
		}
		if len(g.Headers) != 4 {
			b.Fatalf("%d headers", len(g.Headers))
		}
	}
}
