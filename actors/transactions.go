package actors

import (
	"errors"
	"sort"
	"strings"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/stompactor/stompactor/frames"
)

// txState tracks the transactions open on the current connection. A
// commit or abort of an id it does not know fails before anything is sent;
// when the connection ends the broker has aborted them all, and so does it.
type txState struct {
	c    *Client
	l    *link
	open map[string]bool
}

type transactions struct{ st *txState }

func (t *transactions) Receive(ctx actor.Context) {
	st := t.st
	switch m := ctx.Message().(type) {
	case *linkChanged:
		st.l = m.link
	case *connectionEnded:
		if len(st.open) > 0 {
			st.c.log(LogInfo, "info", "connection ended; the broker aborts open transactions: "+strings.Join(st.ids(), ","))
		}
		clear(st.open)
		st.l = nil
	case *openTransactionsRequest:
		m.reply <- st.ids()
	case *txRequest:
		if err := st.request(ctx, m); err != nil {
			m.reply <- err
		}
	}
}

func (st *txState) request(ctx actor.Context, m *txRequest) error {
	if m.id == "" {
		return errors.New("stomp: transaction id must not be empty")
	}
	if st.l == nil {
		return ErrNotConnected
	}
	var cmd frames.Command
	switch m.op {
	case txBegin:
		if st.open[m.id] {
			return ErrTransactionExists
		}
		cmd = frames.CmdBegin
		st.open[m.id] = true
	case txCommit, txAbort:
		if !st.open[m.id] {
			return ErrUnknownTransaction
		}
		cmd = frames.CmdCommit
		if m.op == txAbort {
			cmd = frames.CmdAbort
		}
		delete(st.open, m.id)
	}
	f := frames.New(cmd, frames.HdrTransaction, m.id)
	ctx.Send(st.l.writer, &writeFrame{frame: f, receipt: m.receipt, reply: m.reply})
	return nil
}

func (st *txState) ids() []string {
	out := make([]string, 0, len(st.open))
	for id := range st.open {
		out = append(out, id)
	}
	sort.Strings(out)
	return out
}
