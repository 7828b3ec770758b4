package api

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// check settles the mixed soak once its producers returned and its faults
// stopped, and verifies what must hold (see soak_mixed_test.go).
func (m *mixedSoak) check(t *testing.T, stopPull func(), async *sync.WaitGroup) {
	b := m.front.broker()
	cutAll(b)
	if !waitGroupWithin(async, wait) {
		t.Errorf("asynchronous sends not settled within %v: outbox %d", wait, m.clients["p-async"].Stats().Outbox)
	}
	if !waitUntil(wait, func() bool {
		return m.clients["p-async"].Stats().Outbox == 0 && m.clients["p-sync"].Stats().Outbox == 0
	}) {
		t.Errorf("outboxes not drained within %v", wait)
	}
	// Every confirmed message to a queue whose consumer acknowledges
	// reaches it and is acknowledged (after restarts, those sent to the
	// last broker: the others went with theirs).
	missing := func() []string {
		m.mu.Lock()
		defer m.mu.Unlock()
		last := m.epoch.Load()
		var out []string
		for id, q := range m.confirmed {
			if q != mixedQueues[mixedAutoQueue] && m.acked[id] == 0 && m.epochOf[id] == last {
				out = append(out, id+"@"+q)
			}
		}
		slices.Sort(out)
		return out
	}
	waitUntil(20*time.Second, func() bool { return len(missing()) == 0 })
	// Nothing left ready or unacknowledged, one subscriber each.
	drained := func() (bool, string) {
		ok := true
		var parts []string
		for _, q := range mixedQueues[:mixedAutoQueue] {
			d, found := b.Destination(q)
			if !found {
				continue
			}
			parts = append(parts, fmt.Sprintf("%s ready %d unacked %d subscribers %d", q, d.Ready, d.Unacked, d.Subscribers))
			ok = ok && d.Ready == 0 && d.Unacked == 0 && d.Subscribers == 1
		}
		return ok, strings.Join(parts, "; ")
	}
	waitUntil(10*time.Second, func() bool { ok, _ := drained(); return ok })
	stopPull()

	m.log(t)
	if lost := missing(); len(lost) > 0 {
		t.Errorf("%d confirmed messages never acknowledged by their consumer: %v", len(lost), head(lost, 20))
	}
	if ok, why := drained(); !ok {
		t.Errorf("queues did not drain: %s", why)
	}
	m.mu.Lock()
	var abortedSeen []string
	for id := range m.seen {
		if m.aborted[id] {
			abortedSeen = append(abortedSeen, id)
		}
	}
	m.mu.Unlock()
	if len(abortedSeen) > 0 {
		t.Errorf("%d messages of aborted transactions were delivered: %v", len(abortedSeen), head(abortedSeen, 10))
	}
	m.calls.check(t)
	for name, s := range m.clients {
		st := s.Stats()
		if st.Panics != 0 || st.Outbox != 0 {
			t.Errorf("%s: %d panics, %d in the outbox at the end", name, st.Panics, st.Outbox)
		}
	}
	for _, name := range []string{"c-cli", "c-ind", "c-pull", "c-auto"} {
		closeAndCheckDropped(t, name, m.clients[name], m.handledBy(name))
	}
}

// log says what the run did, for a reader of -v or of a failure.
func (m *mixedSoak) log(t *testing.T) {
	m.mu.Lock()
	dupes := 0
	for _, n := range m.seen {
		dupes += max(n-1, 0)
	}
	handled := fmt.Sprint(m.handled)
	confirmed := len(m.confirmed)
	m.mu.Unlock()
	m.calls.mu.Lock()
	calls := m.calls.n
	m.calls.mu.Unlock()
	t.Logf("seed %d, STOMP %s, absolute timeouts %v: sent %d, confirmed %d, deliveries again %d, %d calls timed, %d chaos actions or restarts; handled %s",
		m.cfg.seed, m.cfg.version, m.cfg.absolute, m.sent.Load(), confirmed, dupes, calls, m.chaos, handled)
	names := make([]string, 0, len(m.clients))
	for name := range m.clients {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		st := m.clients[name].Stats()
		t.Logf("%s: in %d out %d acks %d nacks %d dropped %d reconnects %d resent %d",
			name, st.MessagesIn, st.MessagesOut, st.Acks, st.Nacks, st.Dropped, st.Reconnects, st.Resent)
	}
}
