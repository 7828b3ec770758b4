package bench

import (
	"runtime"
	"time"
)

// meter takes the process's own figures around a measurement: wall time,
// CPU time (user and system, from getrusage) and the heap allocations of
// the Go runtime. With peers in this process their share is counted too;
// peers in their own process (Config.PeerProcess) keep it out.
type meter struct {
	wall    time.Time
	cpu     time.Duration
	cpuOK   bool
	mallocs uint64
	bytes   uint64
}

func startMeter() meter {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	cpu, ok := cpuTime()
	return meter{wall: time.Now(), cpu: cpu, cpuOK: ok, mallocs: ms.Mallocs, bytes: ms.TotalAlloc}
}

// stop returns the Measure of n messages handled since the meter started,
// each carrying size bytes of body.
func (m meter) stop(n int64, size int) Measure {
	elapsed := time.Since(m.wall)
	cpu, ok := cpuTime()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return m.measure(n, size, elapsed, cpu, ok && m.cpuOK, ms.Mallocs, ms.TotalAlloc)
}

func (m meter) measure(n int64, size int, elapsed, cpu time.Duration, cpuOK bool, mallocs, bytes uint64) Measure {
	out := Measure{Messages: n, Seconds: elapsed.Seconds()}
	if n <= 0 || elapsed <= 0 {
		return out
	}
	per := float64(n)
	out.MsgPerSec = per / elapsed.Seconds()
	out.MBPerSec = per * float64(size) / elapsed.Seconds() / 1e6
	if cpuOK {
		out.CPUMicrosPerMsg = float64(cpu-m.cpu) / 1e3 / per
	}
	out.AllocsPerMsg = float64(mallocs-m.mallocs) / per
	out.BytesPerMsg = float64(bytes-m.bytes) / per
	return out
}
