package actors

import (
	"errors"
	"strings"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/stompactor/stompactor/frames"
)

// transactions tracks the transactions open on the current connection. A
// commit or abort of an id it does not know fails before anything is sent;
// when the connection ends the broker has aborted them all, and so does it.
// The session starts it at the first transaction request.
type transactions struct {
	c *Conn
	l *link // the current connection's, which holds the open ids (txSet)
}

func (t *transactions) Receive(ctx actor.Context) { guard(ctx, t, t.receive) }

func (t *transactions) receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *linkChanged:
		t.l = m.link
	case *connectionEnded:
		if ids := t.ids(); len(ids) > 0 {
			t.c.log(LogInfo, "info", "connection ended; the broker aborts open transactions: "+strings.Join(ids, ","))
		}
		t.l = nil
	case *openTransactionsRequest:
		m.reply <- t.ids()
	case *txRequest:
		if err := t.request(ctx, m); err != nil {
			m.wf.reply <- err
		}
	}
}

// failed reports a panic to the session and stops the actor; the session
// starts a new one at the next request.
func (t *transactions) failed(ctx actor.Context, err error, stack string) {
	ctx.Send(t.c.session, &actorPanicked{who: ctx.Self(), err: err, stack: stack})
	ctx.Stop(ctx.Self())
}

func (t *transactions) request(ctx actor.Context, m *txRequest) error {
	if m.id == "" {
		return errors.New("stomp: transaction id must not be empty")
	}
	if t.l == nil {
		return ErrNotConnected
	}
	var cmd frames.Command
	switch m.op {
	case txBegin:
		if !t.l.tx.add(m.id) {
			return ErrTransactionExists
		}
		cmd = frames.CmdBegin
	case txCommit, txAbort:
		if !t.l.tx.remove(m.id) {
			return ErrUnknownTransaction
		}
		cmd = frames.CmdCommit
		if m.op == txAbort {
			cmd = frames.CmdAbort
		}
	}
	f := frames.New(cmd, frames.HdrTransaction, m.id)
	m.wf.frame, m.wf.receipt = f, m.receipt
	t.l.out.post(m.wf)
	return nil
}

func (t *transactions) ids() []string {
	if t.l == nil {
		return []string{}
	}
	return t.l.tx.ids()
}
