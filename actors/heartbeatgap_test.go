package actors

import (
	"slices"
	"testing"
	"time"
)

// The heart-beat's rule (heartbeatDue) keeps the gap between two writes
// under the outgoing interval, whatever the phase of the program's own
// writes, when the timer fires late and the writer stamps its write late
// (by up to a twentieth of the interval each). It is played on a
// simulated clock: a look every half interval plus the timer's delay
// (re-armed at the look), the EOL it asks for stamped the writer's delay
// after it, and one write of the program's at every millisecond of the
// interval in turn. Half the interval as the threshold fails here as soon
// as the writer is slower than the timer: the look after a heart-beat
// finds the connection idle a little less than half the interval, skips,
// and the next EOL goes at the interval plus the delays.
func TestHeartbeatGapStaysWithinTheInterval(t *testing.T) {
	const out = 200 * time.Millisecond
	for _, timerLate := range []time.Duration{0, time.Millisecond, 5 * time.Millisecond, out / 20} {
		for _, writerLate := range []time.Duration{0, 100 * time.Microsecond, time.Millisecond, 5 * time.Millisecond, out / 20} {
			for app := time.Duration(0); app < out; app += time.Millisecond {
				if gap := longestHeartbeatGap(out, timerLate, writerLate, out+app); gap > out {
					t.Fatalf("interval %v, timer %v late, writer %v late, a write at %v: a gap of %v between writes",
						out, timerLate, writerLate, out+app, gap)
				}
			}
		}
	}
}

// longestHeartbeatGap plays the heart-beat's looks on a simulated clock
// for ten intervals after a write at 0 (CONNECT) and one of the
// program's at app, and returns the longest gap between two writes.
func longestHeartbeatGap(out, timerLate, writerLate, app time.Duration) time.Duration {
	writes := []time.Duration{0, app}
	end := 10 * out
	for look := out/2 + timerLate; look < end; look += out/2 + timerLate {
		var last time.Duration
		for _, w := range writes {
			if w <= look && w > last {
				last = w
			}
		}
		if heartbeatDue(look-last, out) {
			writes = append(writes, look+writerLate)
		}
	}
	slices.Sort(writes)
	var longest time.Duration
	for i := 1; i < len(writes) && writes[i] < end; i++ {
		longest = max(longest, writes[i]-writes[i-1])
	}
	return longest
}
