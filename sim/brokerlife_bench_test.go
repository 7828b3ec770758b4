package sim

import "testing"

// BenchmarkBrokerPerTest measures what one broker per test or subtest
// costs, since there is no Reset: start and Close with a TCP listener,
// without one (WithListenAddr("") and ServePipe only), and without one
// but with a client connected over a pipe before Close.
func BenchmarkBrokerPerTest(b *testing.B) {
	for _, bc := range []struct {
		name    string
		opts    []Option
		connect bool
	}{
		{"tcp", nil, false},
		{"pipe-only", []Option{WithListenAddr("")}, false},
		{"pipe-connected", []Option{WithListenAddr("")}, true},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				br, err := NewBroker(bc.opts...)
				if err != nil {
					b.Fatal(err)
				}
				if bc.connect {
					c := pipeClient(b, br)
					c.connect("1.2")
					_ = c.conn.Close()
				}
				if err := br.Close(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
