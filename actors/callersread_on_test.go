//go:build linux && !386

package actors

// callersRead says callers of Receive may read the connection themselves
// on this platform (readable_linux.go).
const callersRead = true
