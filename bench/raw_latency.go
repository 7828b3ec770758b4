package bench

import (
	"context"
	"time"
)

// rawLatency is the round-trip reference: a raw publisher and a raw
// consumer (ack auto) on the same broker; one SEND is written, the
// consumer reads until its MESSAGE arrives, and the next one goes. Round
// trips during p.Warmup are not counted. A MESSAGE whose message-id came
// before (a broker's duplicate) is counted apart and not taken for the
// one awaited: it would end that trip early and shift every later one.
// (The destination is the measurement's own and has one publisher, so
// every other MESSAGE is the one just sent.)
func rawLatency(ctx context.Context, t *Target, p Params) (Measure, error) {
	sub, err := rawDial(ctx, t, p.Timeout)
	if err != nil {
		return Measure{}, err
	}
	defer sub.close()
	if err := sub.write(subscribeFrame(p, "auto", false, "sub")); err != nil {
		return Measure{}, err
	}
	if _, err := sub.await("RECEIPT", []byte("sub")); err != nil {
		return Measure{}, err
	}
	pub, err := rawDial(ctx, t, p.Timeout)
	if err != nil {
		return Measure{}, err
	}
	defer pub.close()
	send := sendFrame(p, "")
	// One deadline for the whole run: no timer to reset per round trip.
	end := time.Now().Add(p.Warmup + p.Duration + p.Timeout)
	if err := sub.c.SetReadDeadline(end); err != nil {
		return Measure{}, err
	}
	if err := pub.c.SetWriteDeadline(end); err != nil {
		return Measure{}, err
	}
	// ctx's end closes both connections (rawDial): a trip waiting in
	// the write or the read ends at once.
	ids := newIDSet()
	var dups int64
	trip := func() (time.Duration, error) {
		start := time.Now()
		if _, err := pub.c.Write(send); err != nil {
			return 0, err
		}
		for {
			f, err := sub.expect("MESSAGE", nil)
			if err != nil {
				return 0, err
			}
			if ids.addBytes(rawHeader(f, "message-id")) {
				return time.Since(start), nil
			}
			dups++
		}
	}
	m, err := roundTrips(ctx, p, trip)
	m.Duplicates = dups
	return m, err
}

// roundTrips runs trip during the warm-up, then measures it until the
// duration or the message budget is spent.
func roundTrips(ctx context.Context, p Params, trip func() (time.Duration, error)) (Measure, error) {
	for end := time.Now().Add(p.Warmup); ctx.Err() == nil && time.Now().Before(end); {
		if _, err := trip(); err != nil {
			return Measure{}, err
		}
	}
	h := &Histogram{}
	m := startMeter()
	deadline := m.wall.Add(p.Duration)
	var n int64
	for ctx.Err() == nil && time.Now().Before(deadline) && (p.Messages == 0 || n < p.Messages) {
		d, err := trip()
		if err != nil {
			return Measure{}, err
		}
		h.Record(d)
		n++
	}
	out := m.stop(n, p.Size)
	out.hist = h
	out.Latency = latencyOf(h)
	return out, ctx.Err()
}
