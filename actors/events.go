package actors

import "github.com/stompactor/stompactor/frames"

// Event is a fact the engine reports to its connection's sink: one of the
// *...Event types below. The sink is called on an engine goroutine and
// must not block; the api package queues each event for its handlers.
// MessageIn is not an event: messages go to their subscription's handler.
type Event interface{ event() }

// ConnectedEvent follows every connection attempt, successful or not.
type ConnectedEvent struct {
	Err  error // nil on success
	Info ConnectInfo
	// Restored: the Reconnect policy brought a lost connection back, and
	// its subscriptions were sent again (not the first Connect's).
	Restored bool
}

// ConnectionStatusEvent reports a step of the connection's life.
type ConnectionStatusEvent struct {
	// "queued" (an automatic reconnect attempt waits for a slot of the
	// engine's MaxConcurrentConnects before it starts; "dialing" follows
	// once it has one),
	// "dialing", "connected-tcp", "connecting", "connected",
	// "disconnecting", "lost", "retrying", "reconnecting",
	// "reconnected", "gave up".
	Status string
	Detail string
}

// DisconnectedEvent follows the end of a connection. Err is nil after a
// clean Disconnect.
type DisconnectedEvent struct{ Err error }

// ErrorEvent reports an error that is not the answer to a call: a
// non-fatal server ERROR, a failed automatic ACK, a panic.
type ErrorEvent struct{ Err error }

// Log levels of LogEvent.
const (
	LogError   = 0
	LogInfo    = 1
	LogVerbose = 2
	LogDebug   = 3
)

// LogEvent is one log line. Type is "info", "ack" or "frame".
type LogEvent struct {
	Level   int
	Type    string
	Message string
}

// MessageOutEvent reports a SEND frame as the writer hands it to the
// socket: it is emitted just before the write that carries the frame, so
// that it always comes before the ReceiptInEvent of the frame's RECEIPT
// (which the reader may read before that write returns). If the write
// then fails, the connection ends (a DisconnectedEvent or a reconnect
// follows), and the broker may not have the message.
type MessageOutEvent struct {
	Destination string
	Headers     frames.Headers
	Size        int
}

// ReadyToSendEvent fires when the connection can take frames without
// waiting: once after CONNECTED, and whenever a full outgoing queue has
// room again.
type ReadyToSendEvent struct{}

// ReceiptInEvent reports a RECEIPT from the server.
type ReceiptInEvent struct{ ReceiptID string }

// ReceiptOutEvent reports a frame sent with a receipt header.
type ReceiptOutEvent struct {
	ReceiptID string
	Command   frames.Command
}

// SubscribedEvent follows a SUBSCRIBE written (or confirmed, with receipts).
// The events of one id come in the order the session made and ended its
// subscriptions, not the order their callers woke; a later call of the id
// that completes first tells it (no call waits for another's outcome); a
// subscription that ended with its connection before its caller had the
// outcome has none (subnotes.go).
type SubscribedEvent struct{ ID, Destination string }

// UnsubscribedEvent follows an Unsubscribe the session applied (whatever
// the fate of its UNSUBSCRIBE), or one with nothing to send. It never
// comes before its subscription's SubscribedEvent, and not at all after a
// Subscribe that failed untold.
type UnsubscribedEvent struct{ ID, Destination string }

func (*ConnectedEvent) event()        {}
func (*ConnectionStatusEvent) event() {}
func (*DisconnectedEvent) event()     {}
func (*ErrorEvent) event()            {}
func (*LogEvent) event()              {}
func (*MessageOutEvent) event()       {}
func (*ReadyToSendEvent) event()      {}
func (*ReceiptInEvent) event()        {}
func (*ReceiptOutEvent) event()       {}
func (*SubscribedEvent) event()       {}
func (*UnsubscribedEvent) event()     {}
