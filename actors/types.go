package actors

import (
	"time"

	"github.com/stompactor/stompactor/frames"
)

// State is the connection state.
type State int32

// Connection states.
const (
	Disconnected State = iota
	Connecting
	Connected
	Disconnecting
)

func (s State) String() string {
	switch s {
	case Disconnected:
		return "disconnected"
	case Connecting:
		return "connecting"
	case Connected:
		return "connected"
	case Disconnecting:
		return "disconnecting"
	}
	return "unknown"
}

// ConnectInfo describes the current connection.
type ConnectInfo struct {
	Version frames.Version
	// Addr is the broker ("host:port") this connection was made to:
	// ConnectConfig.Addr, or the Failover server that answered.
	Addr         string
	Server       string
	Session      string
	HeartbeatOut time.Duration // negotiated: how often we send
	HeartbeatIn  time.Duration // negotiated: how often the server sends
	Headers      frames.Headers
}

// AckMode is a subscription's acknowledgement mode.
type AckMode string

// Acknowledgement modes.
const (
	AckAuto             AckMode = "auto"
	AckClient           AckMode = "client"
	AckClientIndividual AckMode = "client-individual"
)

// AckAction is what a message handler asks for once it returns.
type AckAction uint8

// Handler outcomes.
const (
	AckNone AckAction = iota // send nothing (auto mode, or the user acks later)
	AckAck
	AckNack
	// AckNotHandled sends nothing, as AckNone, and says that the
	// program was never given the message (a wrapper that hands it on
	// elsewhere found the client closed first): it is counted in
	// Stats.Dropped. A message that needs an ACK is redelivered by the
	// broker as any unacknowledged one.
	AckNotHandled
)

// SubscribeSpec describes a subscription.
type SubscribeSpec struct {
	Destination string
	ID          string // "" assigns "sub-N"
	Mode        AckMode
	// Headers are extra SUBSCRIBE headers. None may be one of the
	// client's own (see OwnHeader): Subscribe refuses such a spec.
	Headers frames.Headers
	// Prefetch, when >0, bounds the messages the broker sends before they
	// are acknowledged, for the client ack modes (brokers do not apply a
	// prefetch to auto): SUBSCRIBE carries it in the header the broker
	// reads (see prefetchHeaders), unless Headers names a prefetch header
	// itself.
	Prefetch int
	// Handler runs for each message, in order, on a goroutine the
	// subscription holds while it has messages; its result is sent as ACK
	// or NACK (AckNotHandled: nothing, and the message counts as
	// dropped). The message is passed by value: the engine reuses the
	// place it was queued in, while the strings, headers and body it
	// points to are the handler's to keep.
	Handler func(Message) AckAction
	// QueueSize bounds messages received but not yet handled. Default
	// DefaultQueueSize.
	QueueSize int
	// QueueBytes bounds the bytes (headers and bodies) of those messages.
	// A message larger than the whole bound is still taken, alone.
	// Default DefaultQueueBytes.
	QueueBytes int
	// OnFull says what happens when the queue is full, in messages or in
	// bytes. Default FullBlock.
	OnFull FullPolicy
	// Receipt, when >0, waits that long for the broker's receipt.
	Receipt time.Duration
	// MaxDeliveries, when >0, bounds how many times a message may come
	// back after its handler asked for a NACK (or panicked): a message
	// delivered that many times before is handed to DeadLetter and
	// acknowledged (once DeadLetter returns) instead of handled. Deliveries are counted by the
	// broker where it says (RabbitMQ's x-delivery-count), else by the
	// subscription, by KeyHeader or message-id. Client ack modes only.
	MaxDeliveries int
	// DeadLetter receives the messages MaxDeliveries takes out of the
	// way, each acknowledged once DeadLetter returns; one that panics or
	// ends its goroutine has not taken its message, which is then
	// reported (Stats.Panics, an ErrorEvent) and NACKed (left
	// unacknowledged on STOMP 1.0), as after a handler that panics. Nil
	// only counts them (Stats.DeadLettered) and acknowledges them.
	DeadLetter func(Message)
	// KeyHeader names the header that identifies a message across its
	// deliveries (the producer's de-duplication id, say) where the
	// message-id does not (RabbitMQ gives each delivery its own).
	KeyHeader string
	// Lent lends each message to Handler (and DeadLetter) for the length
	// of the call: its strings, headers and body are valid until the
	// handler returns, after which the engine gives their memory to later
	// messages. A consumer that keeps nothing of a message (or copies what
	// it keeps) saves the collector most of a message's garbage. On a
	// Pull subscription, each message Receive returns is lent until its
	// caller gives it back with Message.Release. While a subscription of
	// a connection lends, every frame the connection reads lives in
	// leased memory, rounded up to a power of two past 1 KiB: a large
	// message another subscription keeps holds up to twice its size.
	Lent bool
	// Pull keeps the messages until Receive takes them, instead of
	// handing them to Handler (which must be nil). A message that needs
	// an ACK is acknowledged with AckRef. MaxDeliveries does not apply.
	// In ack mode auto, what it received stays for Receive after a
	// Disconnect ended it (Conn.Receive).
	Pull bool
	// SettlesExits says Handler settles its message itself when it ends
	// its goroutine (runtime.Goexit) instead of returning: the engine then
	// reports and counts the exit but writes no ACK or NACK for it (by
	// default it NACKs the message, as after a panic).
	SettlesExits bool
}

