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

// checkEveryMessageCountedOnce waits (bounded) for MessagesIn == handled + Dropped and
// fails at once on a double count (handled + Dropped > MessagesIn) or a
// message handled twice.
func checkEveryMessageCountedOnce(t *testing.T, s *STOMP, mu *sync.Mutex, handled map[string]int) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for {
		mu.Lock()
		n := 0
		for id, c := range handled {
			if c != 1 {
				mu.Unlock()
				t.Fatalf("message %s handled %d times", id, c)
			}
			n += c
		}
		mu.Unlock()
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
				var mu sync.Mutex
				handled := map[string]int{}
				reached := make(chan struct{})
				k := round%10 + 1
				dest := "/queue/r18-" + string(mode) + "-" + strconv.Itoa(round)
				_, err := s.SubscribeWith(context.Background(), dest, SubscribeOptions{AckMode: mode, Handler: func(ev *MessageInEvent) {
					mu.Lock()
					handled[ev.MessageID]++
					if len(handled) == k {
						close(reached)
					}
					mu.Unlock()
					runtime.Gosched()
				}})
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
				recv(t, reached)
				s.Close()
				wg.Wait()
				checkEveryMessageCountedOnce(t, s, &mu, handled)
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
			var mu sync.Mutex
			handled := map[string]int{}
			entered, release := make(chan struct{}, 1), make(chan struct{})
			dest := "/queue/r18-running-" + string(mode)
			_, err := s.SubscribeWith(context.Background(), dest, SubscribeOptions{AckMode: mode, Handler: func(ev *MessageInEvent) {
				mu.Lock()
				handled[ev.MessageID]++
				mu.Unlock()
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
			checkEveryMessageCountedOnce(t, s, &mu, handled)
		})
	}
}
