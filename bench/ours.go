package bench

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/stompactor/stompactor/api"
	"github.com/stompactor/stompactor/frames"
)

// dial connects a client to t through the public api, with its default
// settings but for the login, the virtual host, the timeout and, for
// bodies over the default 4 MiB, a body limit that takes p.Size. A lost
// connection or an ERROR (a refused frame) calls lost with the error at
// once, so that the scenario ends with it, as the raw side's read does,
// rather than counting on to its timer or its timeout (see watching).
func dial(ctx context.Context, t *Target, p Params, lost context.CancelCauseFunc, extra ...api.Option) (*api.STOMP, error) {
	host, port, err := net.SplitHostPort(t.Addr)
	if err != nil {
		return nil, err
	}
	pn, err := strconv.Atoi(port)
	if err != nil {
		return nil, fmt.Errorf("bench: bad port in %q", t.Addr)
	}
	opts := []api.Option{api.WithTimeout(p.Timeout), api.WithVirtualHost(t.vhost())}
	if t.Login != "" {
		opts = append(opts, api.WithUser(t.Login))
	}
	if t.Passcode != "" {
		opts = append(opts, api.WithPassword(t.Passcode))
	}
	if p.Size > frames.DefaultMaxBody {
		opts = append(opts, api.WithReceiveLimits(api.ReceiveLimits{MaxBody: p.Size}))
	}
	s := api.NewSTOMP(append(opts, extra...)...)
	if lost != nil {
		s.OnDisconnected(func(e *api.DisconnectedEvent) {
			if e.Err != nil { // nil: our own Close
				lost(e.Err)
			}
		})
		s.OnError(func(e *api.ErrorEvent) { lost(e.Err) })
	}
	if err := s.ConnectContext(ctx, host, pn); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// watching returns a context that ends when ctx does or when a client
// dialled with its lost function loses its connection or gets an ERROR;
// cause then says which.
func watching(ctx context.Context) (context.Context, context.CancelCauseFunc) {
	return context.WithCancelCause(ctx)
}

// cause returns why ctx ended, when it did (the lost connection, the
// ERROR, the caller's cancellation), in place of err: the error of a call
// that ctx's end cut short says less.
func cause(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return context.Cause(ctx)
	}
	return err
}

// oursPublish publishes with SendData until the time or the budget is
// spent, then sends one more message with RequestReceipts on, which waits
// for its RECEIPT: the peer has then had every message.
func oursPublish(ctx context.Context, t *Target, p Params) (Measure, error) {
	ctx, lost := watching(ctx)
	defer lost(nil)
	s, err := dial(ctx, t, p, lost, api.WithRequestReceipts(p.Receipts))
	if err != nil {
		return Measure{}, cause(ctx, err)
	}
	defer s.Close()
	body := Body(p.Size) // built before the meter, as the raw side's frames are
	m := startMeter()
	n, err := oursPublishLoop(ctx, s, p, body, m.wall.Add(p.Duration), p.Messages)
	if err != nil {
		return Measure{}, cause(ctx, err)
	}
	return m.stop(n, p.Size), nil
}

// oursPublishLoop is oursPublish's loop, shared with pub→sub: it sends
// body, which it is given built, as the raw loop is given its frames.
func oursPublishLoop(ctx context.Context, s *api.STOMP, p Params, body []byte, deadline time.Time, budget int64) (int64, error) {
	var n int64
	for ctx.Err() == nil && (budget == 0 || n < budget-1) {
		// Checking the clock every 16 messages keeps it off the profile.
		if n%16 == 0 && !time.Now().Before(deadline) {
			break
		}
		if err := s.SendDataContext(ctx, p.Destination, body); err != nil {
			return n, err
		}
		n++
	}
	if !p.Receipts {
		if err := s.SetRequestReceipts(true); err != nil {
			return n, err
		}
	}
	if err := s.SendDataContext(ctx, p.Destination, body); err != nil {
		return n, err
	}
	return n + 1, nil
}

// oursConsumer returns the client's side of consuming the firehose: one
// subscription in the given ack mode, whose handler counts (and, in the
// acking modes, returns to send the ACK), with the api's default queue.
func oursConsumer(ack string) func(context.Context, *Target, Params) (Measure, error) {
	return func(ctx context.Context, t *Target, p Params) (Measure, error) {
		ctx, lost := watching(ctx)
		defer lost(nil)
		s, err := dial(ctx, t, p, lost)
		if err != nil {
			return Measure{}, cause(ctx, err)
		}
		defer s.Close()
		var got atomic.Int64
		all := make(chan struct{})
		m := startMeter()
		_, err = s.SubscribeWith(ctx, p.Destination, api.SubscribeOptions{
			AckMode: api.AckMode(ack),
			Lent:    p.Lent,
			Headers: []api.Header{{Key: HdrSize, Value: strconv.Itoa(p.Size)},
				{Key: HdrCount, Value: strconv.FormatInt(p.Messages, 10)},
				{Key: HdrInflight, Value: strconv.FormatInt(p.Inflight, 10)}},
			Handler: func(*api.MessageInEvent) {
				if got.Add(1) == p.Messages {
					close(all)
				}
			},
		})
		if err != nil {
			return Measure{}, cause(ctx, err)
		}
		timer := time.NewTimer(time.Until(m.wall.Add(p.Duration)))
		defer timer.Stop()
		select {
		case <-timer.C:
		case <-all:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			return Measure{}, context.Cause(ctx)
		}
		return m.stop(got.Load(), p.Size), nil
	}
}
