package bench

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/stompactor/stompactor/api"
)

// BenchmarkPublishSend measures Send of 100-byte messages, each with
// headers of its own (a correlation-id and a reply-to) and a content
// type: BenchmarkPublish with per-message options. properties sends the
// same frames with SendData and the client-wide properties (AddHeader,
// ContentType), for comparison: the broker, in the same process, reads
// the same bytes.
func BenchmarkPublishSend(b *testing.B) {
	headers := []api.Header{{Key: "correlation-id", Value: "c-1"}, {Key: "reply-to", Value: "/queue/replies"}}
	const contentType = "application/json"
	b.Run("options", func(b *testing.B) {
		host, port := target(b)
		pub := connect(b, host, port)
		dest := "/topic/bench-send-" + strconv.FormatInt(time.Now().UnixNano(), 36)
		opts := api.SendOptions{Headers: headers, ContentType: contentType}
		ctx := context.Background()
		b.SetBytes(int64(len(body100)))
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if err := pub.Send(ctx, dest, body100, opts); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msg/s")
	})
	b.Run("properties", func(b *testing.B) {
		host, port := target(b)
		opts := []api.Option{api.WithContentType(contentType)}
		for _, h := range headers {
			opts = append(opts, api.WithHeader(h.Key, h.Value))
		}
		pub := connect(b, host, port, opts...)
		publishAll(b, pub, "/topic/bench-send-props-")
	})
}
