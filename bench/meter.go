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

// gcClock is the Go runtime's account of the CPU its Ps used
// (runtime/metrics), in seconds: the collector's, and the busy time of
// all (the total available less the idle).
type gcClock struct{ gc, busy float64 }

var gcNames = []string{
	"/cpu/classes/gc/total:cpu-seconds",
	"/cpu/classes/total:cpu-seconds",
	"/cpu/classes/idle:cpu-seconds",
}

// readGCClock reads the collector's CPU and the process's busy CPU as the
// runtime counts them. The runtime's /cpu/classes figures are a snapshot
// taken when a collection ends: read between two, they describe the
// process up to the end of the last one, not now.
func readGCClock() gcClock {
	s := make([]metrics.Sample, len(gcNames))
	for i, n := range gcNames {
		s[i].Name = n
	}
	metrics.Read(s)
	f := func(i int) float64 {
		if s[i].Value.Kind() != metrics.KindFloat64 {
			return 0
		}
		return s[i].Value.Float64()
	}
	return gcClock{gc: f(0), busy: f(1) - f(2)}
}

// startMeter forces a collection, then reads every figure: the
// collection makes the runtime's CPU snapshot exact at the start of the
// window (see stop), and leaves the measurement none of the garbage made
// before it. It lies outside the window's wall and CPU time and is not
// counted in GCPerSec.
func startMeter() meter {
	runtime.GC()
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
	// How often the collector ran during the measurement (the collection
	// forced at the start came before NumGC was read).
	if elapsed > 0 {
		out.GCPerSec = float64(ms.NumGC-m.gcs) / elapsed.Seconds()
	}
	out.GCCPUShare = gcShare(m.gcCPU, readGCClock(), ms.NumGC-m.gcs)
	return out
}

// gcShare is the collector's share of the CPU the process used between
// two readings of the runtime's clock, or nil when no collection ended
// between them (collections, counted from MemStats).
//
// Both figures come from one clock, the runtime's snapshot, and so cover
// one span: from the end of the collection forced at the start of the
// window (startMeter), where the snapshot is exact, to the end of the last
// collection inside the window. Nothing is forced at the end: a
// collection forced there would cost the same whatever the measurement
// did (marking the whole live heap, in-process peers' included), and
// would weigh the more the less CPU the measurement used. With no
// collection in the window the snapshot has not moved, and there is no
// share to give (the tables print "-", the JSON omits gc_cpu_share). The
// busy time is the runtime's (available less idle), not getrusage's: it
// counts a stop-the-world pause, as the collector's figure does, as
// GOMAXPROCS times its length, and time blocked in a system call mostly
// as idle, so the share is of the CPU the Go code and the runtime used.
func gcShare(from, to gcClock, collections uint32) *float64 {
	busy := to.busy - from.busy
	if collections == 0 || busy <= 0 {
		return nil
	}
	share := min(max((to.gc-from.gc)/busy, 0), 1)
	return &share
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
