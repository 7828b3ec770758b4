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
	cmd := frames.CmdBegin
	switch m.op {
	case txCommit:
		cmd = frames.CmdCommit
	case txAbort:
		cmd = frames.CmdAbort
	}
	// Recorded as queued; the frame's state settles it (txSet): a COMMIT
	// or ABORT not written leaves the transaction open, a BEGIN not
	// written leaves the id unknown.
	var err error
	if m.op == txBegin {
		err = t.l.tx.begin(m.id, m.wf)
	} else {
		err = t.l.tx.end(m.id, m.wf, m.op == txAbort)
	}
	if err != nil {
		return err
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
