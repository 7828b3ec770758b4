package bench

import (
	"context"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/stompactor/stompactor/api"
)

// BenchmarkConsumeAck measures a client-ack consumer: b.N 100-byte
// messages, published on another connection meanwhile, taken with
// Receive from a Pull subscription (client-individual) and acknowledged
// one by one with Ack, which returns once its ACK is queued.
func BenchmarkConsumeAck(b *testing.B) { consumeAck(b, false, false) }

// BenchmarkConsumeAckReceipt is BenchmarkConsumeAck with
// RequestAckReceipts: each Ack returns once the broker's RECEIPT came,
// one ACK in flight, so the rate is the round trip.
func BenchmarkConsumeAckReceipt(b *testing.B) { consumeAck(b, true, false) }

// BenchmarkConsumeAckReceiptHandled is BenchmarkConsumeAckReceipt with an
// OnReceiptIn handler registered: each Ack then also waits for the
// handler of its RECEIPT's event.
func BenchmarkConsumeAckReceiptHandled(b *testing.B) { consumeAck(b, true, true) }

func consumeAck(b *testing.B, receipts, handled bool) {
	host, port := target(b)
	sub := connect(b, host, port, api.WithRequestAckReceipts(receipts))
	if handled {
		var n atomic.Int64
		sub.OnReceiptIn(func(*api.ReceiptInEvent) { n.Add(1) })
	}
	pub := connect(b, host, port)
	dest := "/queue/bench-ack-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	id, err := sub.SubscribeWith(ctx, dest, api.SubscribeOptions{Pull: true, AckMode: api.AckClientIndividual})
	require.NoError(b, err)
	n := b.N
	published := make(chan error, 1)
	b.SetBytes(int64(len(body100)))
	b.ReportAllocs()
	b.ResetTimer()
	go func() {
		for i := 0; i < n; i++ {
			if err := pub.SendData(dest, body100); err != nil {
				published <- err
				return
			}
		}
		published <- nil
	}()
	for i := 0; i < n; i++ {
		ev, err := sub.Receive(ctx, id)
		if err != nil {
			b.Fatalf("message %d of %d: %v", i, n, err)
		}
		if err := sub.Ack(ctx, ev); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	require.NoError(b, <-published)
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "msg/s")
}
