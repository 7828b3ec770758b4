package bench

import (
	"runtime"
	"runtime/metrics"
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
	gcs     uint32
	gcCPU   gcClock
}

// gcClock is the Go runtime's own account of CPU time (runtime/metrics):
// what its collector used, and what goroutines and the collector used
// together (its whole estimate, less idle processors).
type gcClock struct{ gc, busy float64 }

var gcSamples = []metrics.Sample{
	{Name: "/cpu/classes/gc/total:cpu-seconds"},
	{Name: "/cpu/classes/total:cpu-seconds"},
	{Name: "/cpu/classes/idle:cpu-seconds"},
}

func readGCClock() gcClock {
	s := make([]metrics.Sample, len(gcSamples))
	copy(s, gcSamples)
	metrics.Read(s)
	f := func(i int) float64 {
		if s[i].Value.Kind() == metrics.KindFloat64 {
			return s[i].Value.Float64()
		}
		return 0
	}
	return gcClock{gc: f(0), busy: f(1) - f(2)}
}

func startMeter() meter {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	cpu, ok := cpuTime()
	return meter{wall: time.Now(), cpu: cpu, cpuOK: ok, mallocs: ms.Mallocs, bytes: ms.TotalAlloc, gcs: ms.NumGC, gcCPU: readGCClock()}
}

// stop returns the Measure of n messages handled since the meter started,
// each carrying size bytes of body.
func (m meter) stop(n int64, size int) Measure {
	elapsed := time.Since(m.wall)
	cpu, ok := cpuTime()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	out := m.measure(n, size, elapsed, cpu, ok && m.cpuOK, ms.Mallocs, ms.TotalAlloc)
	// How often the collector ran, and its share of the CPU the process
	// used: what a GC-bound path shows.
	if elapsed > 0 {
		out.GCPerSec = float64(ms.NumGC-m.gcs) / elapsed.Seconds()
	}
	now := readGCClock()
	if busy := now.busy - m.gcCPU.busy; busy > 0 {
		out.GCCPUShare = min(max((now.gc-m.gcCPU.gc)/busy, 0), 1)
	}
	return out
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
