//go:build !linux

package bench

// residentBytes is not measured on this system.
func residentBytes() uint64 { return 0 }

// raiseFileLimit leaves the limit alone on this system.
func raiseFileLimit(uint64) (uint64, error) { return 0, nil }
