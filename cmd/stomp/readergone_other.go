//go:build !linux

package main

import "io"

// watchReader is a no-op here: the reader of standard output going away
// is seen at the next write only.
func watchReader(io.Writer) (gone <-chan struct{}, stop func()) { return nil, func() {} }
