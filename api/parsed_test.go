package api

import (
	"context"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"weak"

	"github.com/stretchr/testify/require"
)

// A client keeps no message alive once its handler returned: an idle
// client among thousands costs its own few KiB, not the size of the last
// message it received (nor the chunk of memory a burst was decoded into).
// ParsedHeaders still gives the last message's headers.
func TestAHandledMessageIsNotKeptAlive(t *testing.T) {
	for _, tc := range []struct {
		name        string
		count, size int
	}{{"one 256 KiB message", 1, 256 << 10}, {"a burst of 500 small messages", 500, 100}} {
		t.Run(tc.name, func(t *testing.T) {
			b := newBroker(t)
			s := connectTo(t, b, "1.2")
			var mu sync.Mutex
			var last weak.Pointer[byte]
			var got atomic.Int64
			dest := "/queue/kept-alive-" + strconv.Itoa(tc.count)
			_, err := s.SubscribeWith(context.Background(), dest, SubscribeOptions{Handler: func(e *MessageInEvent) {
				mu.Lock()
				last = weak.Make(&e.Data[0])
				mu.Unlock()
				got.Add(1)
			}})
			require.NoError(t, err)
			p := connectTo(t, b, "1.2")
			for i := range tc.count {
				p.ResetHeaders()
				require.NoError(t, p.AddHeader("x-n", strconv.Itoa(i)))
				require.NoError(t, p.SendData(dest, make([]byte, tc.size)))
			}
			waitFor(t, "every message handled and acknowledged", func() bool {
				d, ok := b.Destination(dest)
				return got.Load() == int64(tc.count) && ok && d.Ready == 0 && d.Unacked == 0
			})
			waitFor(t, "the last message collected", func() bool {
				runtime.GC()
				mu.Lock()
				defer mu.Unlock()
				return last.Value() == nil
			})
			require.Equal(t, strconv.Itoa(tc.count-1), headerValue(s.ParsedHeaders(), "x-n"))
		})
	}
}

func TestParsedHeadersCopy(t *testing.T) {
	var p parsedHeaders
	require.Nil(t, p.headers())
	in := []Header{{Key: "a", Value: "1"}, {Key: "", Value: ""}, {Key: "b", Value: "two"}}
	p.set(in)
	out := p.headers()
	require.Equal(t, in, out)
	p.set([]Header{{Key: "c", Value: "3"}})
	require.Equal(t, in, out, "a list handed out does not change with the next message")
	require.Equal(t, []Header{{Key: "c", Value: "3"}}, p.headers())
	big := make([]byte, 2*maxKeptHeaderText)
	p.set([]Header{{Key: "big", Value: string(big)}})
	p.set([]Header{{Key: "d", Value: "4"}})
	require.LessOrEqual(t, cap(p.text), maxKeptHeaderText, "the room of one large message is given back")
	p.set(nil)
	require.Nil(t, p.headers())
}

// BenchmarkParsedHeadersSet copies a typical MESSAGE's headers into the
// property, as each message handed to a handler does; "collecting" runs
// it while the collector runs without pause, when every store of a
// pointer into the heap is a write barrier.
func BenchmarkParsedHeadersSet(b *testing.B) {
	hs := []Header{
		{Key: "destination", Value: "/topic/stompactor-bench-consume"},
		{Key: "message-id", Value: "T_sub-0@@session-5mJ3kQ@@1@@123456"},
		{Key: "subscription", Value: "sub-0"},
		{Key: "ack", Value: "123456"},
		{Key: "content-type", Value: "application/octet-stream"},
		{Key: "content-length", Value: "100"},
	}
	for _, collecting := range []bool{false, true} {
		name := "idle"
		if collecting {
			name = "collecting"
		}
		b.Run(name, func(b *testing.B) {
			var stop atomic.Bool
			var wg sync.WaitGroup
			if collecting {
				wg.Go(func() {
					for !stop.Load() {
						runtime.GC()
					}
				})
			}
			p := new(parsedHeaders)
			b.ReportAllocs()
			for b.Loop() {
				p.set(hs)
			}
			stop.Store(true)
			wg.Wait()
		})
	}
}
