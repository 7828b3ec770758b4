//go:build !unix

package main

import "os"

// raise does nothing where a process cannot signal itself: the caller
// exits with the signal's code.
func raise(os.Signal) {}
