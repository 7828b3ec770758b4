package actors

import (
	"context"
	"sync/atomic"
)

// tokens is a counting bound: at most max are held at once. Taking and
// giving back are atomic operations, so the hot paths (a send takes one,
// the writer gives back a whole flush's) touch no channel; a taker that
// has to wait is woken by give through freed.
type tokens struct {
	max     int64
	held    atomic.Int64
	waiters atomic.Int32
	freed   wakeup // tokens were given back while someone waited
}

func newTokens(max int) *tokens {
	return &tokens{max: int64(max)}
}

// wakeup is a signal with room for one, made by the first one to wait for
// it (most connections never wait, and a channel costs 96 bytes). A
// waiter takes the channel (ch) before it says it waits, so whoever sees
// a waiter finds the channel (signal).
type wakeup struct{ p atomic.Pointer[chan struct{}] }

func (w *wakeup) ch() chan struct{} {
	if c := w.p.Load(); c != nil {
		return *c
	}
	c := make(chan struct{}, 1)
	if w.p.CompareAndSwap(nil, &c) {
		return c
	}
	return *w.p.Load()
}

func (w *wakeup) signal() {
	if c := w.p.Load(); c != nil {
		select {
		case *c <- struct{}{}:
		default:
		}
	}
}

// tryTake takes a token if one is free.
func (t *tokens) tryTake() bool {
	for {
		h := t.held.Load()
		if h >= t.max {
			return false
		}
		if t.held.CompareAndSwap(h, h+1) {
			return true
		}
	}
}

// taken is how a wait for a token ended.
type taken uint8

const (
	tookToken  taken = iota
	tookLost         // the connection ended first
	tookCtx          // the caller's context ended first
	tookClosed       // the client was closed first
)

// take takes a token, waiting for one until the connection is lost, ctx
// ends or the client is closed.
func (t *tokens) take(ctx context.Context, lost, closed <-chan struct{}) taken {
	if t.tryTake() {
		return tookToken
	}
	// Say so before looking again: either that look sees what give
	// returned, or give sees this waiter.
	freed := t.freed.ch()
	t.waiters.Add(1)
	defer t.waiters.Add(-1)
	for !t.tryTake() {
		select {
		case <-freed:
		case <-lost:
			return tookLost
		case <-ctx.Done():
			return tookCtx
		case <-closed:
			return tookClosed
		}
	}
	if t.waiters.Load() > 1 && t.held.Load() < t.max {
		t.wake() // pass it on: room is left for another waiter
	}
	return tookToken
}

// give returns n tokens.
func (t *tokens) give(n int) {
	if n <= 0 {
		return
	}
	t.held.Add(-int64(n))
	if t.waiters.Load() > 0 {
		t.wake()
	}
}

func (t *tokens) wake() { t.freed.signal() }

// full reports whether every token is held.
func (t *tokens) full() bool { return t.held.Load() >= t.max }
