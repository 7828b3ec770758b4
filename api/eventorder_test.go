package api

import (
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A message's MessageOut comes before the ReceiptIn of its RECEIPT, as in
// the reference, where MessageOut fires once the message is sent and the
// server's RECEIPT can only follow: the writer emits the event before the
// write that carries the message, so the reader, which may read the
// RECEIPT before that write returns, always reports it after. A program
// that notes a message in OnMessageOut and clears it in OnReceiptIn
// relies on it.
func TestMessageOutComesBeforeItsReceiptIn(t *testing.T) {
	b := newBroker(t)
	s := connectTo(t, b, "1.2")
	var mu sync.Mutex
	var order []string
	s.OnMessageOut(func(e *MessageOutEvent) {
		for _, h := range e.Headers {
			if h.Key == "receipt" {
				mu.Lock()
				order = append(order, "out "+h.Value)
				mu.Unlock()
			}
		}
	})
	done := make(chan struct{}, 100)
	s.OnReceiptIn(func(e *ReceiptInEvent) {
		mu.Lock()
		order = append(order, "receipt "+e.ReceiptID)
		mu.Unlock()
		done <- struct{}{}
	})
	require.NoError(t, s.SetRequestReceipts(true))
	const n = 50
	for i := range n {
		require.NoError(t, s.SendMessage("/queue/a", fmt.Sprint(i)))
	}
	for range n {
		recv(t, done)
	}
	waitFor(t, "every MessageOut", func() bool { mu.Lock(); defer mu.Unlock(); return len(order) == 2*n })
	mu.Lock()
	defer mu.Unlock()
	seen := map[string]bool{}
	var wrong []string
	for _, e := range order {
		var kind, id string
		fmt.Sscan(e, &kind, &id)
		if kind == "out" {
			seen[id] = true
		} else if !seen[id] {
			wrong = append(wrong, id)
		}
	}
	assert.Empty(t, wrong, "receipts whose ReceiptIn fired before their message's MessageOut (of %d)", n)
}
