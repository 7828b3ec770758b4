package api

import (
	"bytes"
	"context"
	"net"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/stompactor/stompactor/frames"
)

// errorFlood runs a broker that, after CONNECTED, sends n copies of
// errFrame (ERRORs leave the connection open: see "Server errors") while
// the client's OnError handler is busy with the first. It returns the heap
// the client held once every ERROR was read, and then, the handler let go,
// every ErrorEvent it got.
func errorFlood(t *testing.T, n int, errFrame []byte) (held int64, events []*ErrorEvent) {
	wrote := make(chan struct{})
	srv := newScripted(t, func(conn net.Conn, d *frames.Decoder) {
		if _, err := readFrame(d); err != nil {
			return
		}
		_, _ = conn.Write([]byte("CONNECTED\nversion:1.2\n\n\x00"))
		for range n {
			if _, err := conn.Write(errFrame); err != nil {
				return
			}
		}
		close(wrote)
		_ = conn.SetReadDeadline(time.Now().Add(wait))
		for {
			if _, err := readFrame(d); err != nil {
				return
			}
		}
	})
	release := make(chan struct{})
	var mu sync.Mutex
	all := make(chan struct{})
	s := newClient(t, WithSupportedVersions("1.2"))
	first := make(chan struct{}, 1)
	s.OnError(func(e *ErrorEvent) {
		select {
		case first <- struct{}{}:
		default:
		}
		<-release
		mu.Lock()
		events = append(events, e)
		if len(events) == n {
			close(all)
		}
		mu.Unlock()
	})
	released := false
	defer func() {
		if !released {
			close(release)
		}
	}()
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	require.NoError(t, s.Connect(srv.host, srv.port))
	recv(t, first)
	recv(t, wrote)
	waitFor(t, "every ERROR read", func() bool { return s.Stats().FramesIn >= int64(n)+1 })
	runtime.GC()
	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	held = int64(after.HeapAlloc) - int64(before.HeapAlloc)
	close(release)
	released = true
	recv(t, all)
	mu.Lock()
	defer mu.Unlock()
	assert.Zero(t, s.EventsDropped(), "no ERROR's event was dropped")
	return held, append([]*ErrorEvent(nil), events...)
}

// TestErrorFloodIsBoundedInBytes: 64 ERRORs with a body of 1 MiB each,
// sent while the OnError handler is busy, cost the client a few MiB, not
// the 128 MiB it held when each queued event kept the whole body and,
// through its headers, the whole frame it was decoded into: an *Error
// keeps MaxErrorBody bytes of the body (Truncated says so), and the event
// queue's byte budget bounds the rest. Every ERROR is still told.
func TestErrorFloodIsBoundedInBytes(t *testing.T) {
	const n, size = 64, 1 << 20
	body := bytes.Repeat([]byte("e"), size)
	frame := append([]byte("ERROR\nmessage:no\ncontent-length:"+strconv.Itoa(size)+"\n\n"), append(body, 0)...)
	held, events := errorFlood(t, n, frame)
	t.Logf("heap held after %d ERRORs of %d KiB with OnError busy: %d KiB", n, size>>10, held>>10)
	require.Less(t, held, int64(n*size/8),
		"the client keeps the queued ERRORs' bodies: %d MiB held for %d MiB received", held>>20, n*size>>20)
	require.Len(t, events, n)
	for _, e := range events {
		var ae *Error
		require.ErrorAs(t, e.Err, &ae)
		assert.Equal(t, "stomp: server error: no", ae.Message)
		assert.True(t, ae.Truncated)
		assert.Equal(t, "no", ae.Headers.Value("message"))
		assert.Equal(t, body[:MaxErrorBody], ae.Body)
	}
}

// TestErrorFloodOfLargeHeadersKeepsEveryErrorInBudget: ERRORs whose
// headers are large (1 MiB each, in 64 KiB header lines) fill the event
// queue's byte budget (eventQueueBytes); the ERRORs past it come to OnError
// with their message only (Truncated, no headers, no body), in order, and
// the heap held stays bounded.
func TestErrorFloodOfLargeHeadersKeepsEveryErrorInBudget(t *testing.T) {
	const n, lines, line = 64, 16, 64 << 10
	var b strings.Builder
	b.WriteString("ERROR\nmessage:big\n")
	for i := range lines {
		b.WriteString("x-" + strconv.Itoa(i) + ":" + strings.Repeat("h", line) + "\n")
	}
	b.WriteString("\nbody\x00")
	held, events := errorFlood(t, n, []byte(b.String()))
	t.Logf("heap held after %d ERRORs with %d KiB of headers: %d KiB", n, lines*line>>10, held>>10)
	require.Less(t, held, int64(eventQueueBytes+eventQueueBytes/2),
		"%d MiB held for %d MiB of headers received", held>>20, n*lines*line>>20)
	require.Len(t, events, n)
	full, slim := 0, 0
	for _, e := range events {
		var ae *Error
		require.ErrorAs(t, e.Err, &ae)
		assert.Equal(t, CodeServerError, ae.Code)
		assert.Equal(t, "stomp: server error: big", ae.Message)
		if ae.Headers == nil {
			assert.True(t, ae.Truncated)
			assert.Nil(t, ae.Body)
			slim++
			continue
		}
		assert.Zero(t, slim, "a full event after a slim one: the budget is given back as handlers run")
		assert.False(t, ae.Truncated)
		assert.Equal(t, "body", string(ae.Body))
		full++
	}
	t.Logf("%d events whole, %d with their message only", full, slim)
	assert.Positive(t, full)
	assert.Positive(t, slim)
}

// TestRunQueueBoundsItsBytes: a queue with a byte budget refuses a job
// that would take the weight waiting past it, takes jobs that weigh
// nothing whatever the weight, and gives a job's weight back as it runs.
func TestRunQueueBoundsItsBytes(t *testing.T) {
	var q runQueue[int]
	ran := make(chan int, 16)
	q.init(16, func(j int) { ran <- j })
	q.bound(10, func(j int) int { return j })
	q.setManual(true)
	require.True(t, q.post(6, 4))
	require.False(t, q.post(5, 4), "6+5 is past 10")
	require.True(t, q.post(4, 4))
	require.True(t, q.post(0, 4), "weighs nothing")
	require.False(t, q.post(1, 4))
	require.Equal(t, 3, q.drain(0, nil))
	require.Equal(t, []int{6, 4, 0}, []int{<-ran, <-ran, <-ran})
	require.True(t, q.post(10, 4), "given back as they ran")
	require.Equal(t, 1, q.drain(0, nil))
	<-ran
	require.NoError(t, q.close(context.Background(), false))
}
