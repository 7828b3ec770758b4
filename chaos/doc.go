// Package chaos holds soak tests that run the client through the
// simulator's fault-injecting proxy: connections dropped every few hundred
// frames, writes cut into random pieces, delays. They check the promise
// that matters most: with receipts and acknowledgements, no message the
// broker confirmed is lost, whatever the network does.
//
//	go test -run Soak -v ./chaos
//	STOMPACTOR_SOAK_MESSAGES=20000 go test -run Soak ./chaos   (longer)
package chaos
