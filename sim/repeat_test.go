package sim

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stompactor/stompactor/frames"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// runScriptToTheEnd runs one fixed client script against a fresh broker with plan
// and returns what the plan's faults did.
func runScriptToTheEnd(t *testing.T, plan Plan) []FaultEvent {
	t.Helper()
	b := newBroker(t, WithPlan(plan))
	c := tcpClient(t, b.Addr())
	var sb strings.Builder
	sb.WriteString("CONNECT\naccept-version:1.2\nhost:/\n\n\x00")
	sb.WriteString("SUBSCRIBE\nid:0\ndestination:/queue/q\n\n\x00")
	for i := range 100 {
		sb.WriteString("SEND\ndestination:/queue/q\nreceipt:r" + strconv.Itoa(i) + "\n\nbody " + strconv.Itoa(i) + strings.Repeat("x", 1000) + "\x00")
	}
	sb.WriteString("DISCONNECT\nreceipt:bye\n\n\x00")
	c.send(sb.String())
	for {
		f := c.read()
		if f.cmd == "RECEIPT" && f.get("receipt-id") == "bye" {
			break
		}
	}
	c.expectClosed()
	require.NoError(t, b.Close())
	return b.FaultEvents()
}

// A seeded plan replays identically: DelayWrites to the client waits
// before each frame (not each batch of frames, which depends on timing),
// so the same client script against the same plan yields the same waits
// at the same offsets, run after run.
func TestDelayWritesToTheClientReplaysIdentically(t *testing.T) {
	plan := Plan{{Name: "slow", Kind: DelayWrites, Jitter: time.Millisecond, Seed: 7}}
	first := runScriptToTheEnd(t, plan)
	require.Len(t, first, 1+2*100+1, "one wait per frame: CONNECTED, a MESSAGE and a RECEIPT per SEND, the last RECEIPT")
	for run := 2; run <= 5; run++ {
		again := runScriptToTheEnd(t, plan)
		if !assert.Equal(t, first, again, "run %d differs from run 1 (%d vs %d events)", run, len(again), len(first)) {
			return
		}
	}
}

// A plan of a byte fault (RandomChunks) and frame faults
// (DuplicateMessage, DropConn) acts identically on every run, and
// FaultEvents, the record for tests to compare runs, lists the events in
// an order that does not depend on how the writer batched them: by
// connection, by fault in plan order, then in the order each fault acted.
func TestFaultEventsCompareEqualAcrossRuns(t *testing.T) {
	plan := Plan{{Name: "chunks", Kind: RandomChunks, Chunk: 700, Seed: 3}, {Name: "cut", Kind: DropConn, OnCommand: frames.CmdReceipt, Nth: 300}, {Name: "dup", Kind: DuplicateMessage, Nth: 7, Times: 3}}
	first := runScriptToTheCut(t, plan)
	for run := 2; run <= 12; run++ {
		again := runScriptToTheCut(t, plan)
		if !assert.Equal(t, first, again, "run %d differs from run 1", run) {
			return
		}
	}
}

// runScriptToTheCut runs a script that a fault of plan cuts short.
func runScriptToTheCut(t *testing.T, plan Plan) []FaultEvent {
	t.Helper()
	b := newBroker(t, WithPlan(plan))
	c := tcpClient(t, b.Addr())
	s := "CONNECT\naccept-version:1.2\nhost:/\n\n\x00SUBSCRIBE\nid:0\ndestination:/queue/q\n\n\x00"
	for i := range 400 {
		s += "SEND\ndestination:/queue/q\nreceipt:r" + strconv.Itoa(i) + "\n\nbody\x00"
	}
	c.send(s)
	for {
		if _, err := c.readFrame(); err != nil {
			break
		}
	}
	require.NoError(t, b.Close())
	return b.FaultEvents()
}