// SubscriptionInfo lists a live subscription.
type SubscriptionInfo struct {
	ID, Destination string
	Mode            AckMode
	Delivered       int64 // messages delivered to it so far: received, and not dropped by a full queue
}

// Message is one MESSAGE frame delivered to a subscription. Its Headers
// and Body are its own. The messages of a subscription are handed over
// in batches, and a *Message points into one: to keep a message after
// its handler returned, keep a copy (*m), which keeps nothing else alive.
type Message struct {
	Subscription string
	MessageID    string
	Destination  string
	ContentType  string
	AckID        string // the value the ACK frame names the message by
	Headers      frames.Headers
	Body         []byte
	Redelivered  bool

	gen   uint64        // the connection it came on
	seq   uint32        // its number in its subscription (cumulative.go)
	rt    *route        // its subscription's
	size  int64         // what it counts against its queue's byte bound
	lease *frames.Lease // its memory's, on a Lent subscription
}

// NeedsAck reports whether the broker expects an ACK or NACK for m.
func (m *Message) NeedsAck() bool { return needsAck(m.rt) }

func needsAck(rt *route) bool {
	return rt != nil && rt.spec != nil && rt.spec.Mode != AckAuto && rt.spec.Mode != ""
}

// MessageRef is what acknowledging a message takes (see Conn.AckRef): a
// small value, which keeps none of the message's headers or body alive,
// for whoever acknowledges it after its handler returned.
type MessageRef struct {
	// ackID is what the ACK names the message by: its ack header on
	// STOMP 1.2, its message-id before (describe), with the subscription
	// the route's id, on the connection of generation gen (its low 32
	// bits: the ref stays 32 bytes, and an event that holds one its size
	// class), seq its number in the subscription.
	ackID string
	rt    *route
	gen   uint32
	seq   uint32
}

// Release gives the memory of a message that Receive returned from a Lent
// Pull subscription back to the engine, for later messages: m's strings,
// headers and body must not be used afterwards (copy what is kept; its
// Ref stays valid). Release one copy of a message, once: a Message is a
// value, and releasing two copies of it gives its memory back twice,
// while later messages live in it. Releasing is optional: a message never
// released is collected as any other. On other messages (a handler's,
// even on a Lent subscription) Release does nothing.
func (m *Message) Release() {
	l := m.lease
	m.lease = nil
	l.Release()
}

// lent is m as a handler gets it: its memory's lease stays with the
// subscription, which gives it back once the handler returned, so that a
// Release of the handler's copy does nothing.
func (m *Message) lent() Message {
	h := *m
	h.lease = nil
	return h
}

// Lease returns the lease of a lent message's memory (see Release), nil
// for any other: for a holder that keeps it apart from the message and
// releases it in m's place.
func (m *Message) Lease() *frames.Lease { return m.lease }

// Ref returns what acknowledging m takes.
func (m *Message) Ref() MessageRef {
	return MessageRef{ackID: m.AckID, rt: m.rt, gen: uint32(m.gen), seq: m.seq}
}

// NeedsAck reports whether the broker expects an ACK or NACK for the
// message.
func (r *MessageRef) NeedsAck() bool { return needsAck(r.rt) }
