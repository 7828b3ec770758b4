package api

import (
	"context"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// handledOnce records which messages a handler got, and closes reached
// once it got k (k 0: never).
type handledOnce struct {
	mu      sync.Mutex
	ids     map[string]int
	k       int
	reached chan struct{}
}

func newHandledOnce(k int) *handledOnce {
	return &handledOnce{ids: map[string]int{}, k: k, reached: make(chan struct{})}
}

// handle is a MessageIn handler that records ev and lets other goroutines
// run (DoEvents on another goroutine, Close).
func (h *handledOnce) handle(ev *MessageInEvent) {
	h.note(ev)
	runtime.Gosched()
}

func (h *handledOnce) note(ev *MessageInEvent) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.ids[ev.MessageID]++
	if len(h.ids) == h.k {
		close(h.reached)
	}
}

// checkEveryMessageCountedOnce waits (bounded) for MessagesIn == handled +
// Dropped and fails at once on a double count (handled + Dropped >
// MessagesIn) or a message handled twice.
func checkEveryMessageCountedOnce(t *testing.T, s *STOMP, h *handledOnce) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for {
		h.mu.Lock()
		n := 0
		for id, c := range h.ids {
			if c != 1 {
				h.mu.Unlock()
				t.Fatalf("message %s handled %d times", id, c)
			}
			n += c
		}
		h.mu.Unlock()
		st := s.Stats()
		if st.MessagesIn == int64(n)+st.Dropped {
			return
		}
		if int64(n)+st.Dropped > st.MessagesIn || time.Now().After(deadline) {
			t.Fatalf("miscounted: MessagesIn %d, handled %d, Dropped %d", st.MessagesIn, n, st.Dropped)
		}
		<-time.After(2 * time.Millisecond)
	}
}

// Close racing a DoEvents loop on another goroutine (manual events): each
// message received is either handled once or counted dropped once.
func TestManualEventsCloseRacingDoEventsCountsEveryMessageOnce(t *testing.T) {
	for _, mode := range []AckMode{AckAuto, AckClient, AckClientIndividual} {
		t.Run(string(mode), func(t *testing.T) {
			b := newBroker(t)
			other := connectTo(t, b, "1.2")
			for round := range 15 {
				s := connectTo(t, b, "1.2", WithManualEvents(), WithLogLevel(0))
				h := newHandledOnce(round%10 + 1)
				dest := "/queue/manual-close-" + string(mode) + "-" + strconv.Itoa(round)
				_, err := s.SubscribeWith(context.Background(), dest, SubscribeOptions{AckMode: mode, Handler: h.handle})
				require.NoError(t, err)
				for i := range 30 {
					require.NoError(t, other.SendMessage(dest, strconv.Itoa(i)))
				}
				var wg sync.WaitGroup
				for range 2 {
					wg.Add(1)
					go func() {
						defer wg.Done()
						for s.DoEvents() == nil {
						}
					}()
				}
				recv(t, h.reached)
				s.Close()
				wg.Wait()
				checkEveryMessageCountedOnce(t, s, h)
			}
		})
	}
}

// A handler that DoEvents runs as Close happens (stillRunning) is counted
// as handled, once, and not in Dropped.
func TestManualEventsCloseWhileAHandlerRunsCountsEveryMessageOnce(t *testing.T) {
	for _, mode := range []AckMode{AckAuto, AckClientIndividual} {
		t.Run(string(mode), func(t *testing.T) {
			b := newBroker(t)
			s := connectTo(t, b, "1.2", WithManualEvents(), WithLogLevel(0))
			h := newHandledOnce(0)
			entered, release := make(chan struct{}, 1), make(chan struct{})
			dest := "/queue/manual-close-running-" + string(mode)
			_, err := s.SubscribeWith(context.Background(), dest, SubscribeOptions{AckMode: mode, Handler: func(ev *MessageInEvent) {
				h.note(ev)
				select {
				case entered <- struct{}{}:
				default:
				}
				<-release
			}})
			require.NoError(t, err)
			other := connectTo(t, b, "1.2")
			for i := range 3 {
				require.NoError(t, other.SendMessage(dest, strconv.Itoa(i)))
			}
			done := make(chan struct{})
			go func() {
				defer close(done)
				for s.DoEvents() == nil {
				}
			}()
			recv(t, entered)
			waitFor(t, "every message received", func() bool { return s.Stats().MessagesIn == 3 })
			s.Close()
			close(release)
			recv(t, done)
			checkEveryMessageCountedOnce(t, s, h)
		})
	}
}
