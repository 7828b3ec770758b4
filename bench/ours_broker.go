package bench

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/stompactor/stompactor/api"
)

// oursPubSub is pub→sub through the client: Publishers clients publish
// with SendData and Consumers clients, subscribed (ack auto, confirmed by
// a RECEIPT) before anything is published, count in their handlers. It
// measures from the first SEND to the last message handled.
func oursPubSub(ctx context.Context, t *Target, p Params) (Measure, error) {
	ctx, lost := watching(ctx)
	defer lost(nil)
	var clients []*api.STOMP
	defer func() {
		for _, c := range clients {
			c.Close()
		}
	}()
	tl := newTally()
	for range p.Consumers {
		c, err := dial(ctx, t, p, lost, api.WithRequestSubscriptionReceipts(true))
		if err != nil {
			return Measure{}, cause(ctx, err)
		}
		clients = append(clients, c)
		ids := newIDSet() // this subscription's: its handler runs one message at a time
		if _, err := c.SubscribeWith(ctx, p.Destination, api.SubscribeOptions{
			Lent: p.Lent,
			Handler: func(ev *api.MessageInEvent) {
				if !ids.addString(ev.MessageID) {
					tl.dups.Add(1)
					return
				}
				tl.add(1)
			},
		}); err != nil {
			return Measure{}, cause(ctx, err)
		}
	}
	pubs := make([]*api.STOMP, p.Publishers)
	for i := range pubs {
		c, err := dial(ctx, t, p, lost, api.WithRequestReceipts(p.Receipts))
		if err != nil {
			return Measure{}, cause(ctx, err)
		}
		clients = append(clients, c)
		pubs[i] = c
	}
	body := Body(p.Size) // built before the meter, shared by the publishers (only read)
	m := startMeter()
	deadline := m.wall.Add(p.Duration)
	var sent atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, p.Publishers)
	for i, c := range pubs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n, err := oursPublishLoop(ctx, c, p, body, deadline, split(p.Messages, p.Publishers, i))
			sent.Add(n)
			if err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	select {
	case err := <-errs:
		return Measure{}, cause(ctx, err)
	default:
	}
	want := deliveries(p, sent.Load())
	tl.setTarget(want)
	timer := time.NewTimer(p.Timeout)
	defer timer.Stop()
	select {
	case <-tl.done:
	case <-timer.C:
		return Measure{}, fmt.Errorf("only %d of %d messages arrived within %s", tl.got.Load(), want, p.Timeout)
	case <-ctx.Done():
		return Measure{}, context.Cause(ctx)
	}
	out := m.stop(tl.got.Load(), p.Size)
	out.Duplicates = tl.dups.Load()
	return out, nil
}

// oursLatency is the client's round trip: SendData on one client, and the
// subscription handler of another (ack auto) signals its arrival. As in
// the raw loop, a message-id that came before is a duplicate, counted
// apart and not taken for the message awaited.
func oursLatency(ctx context.Context, t *Target, p Params) (Measure, error) {
	return oursRoundTrips(ctx, t, p, func(ctx context.Context, sub *api.STOMP, dups *atomic.Int64) (func(context.Context) error, error) {
		seen := make(chan struct{}, 1)
		ids := newIDSet() // the handler runs one message at a time
		_, err := sub.SubscribeWith(ctx, p.Destination, api.SubscribeOptions{
			Lent: p.Lent,
			Handler: func(ev *api.MessageInEvent) {
				if !ids.addString(ev.MessageID) {
					dups.Add(1)
					return
				}
				select {
				case seen <- struct{}{}:
				default:
				}
			},
		})
		return func(ctx context.Context) error {
			select {
			case <-seen:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		}, err
	})
}

// oursLatencyPull is oursLatency with a Pull subscription: the loop waits
// in Receive, as a request-reply client would; lent, it gives each
// message back once it has it.
func oursLatencyPull(ctx context.Context, t *Target, p Params) (Measure, error) {
	return oursRoundTrips(ctx, t, p, func(ctx context.Context, sub *api.STOMP, dups *atomic.Int64) (func(context.Context) error, error) {
		id, err := sub.SubscribeWith(ctx, p.Destination, api.SubscribeOptions{Pull: true, Lent: p.Lent})
		ids := newIDSet()
		return func(ctx context.Context) error {
			for {
				ev, err := sub.Receive(ctx, id)
				if err != nil {
					return err
				}
				isNew := ids.addString(ev.MessageID)
				ev.Release()
				if isNew {
					return nil
				}
				dups.Add(1)
			}
		}, err
	})
}

// oursRoundTrips measures round trips from a publishing client to another
// one, which subscribe sets up: the function it returns waits for the
// next message.
func oursRoundTrips(ctx context.Context, t *Target, p Params,
	subscribe func(ctx context.Context, sub *api.STOMP, dups *atomic.Int64) (func(context.Context) error, error)) (Measure, error) {
	ctx, lost := watching(ctx)
	defer lost(nil)
	sub, err := dial(ctx, t, p, lost, api.WithRequestSubscriptionReceipts(true))
	if err != nil {
		return Measure{}, cause(ctx, err)
	}
	defer sub.Close()
	var dups atomic.Int64
	arrived, err := subscribe(ctx, sub, &dups)
	if err != nil {
		return Measure{}, cause(ctx, err)
	}
	pub, err := dial(ctx, t, p, lost)
	if err != nil {
		return Measure{}, cause(ctx, err)
	}
	defer pub.Close()
	body := Body(p.Size)
	// One deadline for the whole run: no timer per round trip.
	wctx, cancel := context.WithTimeout(ctx, p.Warmup+p.Duration+p.Timeout)
	defer cancel()
	trip := func() (time.Duration, error) {
		start := time.Now()
		if err := pub.SendDataContext(wctx, p.Destination, body); err != nil {
			return 0, cause(ctx, err)
		}
		if err := arrived(wctx); err != nil {
			if ctx.Err() != nil {
				return 0, context.Cause(ctx)
			}
			return 0, fmt.Errorf("a message did not come back: %w", err)
		}
		return time.Since(start), nil
	}
	m, err := roundTrips(ctx, p, trip)
	m.Duplicates = dups.Load()
	return m, cause(ctx, err)
}
