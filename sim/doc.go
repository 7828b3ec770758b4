// Package sim is an in-process STOMP broker and a fault-injecting TCP proxy,
// for tests and demos of STOMP clients.
//
// # Broker
//
// NewBroker starts a broker that speaks STOMP 1.0, 1.1 and 1.2 on
// 127.0.0.1:0 (see Addr) and, through ServePipe, over in-process net.Pipe
// connections. It implements queues ("/queue/...": each message goes to one
// subscriber, round-robin, and stays until acknowledged) and topics
// ("/topic/...": each message goes to every subscriber present when it is
// sent), the three acknowledgement modes, prefetch, transactions, receipts,
// heart-beats, frame limits, logins and virtual hosts. A destination that
// matches none of the configured queue and topic prefixes is refused with an
// ERROR frame.
//
// One goroutine owns every piece of broker state. Each connection has a
// reader goroutine, which decodes frames and hands them to the owner in
// batches, and a writer goroutine, which drains a bounded outbound queue and
// writes many frames with one call. When a connection's outbound queue is
// full the owner stops delivering messages to it until the writer drains it;
// when the destinations together hold more than the configured number of
// ready messages, connections that publish are no longer read from until
// consumers catch up. Nothing grows without bound and the owner never
// blocks on a connection.
//
// Tests inspect the broker through admin calls (Stats, Connections,
// ClosedConnections, Destination, FaultEvents) and act on it through SendError,
// CloseConnection, CloseConnections (every open connection at once), and
// Inject and Clear, which add and end faults while it runs.
//
// # Faults
//
// A Plan is a list of named Fault values. Each fault has a kind, a trigger
// (a connection number, a byte offset, a frame count, a command, a time) and
// a seed for whatever it chooses at random, so a plan replays identically.
// Byte faults (drops, delays, split or corrupted writes, stalls) wrap the
// client-facing net.Conn; frame faults (stopped heart-beats, injected
// ERRORs, duplicated or redelivered MESSAGEs, withheld RECEIPTs) filter the
// server-to-client frame stream. A plan can change as a test runs:
// Inject adds a fault, to the open connections at once (stop reading
// connection 2 now, say) and to later ones, and Clear ends one (Broker and
// Proxy alike). The same
// plan runs in the broker (WithPlan)
// and in the Proxy, which forwards to any STOMP server, a real one included.
// Both record what the faults did (FaultEvents) and can report each action
// as it happens (WithFaultHook, ProxyFaultHook); `stomp broker` and
// `stomp proxy` print them that way.
package sim
