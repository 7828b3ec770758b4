package bench

import (
	"context"
	"net"
	"os"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/stompactor/stompactor/api"
	"github.com/stompactor/stompactor/sim"
)

// target returns the broker to measure: STOMPACTOR_BENCH_ADDR, or a fresh
// simulator closed with the benchmark.
func target(b *testing.B) (string, int) {
	addr := os.Getenv("STOMPACTOR_BENCH_ADDR")
	if addr == "" {
		br, err := sim.NewBroker()
		require.NoError(b, err)
		b.Cleanup(func() { _ = br.Close() })
		addr = br.Addr()
	}
	host, port, err := net.SplitHostPort(addr)
	require.NoError(b, err)
	p, err := strconv.Atoi(port)
	require.NoError(b, err)
	return host, p
}

func connect(b *testing.B, host string, port int, opts ...api.Option) *api.STOMP {
	opts = append([]api.Option{api.WithVirtualHost("/"), api.WithUser(os.Getenv("STOMPACTOR_BENCH_LOGIN")), api.WithPassword(os.Getenv("STOMPACTOR_BENCH_PASSCODE"))}, opts...)
	s := api.NewSTOMP(opts...)
	b.Cleanup(s.Close)
	require.NoError(b, s.ConnectContext(context.Background(), host, port))
	return s
}

var body100 = func() []byte {
	b := make([]byte, 100)
	for i := range b {
		b[i] = 'a' + byte(i%26)
	}
	return b
}()

// BenchmarkPublish measures SendData of 100-byte messages on one
// connection; a call returns once its frame is queued for the writer.
func BenchmarkPublish(b *testing.B) {
	host, port := target(b)
	pub := connect(b, host, port)
	// A topic nobody subscribes to: the broker drops what it receives, so
	// no queue fills and its flow control (which stops reading a
	// publisher past its queue limit) never paces the measurement.
	publishAll(b, pub, "/topic/bench-pub-")
}

// publishAll sends b.N 100-byte messages with SendData from pub to a new
// destination named prefix and a unique suffix, and reports msg/s.
func publishAll(b *testing.B, pub *api.STOMP, prefix string) {
	dest := prefix + strconv.FormatInt(time.Now().UnixNano(), 36)
	b.SetBytes(int64(len(body100)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := pub.SendData(dest, body100); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msg/s")
}

// BenchmarkPublishReceipt measures SendData of 100-byte messages with
// RequestReceipts on: each call returns once the broker's RECEIPT for its
// own message came, one message in flight, so the rate is the round trip.
// Unlike at-least-once sync, no outbox keeps the messages.
func BenchmarkPublishReceipt(b *testing.B) {
	host, port := target(b)
	pub := connect(b, host, port, api.WithRequestReceipts(true))
	publishAll(b, pub, "/topic/bench-receipt-")
}

// BenchmarkPublishReceiptHandled is BenchmarkPublishReceipt with an
// OnReceiptIn handler registered: what an event per receipt, and a send
// that returns only once its ReceiptIn handler has run, cost a receipted
// send.
func BenchmarkPublishReceiptHandled(b *testing.B) {
	host, port := target(b)
	pub := connect(b, host, port, api.WithRequestReceipts(true))
	var n atomic.Int64
	pub.OnReceiptIn(func(*api.ReceiptInEvent) { n.Add(1) })
	publishAll(b, pub, "/topic/bench-receipt-h-")
}

// BenchmarkPublishMessageOut is BenchmarkPublish with an OnMessageOut
// handler: every SEND then goes through the writer, which reports it.
func BenchmarkPublishMessageOut(b *testing.B) {
	host, port := target(b)
	pub := connect(b, host, port)
	var n atomic.Int64
	pub.OnMessageOut(func(*api.MessageOutEvent) { n.Add(1) })
	publishAll(b, pub, "/topic/bench-pub-out-")
}

// BenchmarkPublishConsume publishes b.N 100-byte messages on one
// connection and consumes them on another; it reports end-to-end msg/s and
// the publish-to-handler latency percentiles.
func BenchmarkPublishConsume(b *testing.B) {
	host, port := target(b)
	sub := connect(b, host, port)
	pub := connect(b, host, port)
	dest := "/queue/bench-pc-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	n := b.N
	lat := make([]time.Duration, 0, n)
	var mu sync.Mutex
	var got atomic.Int64
	done := make(chan struct{})
	_, err := sub.SubscribeWith(context.Background(), dest, api.SubscribeOptions{QueueSize: 4096, Handler: func(m *api.MessageInEvent) {
		sent, _ := strconv.ParseInt(m.Headers[headerIndex(m.Headers, "x-sent-ns")].Value, 10, 64)
		mu.Lock()
		lat = append(lat, time.Since(time.Unix(0, sent)))
		mu.Unlock()
		if got.Add(1) == int64(n) {
			close(done)
		}
	}})
	require.NoError(b, err)
	b.SetBytes(int64(len(body100)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < n; i++ {
		pub.ResetHeaders()
		_ = pub.AddHeader("x-sent-ns", strconv.FormatInt(time.Now().UnixNano(), 10))
		if err := pub.SendData(dest, body100); err != nil {
			b.Fatal(err)
		}
	}
	select {
	case <-done:
	case <-time.After(2 * time.Minute):
		b.Fatalf("only %d of %d messages arrived", got.Load(), n)
	}
	b.StopTimer()
	mu.Lock()
	defer mu.Unlock()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	pct := func(f float64) float64 { return float64(lat[int(f*float64(len(lat)-1))].Microseconds()) }
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "msg/s")
	b.ReportMetric(pct(0.50), "p50-µs")
	b.ReportMetric(pct(0.99), "p99-µs")
}

func headerIndex(hs []api.Header, key string) int {
	for i, h := range hs {
		if h.Key == key {
			return i
		}
	}
	return 0
}

// BenchmarkRoundTrip sends one message at a time and waits for the
// subscriber's handler to see it: the unloaded publish-to-handler latency.
func BenchmarkRoundTrip(b *testing.B) {
	host, port := target(b)
	sub := connect(b, host, port)
	pub := connect(b, host, port)
	dest := "/queue/bench-rt-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	seen := make(chan struct{}, 1)
	_, err := sub.SubscribeWith(context.Background(), dest, api.SubscribeOptions{Handler: func(*api.MessageInEvent) { seen <- struct{}{} }})
	require.NoError(b, err)
	lat := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		if err := pub.SendData(dest, body100); err != nil {
			b.Fatal(err)
		}
		select {
		case <-seen:
		case <-time.After(30 * time.Second):
			b.Fatal("message lost")
		}
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	pct := func(f float64) float64 { return float64(lat[int(f*float64(len(lat)-1))].Microseconds()) }
	b.ReportMetric(pct(0.50), "p50-µs")
	b.ReportMetric(pct(0.99), "p99-µs")
}
