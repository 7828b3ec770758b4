package bench

import (
	"context"
	"fmt"
	"math"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// tally counts deliveries of distinct messages across consumers (each
// consumer's duplicates apart) and says when a target, known only once
// the publishers are done, is reached: a duplicate cannot stand in for a
// message that did not arrive.
type tally struct {
	got    atomic.Int64
	dups   atomic.Int64 // deliveries of a message-id already had: not in got
	target atomic.Int64
	done   chan struct{}
	once   sync.Once
}

func newTally() *tally {
	t := &tally{done: make(chan struct{})}
	t.target.Store(math.MaxInt64)
	return t
}

func (t *tally) add(n int64) {
	if t.got.Add(n) >= t.target.Load() {
		t.once.Do(func() { close(t.done) })
	}
}

func (t *tally) setTarget(n int64) { t.target.Store(n); t.add(0) }

// deliveries is how many MESSAGE frames sent messages make: one each on a
// queue, one per consumer on a topic.
func deliveries(p Params, sent int64) int64 {
	if strings.HasPrefix(p.Destination, "/queue/") {
		return sent
	}
	return sent * int64(p.Consumers)
}

// split shares a budget (0: none) among n publishers.
func split(budget int64, n, i int) int64 {
	if budget == 0 {
		return 0
	}
	return max(budget/int64(n)+btoi(int64(i) < budget%int64(n)), 1)
}

func btoi(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// rawPubSub is the pub→sub reference: Publishers raw publishers and
// Consumers raw consumers (ack auto, subscribed with a receipt before
// anything is published) through the same broker. It measures from the
// first SEND to the last MESSAGE.
func rawPubSub(ctx context.Context, t *Target, p Params) (Measure, error) {
	var conns []*rawConn
	defer func() {
		for _, rc := range conns {
			rc.close()
		}
	}()
	subs := make([]*rawConn, p.Consumers)
	for i := range subs {
		rc, err := rawDial(ctx, t, p.Timeout)
		if err != nil {
			return Measure{}, err
		}
		conns = append(conns, rc)
		subs[i] = rc
		if err := rc.write(subscribeFrame(p, "auto", false, "sub")); err != nil {
			return Measure{}, err
		}
		if _, err := rc.await("RECEIPT", []byte("sub")); err != nil {
			return Measure{}, err
		}
	}
	pubs := make([]*rawConn, p.Publishers)
	for i := range pubs {
		rc, err := rawDial(ctx, t, p.Timeout)
		if err != nil {
			return Measure{}, err
		}
		conns = append(conns, rc)
		pubs[i] = rc
	}
	// Every frame the publishers write is built before the meter starts
	// (they share one chunk and patch a receipted SEND of their own), and
	// the consumers have room to read a frame.
	for _, rc := range subs {
		rc.sp.room(p.Size)
	}
	pubf := make([]*pubFrames, p.Publishers)
	for i := range pubf {
		var chunk []byte
		var per int
		if i > 0 {
			chunk, per = pubf[0].chunk, pubf[0].per
		}
		pubf[i] = newPubFrames(p, chunk, per)
	}
	m := startMeter()
	deadline := m.wall.Add(p.Duration)
	tl := newTally()
	var wg sync.WaitGroup
	errs := make(chan error, p.Publishers+p.Consumers)
	for _, rc := range subs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ids := &dedup{set: newIDSet(), dups: &tl.dups}
			if _, err := rawCount(ctx, rc, "auto", time.Time{}, 0, tl.add, ids); err != nil {
				errs <- err
			}
		}()
	}
	var sent atomic.Int64
	var pwg sync.WaitGroup
	for i, rc := range pubs {
		pwg.Add(1)
		go func() {
			defer pwg.Done()
			n, err := rawPublishLoop(ctx, rc, pubf[i], deadline, split(p.Messages, p.Publishers, i))
			sent.Add(n)
			if err != nil {
				errs <- err
			}
		}()
	}
	pwg.Wait()
	want := deliveries(p, sent.Load())
	tl.setTarget(want)
	timer := time.NewTimer(p.Timeout)
	defer timer.Stop()
	var err error
	select {
	case <-tl.done:
	case err = <-errs:
	case <-timer.C:
		err = fmt.Errorf("only %d of %d messages arrived within %s", tl.got.Load(), want, p.Timeout)
	case <-ctx.Done():
		err = ctx.Err()
	}
	out := m.stop(tl.got.Load(), p.Size)
	out.Duplicates = tl.dups.Load()
	for _, rc := range subs {
		rc.close() // ends the consumers' reads
	}
	wg.Wait()
	return out, err
}
