//go:build race

package frames

// raceEnabled: the race detector makes sync.Pool drop a share of what is
// put back, so tests of pooled memory cannot count bytes under it.
const raceEnabled = true
