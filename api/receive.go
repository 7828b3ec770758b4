package api

import (
	"context"
)

// Receive returns the next message of a Pull subscription
// (SubscribeOptions.Pull), waiting until one comes or ctx ends (its error,
// with CodeTimeout or CodeCanceled). Any number of goroutines may wait on
// one subscription; each message goes to one of them. A message that
// needs an acknowledgement is acknowledged with Ack or Nack. A
// subscription that ends while Receive waits (Unsubscribe, the connection
// lost for good) returns ErrUnknownSubscription; Close returns ErrClosed.
// While reconnecting, Receive waits for the messages of the new
// connection.
func (s *STOMP) Receive(ctx context.Context, subscriptionID string) (*MessageInEvent, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	eng, err := s.engine()
	if err != nil {
		return nil, err
	}
	if eng == nil {
		return nil, ErrNotConnected
	}
	m, err := eng.Receive(ctx, subscriptionID)
	if err != nil {
		if _, cerr := s.engine(); cerr != nil {
			return nil, cerr // closed meanwhile
		}
		return nil, s.err(err, CodeOther)
	}
	return s.messageEvent(&m, nil), nil
}
