package actors

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// A DedupHeader naming one of the client's own headers is refused: the
// de-duplication id would replace the destination, say, or each
// transmission's receipt id would replace it.
func TestOutboxRefusesADedupHeaderOfTheClientsOwn(t *testing.T) {
	c, _ := newTestClient(t, ConnOptions{})
	for _, name := range ownHeaders {
		err := c.SendReliable(testCtx(t), sendFrame("/q", "x"), OutboxConfig{DedupHeader: name}, nil)
		require.ErrorIs(t, err, ErrInvalidArgument, name)
	}
	require.Zero(t, c.Outbox())
}
