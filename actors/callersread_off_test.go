//go:build !linux || 386

package actors

// callersRead says callers of Receive may read the connection themselves
// on this platform: not here (readable_other.go).
const callersRead = false
