//go:build !linux

package bench

import "os"

// selfExecutable names the running program's image for exec: its path,
// os.Executable(). A file replaced at that path while a bench runs is
// what gets run (on Linux /proc/self/exe avoids that: selfexe_linux.go).
func selfExecutable() (string, error) { return os.Executable() }
