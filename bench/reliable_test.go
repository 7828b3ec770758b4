package bench

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/stompactor/stompactor/api"
)

// BenchmarkPublishAtLeastOnce measures at-least-once publishing of
// 100-byte messages beside fire-and-forget (BenchmarkPublish): every
// message waits in the outbox for its own RECEIPT. async sends with
// SendDataAsync and counts the confirmations as they come (the outbox
// bounds how many are in flight); sync waits for each RECEIPT in turn,
// a round trip per message.
func BenchmarkPublishAtLeastOnce(b *testing.B) {
	b.Run("async", func(b *testing.B) {
		host, port := target(b)
		pub := connect(b, host, port)
		dest := "/topic/bench-alo-" + strconv.FormatInt(time.Now().UnixNano(), 36)
		confirmed := make(chan error, 1024)
		b.SetBytes(int64(len(body100)))
		b.ReportAllocs()
		b.ResetTimer()
		go func() {
			for i := 0; i < b.N; i++ {
				if err := pub.SendDataAsync(context.Background(), dest, body100, func(err error) { confirmed <- err }); err != nil {
					confirmed <- err
					return
				}
			}
		}()
		for i := 0; i < b.N; i++ {
			if err := <-confirmed; err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msg/s")
	})
	b.Run("sync", func(b *testing.B) {
		host, port := target(b)
		pub := connect(b, host, port, api.WithAtLeastOnce(api.AtLeastOnce{Enabled: true}))
		publishAll(b, pub, "/topic/bench-alo-sync-")
	})
}
