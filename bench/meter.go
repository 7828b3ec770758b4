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

// gcClock is the Go runtime's account of the CPU its collector used
// (runtime/metrics), in seconds.
type gcClock struct{ gc float64 }

var gcSample = metrics.Sample{Name: "/cpu/classes/gc/total:cpu-seconds"}

// readGCClock collects the garbage, then reads the collector's CPU. The
// runtime's /cpu/classes figures move only at the end of a collection (a
// snapshot taken when one ends): read between two, they describe the
// process up to the last one, not now. A collection forced just before
// each reading makes them exact at the reading, so that the two readings
// of a meter bound its window. It costs a collection (about a
// millisecond with the heaps here) at each end of a measurement, outside
// its wall and CPU time.
func readGCClock() gcClock {
	runtime.GC()
	s := []metrics.Sample{gcSample}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindFloat64 {
		return gcClock{}
	}
	return gcClock{gc: s[0].Value.Float64()}
}

func startMeter() meter {
	gc := readGCClock()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	cpu, ok := cpuTime()
	return meter{wall: time.Now(), cpu: cpu, cpuOK: ok, mallocs: ms.Mallocs, bytes: ms.TotalAlloc, gcs: ms.NumGC, gcCPU: gc}
}

// stop returns the Measure of n messages handled since the meter started,
// each carrying size bytes of body.
func (m meter) stop(n int64, size int) Measure {
	elapsed := time.Since(m.wall)
	cpu, ok := cpuTime()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	out := m.measure(n, size, elapsed, cpu, ok && m.cpuOK, ms.Mallocs, ms.TotalAlloc)
	// How often the collector ran (the collection forced below is not
	// counted, the one forced at the start came before NumGC was read),
	// and its share of the CPU the process used: what a GC-bound path
	// shows. The share's window runs from the collection forced at the
	// start to the one forced here, which collects the garbage the
	// measurement left, so the measurement pays for all it made; its
	// denominator is getrusage's CPU time over the same window.
	if elapsed > 0 {
		out.GCPerSec = float64(ms.NumGC-m.gcs) / elapsed.Seconds()
	}
	now := readGCClock()
	if used, ok := cpuTime(); ok && m.cpuOK && used > m.cpu {
		out.GCCPUShare = min(max((now.gc-m.gcCPU.gc)/(used-m.cpu).Seconds(), 0), 1)
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
