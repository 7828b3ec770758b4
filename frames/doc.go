// Package frames is the STOMP wire codec for protocol versions 1.0, 1.1 and
// 1.2: the Frame type, command and version tables, header escaping, an
// appending encoder, a buffered frame writer and a streaming decoder with
// configurable limits.
//
// The package depends only on the standard library. It never performs
// network I/O of its own beyond reading from and writing to the io.Reader
// and io.Writer it is given, and it never panics on input from the wire:
// every malformed or oversized frame is reported as a *SyntaxError or a
// *LimitError.
package frames
