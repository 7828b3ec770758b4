package actors

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Many takers and one giver: never more than max held, and no taker is
// left waiting while tokens are free.
func TestTokensBoundAndWake(t *testing.T) {
	const max, takers, each = 4, 8, 2000
	tk := newTokens(max)
	ctx := testCtx(t)
	var holding, peak, failed atomic.Int64
	given := make(chan int, takers*each)
	var wg sync.WaitGroup
	for range takers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				if tk.take(ctx, nil, nil) != tookToken {
					failed.Add(1)
					return
				}
				n := holding.Add(1)
				for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
				}
				holding.Add(-1)
				given <- 1
			}
		}()
	}
	done := make(chan struct{})
	go func() {
		// The writer's way: give back what was taken, in bunches.
		n := 0
		for n < takers*each {
			k := <-given
			for more := true; more; {
				select {
				case x := <-given:
					k += x
				default:
					more = false
				}
			}
			tk.give(k)
			n += k
		}
		close(done)
	}()
	wg.Wait()
	require.Zero(t, failed.Load(), "takers that gave up waiting")
	recv(t, done, "every token given back")
	require.LessOrEqual(t, peak.Load(), int64(max))
	require.Zero(t, tk.held.Load())
}

func TestTokensTakeEnds(t *testing.T) {
	tk := newTokens(1)
	require.True(t, tk.tryTake())
	require.False(t, tk.tryTake())
	require.True(t, tk.full())
	lost, closed := make(chan struct{}), make(chan struct{})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	require.Equal(t, tookCtx, tk.take(ctx, lost, closed))
	close(lost)
	require.Equal(t, tookLost, tk.take(context.Background(), lost, nil))
	require.Equal(t, tookClosed, tk.take(context.Background(), nil, closedChan()))
	tk.give(1)
	require.Equal(t, tookToken, tk.take(context.Background(), nil, nil))
}

func closedChan() chan struct{} {
	c := make(chan struct{})
	close(c)
	return c
}
