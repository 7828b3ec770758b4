package actors

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// The cumulative cover of transactions' ACKs: each open transaction's
// counts, a COMMIT written folds it into the connection's, an ABORT
// written drops it, and an ACK not written takes its part back. No saved
// value is restored, so aborts in any order leave nothing behind.
func TestTxSetCoverFoldsAtCommitAndDropsAtAbort(t *testing.T) {
	var s txSet
	rt := &route{}
	open := func(id string) {
		begin := linkedMustGo()
		require.NoError(t, s.begin(id, begin))
		begin.state.Store(frameWritten)
	}
	end := func(id string, abort bool) {
		wf := linkedMustGo()
		require.NoError(t, s.end(id, wf, abort))
		wf.state.Store(frameWritten)
	}
	open("A")
	open("B")
	s.coverIn("A", rt, 2)
	s.coverIn("B", rt, 4)
	require.True(t, s.covers(rt, 3), "B's ACK of 4 covers 3 while B is open")
	end("A", true)
	require.True(t, s.covers(rt, 1), "B still covers")
	end("B", true)
	require.False(t, s.covers(rt, 1), "both aborted: nothing covered")
	require.Nil(t, s.cum)

	open("C")
	s.coverIn("C", rt, 5)
	unwritten := s.coverIn("C", rt, 7)
	unwritten()
	require.True(t, s.covers(rt, 5))
	require.False(t, s.covers(rt, 6), "the ACK of 7 was not written")
	end("C", false)
	require.True(t, s.covers(rt, 5), "committed: it stays")
	require.False(t, s.covers(rt, 6))
}
