// Package actors is stompactor's engine: a tree of protoactor-go actors
// that own one STOMP connection.
//
//	session            the connection state machine and its generation number
//	 |-- writer        encodes, batches and flushes outgoing frames
//	 |-- reader        a goroutine blocked in Decode, routing frames
//	 |-- heartbeat     sends EOLs when idle, detects server silence
//	 |-- subscription  one per subscription: ordered delivery, acks, its queue
//	 `-- transactions  open transaction ids
//
// Client is the handle the api package drives. Every request to an actor
// carries a buffered reply channel; callers wait on it and on their
// context, so no protoactor Future (and no Future timeout) is ever used.
package actors
