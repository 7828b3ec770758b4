package bench

import (
	"fmt"
	"io"
	"strings"
)

// WriteMarkdown writes the throughput and latency results as one Markdown
// table (the README's speed table is this output, pasted as written), and
// the connections results as a second one.
func (rep *Report) WriteMarkdown(w io.Writer) error {
	var b strings.Builder
	var conns []Result
	head := false
	for _, r := range rep.Results {
		if r.Chart == ChartMemory {
			conns = append(conns, r)
			continue
		}
		if !head {
			b.WriteString("| scenario (peer) | body | raw loop | stompactor | ratio | CPU µs/msg | allocs/msg |\n")
			b.WriteString("|---|---|---|---|---|---|---|\n")
			head = true
		}
		name := fmt.Sprintf("%s (%s)", r.Scenario, r.Peer)
		if r.Chart == ChartLatency {
			fmt.Fprintf(&b, "| %s, p50 / p99 | %s | %s / %s µs | %s / %s µs | %.2f / %.2f | %s | %.0f |\n",
				name, SizeName(r.Size), p50(r.Raw.Latency), p99(r.Raw.Latency), p50(r.Ours.Latency), p99(r.Ours.Latency),
				r.Ratio, r.RatioP99, cpu(r.Ours), r.Ours.AllocsPerMsg)
			continue
		}
		fmt.Fprintf(&b, "| %s | %s | %s/s | %s/s | %.2f | %s | %.1f |\n", name, SizeName(r.Size),
			rate(r.Raw.MsgPerSec), rate(r.Ours.MsgPerSec), r.Ratio, cpu(r.Ours), r.Ours.AllocsPerMsg)
	}
	if len(conns) > 0 {
		if head {
			b.WriteString("\n")
		}
		b.WriteString("| connections (peer) | side | resident B/conn | heap B/conn | stack B/conn | goroutines/conn | allocated B/conn | connect all | deliveries/s |\n")
		b.WriteString("|---|---|---|---|---|---|---|---|---|\n")
		for _, r := range conns {
			for _, side := range r.sides() {
				c := side.m.Conns
				if c == nil {
					continue
				}
				fmt.Fprintf(&b, "| %d (%s) | %s | %.0f | %.0f | %.0f | %.2f | %.0f | %.2f s | %s |\n", c.N, r.Peer, side.name,
					c.RSSPerConn, c.HeapPerConn, c.StackPerConn, c.GoroutinesPerConn, c.AllocPerConn, c.ConnectSeconds, rate(c.DeliveriesPerSec))
			}
		}
	}
	for _, r := range rep.Results {
		if d := r.duplicated(); d != "" {
			fmt.Fprintf(&b, "\n%s\n", d)
		}
	}
	if rep.Partial {
		fmt.Fprintf(&b, "\n%s\n", rep.partialNote())
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// partialNote is the line under the tables of a partial run.
func (rep *Report) partialNote() string {
	return fmt.Sprintf("(partial: the run stopped early, %s; these are the results measured before it)", rep.Error)
}
