package bench

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/stompactor/stompactor/api"
)

// dial connects a client to t through the public api, with its default
// settings but for the login, the virtual host and the timeout.
func dial(ctx context.Context, t *Target, p Params, extra ...api.Option) (*api.STOMP, error) {
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
	s := api.NewSTOMP(append(opts, extra...)...)
	if err := s.ConnectContext(ctx, host, pn); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// oursPublish publishes with SendData until the time or the budget is
// spent, then sends one more message with RequestReceipts on, which waits
// for its RECEIPT: the peer has then had every message.
func oursPublish(ctx context.Context, t *Target, p Params) (Measure, error) {
	s, err := dial(ctx, t, p, api.WithRequestReceipts(p.Receipts))
	if err != nil {
		return Measure{}, err
	}
	defer s.Close()
	m := startMeter()
	n, err := oursPublishLoop(ctx, s, p, m.wall.Add(p.Duration), p.Messages)
	if err != nil {
		return Measure{}, err
	}
	return m.stop(n, p.Size), nil
}

// oursPublishLoop is oursPublish's loop, shared with pub→sub.
func oursPublishLoop(ctx context.Context, s *api.STOMP, p Params, deadline time.Time, budget int64) (int64, error) {
	body := Body(p.Size)
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
		s, err := dial(ctx, t, p)
		if err != nil {
			return Measure{}, err
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
			return Measure{}, err
		}
		timer := time.NewTimer(time.Until(m.wall.Add(p.Duration)))
		defer timer.Stop()
		select {
		case <-timer.C:
		case <-all:
		case <-ctx.Done():
			return Measure{}, ctx.Err()
		}
		return m.stop(got.Load(), p.Size), nil
	}
}
