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
//
// # In a test suite
//
// There is no Reset. Connection numbers, destinations and the messages
// left in them, counters, FaultEvents and the fault names already used
// all last as long as the Broker, and a fault with Conn: 2 means the
// second connection since the broker started, not since the subtest did.
// Start a broker in each test or subtest and Close it in t.Cleanup; that
// is cheap. BenchmarkBrokerPerTest measured, on a shared two-core
// machine, about 60 µs to start and close one with a TCP listener, about
// 10 µs with none (WithListenAddr("") and ServePipe only), and about
// 0.2 ms with a client connected over a pipe. A Proxy is the same: one
// per test.
//
// Faults timed by After, and stalls lasting Delay, run on the wall clock;
// no fake clock drives them. A test should not sleep past them: it waits
// for the fault itself, with WithFaultHook (ProxyFaultHook) handing each
// event to a buffered channel that the test receives from under a
// deadline, or by polling FaultEvents under a deadline (see the
// WithFaultHook example). The same works for a fault triggered by the
// client's traffic, when the test must know it has happened.
//
// A connection ends in two steps. After a DISCONNECT (and its RECEIPT,
// if asked for) or a fatal ERROR, the broker half-closes a TCP connection
// and waits up to the linger (WithLinger, one second by default) for the
// client to close its side. In that time the connection is no longer in
// Connections (nor counted in Stats) and not yet in ClosedConnections:
// ClosedConnection(n) reports it once the client closes or the linger
// passes, so a test that wants it polls under a deadline. A ServePipe
// connection cannot half-close, and ends at once.
//
// A DropConn with Dir ToServer cuts the connection just before the
// triggering frame reaches the server. What the server was still to send
// back for the earlier frames goes down with it: a client that pipelines
// may get no CONNECTED, RECEIPT or MESSAGE for frames the broker has
// already acted on (a SEND enqueued, an ACK settled). A real network cut
// does the same; for the client, the outcome of every frame it holds no
// answer for is unknown.
package sim
