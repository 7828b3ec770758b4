package bench

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"runtime/debug"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/stompactor/stompactor/actors"
	"github.com/stompactor/stompactor/api"
	"github.com/stompactor/stompactor/frames"
)

// ConnsParams are the settings of the many-connections measurement.
type ConnsParams struct {
	// N is how many subscribed connections to open. Default 1000.
	N int
	// Fanout is how many topic messages to publish once all are open;
	// each reaches every connection. Default 3.
	Fanout int
	// Concurrency bounds the connects in flight. Default 64.
	Concurrency int
	// Timeout bounds each connect and the wait for the fan-out. Default 60s.
	Timeout time.Duration
	// Topic every connection subscribes to. Default a new one per run.
	Topic string
}

func (p *ConnsParams) withDefaults() {
	if p.N <= 0 {
		p.N = 1000
	}
	if p.Fanout <= 0 {
		p.Fanout = 3
	}
	if p.Concurrency <= 0 {
		p.Concurrency = 64
	}
	if p.Timeout <= 0 {
		p.Timeout = 60 * time.Second
	}
	if p.Topic == "" {
		p.Topic = "/topic/stompactor-conns-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	}
}

// ConnsMeasure is what N idle subscribed connections cost one process, as
// the difference between the process before the first connection and after
// the last (after a GC each time), and how fast a topic message reached
// them all.
type ConnsMeasure struct {
	N              int     `json:"n"`
	ConnectSeconds float64 `json:"connect_seconds"`
	RSSPerConn     float64 `json:"rss_bytes_per_conn"`
	HeapPerConn    float64 `json:"heap_bytes_per_conn"`
	StackPerConn   float64 `json:"stack_bytes_per_conn"`
	// AllocPerConn is every byte allocated while connecting, kept or
	// not: what a connection leaves for the collector, beside its heap,
	// is this less HeapPerConn, and it is what spreads the long-lived
	// objects over half-empty spans (resident beyond the heap).
	AllocPerConn      float64 `json:"alloc_bytes_per_conn"`
	GoroutinesPerConn float64 `json:"goroutines_per_conn"`
	Fanout            int     `json:"fanout_messages"`
	Deliveries        int64   `json:"deliveries"`
	DeliveriesPerSec  float64 `json:"deliveries_per_sec"`
	// FDLimit is the open-file limit the process ran with.
	FDLimit uint64 `json:"fd_limit"`
}

// procState is a process's footprint after a GC.
type procState struct {
	rss        uint64
	heap       uint64
	stack      uint64
	goroutines int
	allocated  uint64 // bytes allocated since the process started
}

func footprint() procState {
	runtime.GC()
	debug.FreeOSMemory()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return procState{rss: residentBytes(), heap: ms.HeapAlloc, stack: ms.StackInuse, goroutines: runtime.NumGoroutine(), allocated: ms.TotalAlloc}
}

// idleClient is one of the N connections: raw or through the api.
type idleClient interface{ close() }

// MeasureConns opens p.N connections to t from this process, each
// subscribed to one topic (heart-beats off), measures what they cost,
// publishes p.Fanout messages to the topic from one more connection, each
// once every connection has the one before, then closes them all.
// raw uses minimal clients (a socket, a goroutine reading into a small
// buffer) instead of the api package, as the reference. Run it in a fresh
// process for figures that mean something (`stomp bench connections`).
func MeasureConns(ctx context.Context, t *Target, p ConnsParams, raw bool) (ConnsMeasure, error) {
	p.withDefaults()
	out := ConnsMeasure{N: p.N, Fanout: p.Fanout}
	if err := t.Check(); err != nil {
		return out, err
	}
	if raw {
		// The raw clients write SUBSCRIBE by hand, unescaped.
		if err := frames.CheckHeader(frames.CmdSubscribe, frames.V10, frames.HdrDestination, p.Topic); err != nil {
			return out, fmt.Errorf("bench: the topic cannot be sent: %w", err)
		}
	}
	limit, err := raiseFileLimit(uint64(p.N) + 256)
	out.FDLimit = limit
	if err != nil {
		return out, err
	}
	var delivered atomic.Int64
	all := int64(p.N) * int64(p.Fanout)
	// A token each time every connection has one more message.
	reached := make(chan struct{}, p.Fanout)
	onMessage := func() {
		if delivered.Add(1)%int64(p.N) == 0 {
			select {
			case reached <- struct{}{}:
			default:
			}
		}
	}
	open := func(ctx context.Context) (idleClient, error) {
		if raw {
			return rawIdleClient(ctx, t, p.Topic, onMessage)
		}
		return oursIdleClient(ctx, t, p, onMessage)
	}

	if !raw {
		// The engine every client shares costs the same for one
		// connection or a million (mostly its actor system's registry):
		// it is started before the first measure, so the figures are
		// per connection.
		actors.DefaultEngine()
	}
	before := footprint()
	clients := make([]idleClient, p.N)
	defer func() {
		for _, c := range clients {
			if c != nil {
				c.close()
			}
		}
	}()
	start := time.Now()
	if err := openAll(ctx, p, clients, open); err != nil {
		return out, err
	}
	out.ConnectSeconds = time.Since(start).Seconds()
	after := footprint()
	if AfterOpen != nil {
		AfterOpen()
	}
	n := float64(p.N)
	out.RSSPerConn = (float64(after.rss) - float64(before.rss)) / n
	out.HeapPerConn = (float64(after.heap) - float64(before.heap)) / n
	out.StackPerConn = (float64(after.stack) - float64(before.stack)) / n
	out.AllocPerConn = (float64(after.allocated) - float64(before.allocated)) / n
	out.GoroutinesPerConn = float64(after.goroutines-before.goroutines) / n

	pub, err := dial(ctx, t, Params{Timeout: p.Timeout}, nil)
	if err != nil {
		return out, fmt.Errorf("bench: the fan-out publisher: %w", err)
	}
	defer pub.Close()
	// One message at a time, each fanned out to every connection before
	// the next is sent: the rate of one message's fan-out, which does not
	// depend on how a burst of them happens to be batched on its way.
	wait := time.NewTimer(p.Timeout)
	defer wait.Stop()
	start = time.Now()
	for i := range p.Fanout {
		if err := pub.SendDataContext(ctx, p.Topic, []byte("fan-out "+strconv.Itoa(i))); err != nil {
			return out, fmt.Errorf("bench: fan-out: %w", err)
		}
		select {
		case <-reached:
			continue
		case <-wait.C:
		case <-ctx.Done():
		}
		break
	}
	secs := time.Since(start).Seconds()
	out.Deliveries = delivered.Load()
	out.DeliveriesPerSec = float64(out.Deliveries) / secs
	if out.Deliveries < all {
		return out, fmt.Errorf("bench: fan-out reached %d of %d deliveries within %s", out.Deliveries, all, p.Timeout)
	}
	return out, nil
}

// openAll opens every client, p.Concurrency at a time.
func openAll(ctx context.Context, p ConnsParams, clients []idleClient, open func(context.Context) (idleClient, error)) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sem := make(chan struct{}, p.Concurrency)
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
	)
	for i := range clients {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			cctx, ccancel := context.WithTimeout(ctx, p.Timeout)
			defer ccancel()
			c, err := open(cctx)
			if err != nil {
				mu.Lock()
				if firstErr == nil {
					firstErr = fmt.Errorf("bench: connection %d of %d: %w", i+1, len(clients), err)
				}
				mu.Unlock()
				cancel()
				return
			}
			clients[i] = c
		}()
	}
	wg.Wait()
	if firstErr == nil && ctx.Err() != nil {
		firstErr = ctx.Err()
	}
	return firstErr
}

// oursClient is one api client subscribed to the topic, its SUBSCRIBE
// confirmed by a RECEIPT so the fan-out finds it.
type oursClient struct{ s *api.STOMP }

func (c oursClient) close() { c.s.Close() }

func oursIdleClient(ctx context.Context, t *Target, p ConnsParams, onMessage func()) (idleClient, error) {
	s, err := dial(ctx, t, Params{Timeout: p.Timeout}, nil, api.WithRequestSubscriptionReceipts(true))
	if err != nil {
		return nil, err
	}
	if _, err := s.SubscribeWith(ctx, p.Topic, api.SubscribeOptions{Handler: func(*api.MessageInEvent) { onMessage() }}); err != nil {
		s.Close()
		return nil, err
	}
	return oursClient{s}, nil
}

// AfterOpen, when set, runs once every connection is open (a heap
// profile, say).
var AfterOpen func()

// errFileLimit says the process may not open enough files for N.
var errFileLimit = errors.New("bench: the open-file limit is too low")
