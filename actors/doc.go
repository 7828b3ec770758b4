// Package actors is stompactor's engine. An Engine (DefaultEngine, or one
// of your own from NewEngine) runs the connections of a process: one
// protoactor-go actor system, one pool of reused goroutines, one set of
// actor props. Each connection (Conn) is a small tree of actors in it:
//
//	session            the connection state machine and its generation number
//	 |-- writer        encodes, batches and flushes outgoing frames (its actor runs on demand)
//	 |-- reader        a goroutine blocked in Decode, routing frames
//	 |-- heartbeat     sends EOLs when idle, detects server silence
//	 |-- subscription  one per subscription: ordered delivery, acks, its queue
//	 `-- transactions  open transaction ids
//
// Conn is the narrow handle the api package drives: every call is a
// request to an actor carrying a buffered reply channel, which the caller
// waits on with its context, so no protoactor Future (and no Future
// timeout) is ever used; facts come back through one sink. An idle
// subscribed connection holds a few KiB and, over plain TCP on Linux, no
// goroutine: the engine's poller waits for its socket (idlePoller).
// ARCHITECTURE.md at the repository's root is the map.
package actors
