package sim

import (
	"fmt"
	"testing"

	"github.com/stompactor/stompactor/frames"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A fault whose OnCommand names a command that never crosses the stream
// it counts (the ToClient stream by default) could never fire. A plan
// that says "drop the connection on the client's SEND" and forgets Dir:
// ToServer is refused up front, with an error that says why, rather than
// accepted and silently never acting.
func TestPlanRefusesACommandThatNeverCrossesItsStream(t *testing.T) {
	cases := []Fault{
		// MESSAGE never goes to the server; SEND and ACK never come to the client.
		{Name: "cut-on-send", Kind: DropConn, OnCommand: frames.CmdSend},
		{Name: "error-on-send", Kind: SendError, OnCommand: frames.CmdSend},
		{Name: "cut-on-message-to-server", Kind: DropConn, Dir: ToServer, OnCommand: frames.CmdMessage},
	}
	for _, f := range cases {
		t.Run(f.Name, func(t *testing.T) {
			b, err := NewBroker(WithPlan(Plan{f}), WithListenAddr(""))
			if b != nil {
				require.NoError(t, b.Close())
			}
			require.Error(t, err, "NewBroker accepted fault %+v, which can never fire", f)
			for _, want := range []string{f.Name, f.Kind.String(), f.OnCommand.String(), f.Dir.String(), "never"} {
				assert.Contains(t, err.Error(), want)
			}
		})
	}
}

// Every frame fault that takes a command trigger, in both directions and
// with every command: a plan is accepted exactly when the command crosses
// the stream the fault counts (and the kind may count that stream and
// trigger on that command), and Validate, NewBroker, NewProxy and the
// Inject of both agree.
func TestFaultCommandMustCrossItsStream(t *testing.T) {
	carries := map[Direction]map[frames.Command]bool{
		ToClient: {frames.CmdConnected: true, frames.CmdMessage: true, frames.CmdReceipt: true, frames.CmdError: true},
		ToServer: {frames.CmdConnect: true, frames.CmdStomp: true, frames.CmdSend: true, frames.CmdSubscribe: true,
			frames.CmdUnsubscribe: true, frames.CmdAck: true, frames.CmdNack: true, frames.CmdBegin: true,
			frames.CmdCommit: true, frames.CmdAbort: true, frames.CmdDisconnect: true},
	}
	implied := map[FaultKind]frames.Command{
		DuplicateMessage: frames.CmdMessage, RedeliverMessage: frames.CmdMessage,
		WithholdReceipt: frames.CmdReceipt, NoDisconnectReceipt: frames.CmdReceipt,
	}
	kinds := []FaultKind{DropConn, SendError, StopHeartbeats, DuplicateMessage, RedeliverMessage, WithholdReceipt, NoDisconnectReceipt}

	b := newBroker(t)
	_, p := newProxy(t, nil)
	accepted := 0
	for _, kind := range kinds {
		for _, dir := range []Direction{ToClient, ToServer} {
			for cmd := frames.CmdConnect; cmd.Valid(); cmd++ {
				f := Fault{Name: fmt.Sprintf("%v-%v-%v", kind, dir, cmd), Kind: kind, Dir: dir, OnCommand: cmd}
				dirOK := dir == ToClient || kind == DropConn
				cmdOK := implied[kind] == frames.CmdInvalid || implied[kind] == cmd
				want := dirOK && cmdOK && carries[dir][cmd]

				verr := Plan{f}.Validate()
				nb, berr := NewBroker(WithPlan(Plan{f}), WithListenAddr(""))
				if nb != nil {
					require.NoError(t, nb.Close())
				}
				np, perr := NewProxy(b.Addr(), Plan{f})
				if np != nil {
					require.NoError(t, np.Close())
				}
				ierr := b.Inject(f)
				pierr := p.Inject(f)
				for what, err := range map[string]error{"Validate": verr, "NewBroker": berr, "NewProxy": perr, "Broker.Inject": ierr, "Proxy.Inject": pierr} {
					if want {
						assert.NoError(t, err, "%s of %s", what, f.Name)
						continue
					}
					if !assert.Error(t, err, "%s of %s", what, f.Name) {
						continue
					}
					if dirOK && cmdOK {
						// Refused only because the command never crosses
						// the stream: the error says so and names it all.
						for _, s := range []string{f.Name, kind.String(), cmd.String(), dir.String(), "never"} {
							assert.Contains(t, err.Error(), s, "%s of %s", what, f.Name)
						}
					}
				}
				if want {
					accepted++
				}
			}
		}
	}
	// DropConn: 4 to the client + 11 to the server; SendError and
	// StopHeartbeats 4 each; the four implied-command kinds one each.
	assert.Equal(t, 4+11+4+4+4, accepted)
}
