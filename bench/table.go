package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// SizeName renders a body size as people write it: 0 B, 100 B, 4 KiB.
func SizeName(n int) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d B", n)
}

// rate renders messages per second: 5.10 M, 92.3 k, 640.
func rate(v float64) string {
	switch {
	case v >= 1e6-50: // what "%.1f k" would round up to 1000.0 k
		return fmt.Sprintf("%.2f M", v/1e6)
	case v >= 1e4-0.5: // what "%.0f" would round up to 10000
		return fmt.Sprintf("%.1f k", v/1e3)
	}
	return fmt.Sprintf("%.0f", v)
}

func cpu(m Measure) string {
	if m.CPUMicrosPerMsg == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f", m.CPUMicrosPerMsg)
}

// gcShareText prints a GC CPU share, "-" when no collection ran.
func gcShareText(m Measure) string {
	if m.GCCPUShare == nil {
		return "-"
	}
	return fmt.Sprintf("%.0f%%", 100**m.GCCPUShare)
}

func pct(l *Latency) string {
	if l == nil {
		return "-"
	}
	return fmt.Sprintf("%.0f / %.0f / %.0f / %.0f / %.0f", l.P50us, l.P90us, l.P99us, l.P999us, l.MaxUs)
}

// p50 and p99 render a percentile, "-" for none (a scenario whose
// measure has no Latency).
func p50(l *Latency) string {
	if l == nil {
		return "-"
	}
	return fmt.Sprintf("%.0f", l.P50us)
}

func p99(l *Latency) string {
	if l == nil {
		return "-"
	}
	return fmt.Sprintf("%.0f", l.P99us)
}

// summary is one line for the progress log.
func (r Result) summary() string {
	head := fmt.Sprintf("%s %s (%s):", r.Scenario, SizeName(r.Size), r.Peer)
	switch r.Chart {
	case ChartLatency:
		return fmt.Sprintf("%s p50 raw %s µs, ours %s µs (×%.2f); p99 raw %s µs, ours %s µs (×%.2f)", head,
			p50(r.Raw.Latency), p50(r.Ours.Latency), r.Ratio, p99(r.Raw.Latency), p99(r.Ours.Latency), r.RatioP99)
	case ChartMemory:
		return fmt.Sprintf("%s raw %.0f B, ours %.0f B per connection (×%.2f)", head, r.Raw.MemPerConn, r.Ours.MemPerConn, r.Ratio)
	}
	return fmt.Sprintf("%s raw %s msg/s, ours %s msg/s, ratio %.2f; ours %s µs CPU and %.1f allocs per message",
		head, rate(r.Raw.MsgPerSec), rate(r.Ours.MsgPerSec), r.Ratio, cpu(r.Ours), r.Ours.AllocsPerMsg)
}

// WriteTable writes the report as text tables, one per chart kind.
func (rep *Report) WriteTable(w io.Writer) error {
	byChart := func(c Chart) []Result {
		var out []Result
		for _, r := range rep.Results {
			if r.Chart == c {
				out = append(out, r)
			}
		}
		return out
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	if rs := byChart(ChartThroughput); len(rs) > 0 {
		fmt.Fprintln(w, "throughput: messages per second; ratio is stompactor ÷ raw socket loop (higher is better); CPU and allocations per message of this process")
		fmt.Fprintln(tw, "scenario\tsize\tpeer\traw msg/s\tours msg/s\tratio\traw CPU µs\tours CPU µs\tours allocs\tours bytes\tours GC/s\tours GC CPU\t")
		for _, r := range rs {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%.2f\t%s\t%s\t%.1f\t%.0f\t%.0f\t%s\t\n", r.Scenario, SizeName(r.Size), r.Peer,
				rate(r.Raw.MsgPerSec), rate(r.Ours.MsgPerSec), r.Ratio, cpu(r.Raw), cpu(r.Ours), r.Ours.AllocsPerMsg, r.Ours.BytesPerMsg,
				r.Ours.GCPerSec, gcShareText(r.Ours))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if rs := byChart(ChartLatency); len(rs) > 0 {
		fmt.Fprintln(w, "\nlatency: one message in flight, publish to consumer, µs p50 / p90 / p99 / p99.9 / max; ratio is stompactor ÷ raw (lower is better)")
		fmt.Fprintln(tw, "scenario\tsize\tpeer\traw\tours\tp50 ratio\tp99 ratio\traw CPU µs\tours CPU µs\tours allocs\t")
		for _, r := range rs {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%.2f\t%.2f\t%s\t%s\t%.1f\t\n", r.Scenario, SizeName(r.Size), r.Peer,
				pct(r.Raw.Latency), pct(r.Ours.Latency), r.Ratio, r.RatioP99, cpu(r.Raw), cpu(r.Ours), r.Ours.AllocsPerMsg)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if rs := byChart(ChartMemory); len(rs) > 0 {
		fmt.Fprintln(w, "\nidle subscribed connections: per connection, resident and heap bytes, stack bytes, goroutines and bytes")
		fmt.Fprintln(w, "allocated to connect; time to connect them all; topic deliveries per second to all of them. Ratio: resident, stompactor ÷ raw")
		fmt.Fprintln(tw, "scenario\tpeer\tside\tconnections\tresident B\theap B\tstack B\tgoroutines\tallocated B\tconnect s\tdeliveries/s\tratio\t")
		for _, r := range rs {
			for _, side := range r.sides() {
				c := side.m.Conns
				if c == nil {
					c = &ConnsMeasure{RSSPerConn: side.m.MemPerConn}
				}
				ratio := ""
				if side.name == "stompactor" {
					ratio = fmt.Sprintf("%.2f", r.Ratio)
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%.0f\t%.0f\t%.0f\t%.2f\t%.0f\t%.2f\t%s\t%s\t\n", r.Scenario, r.Peer, side.name, c.N,
					c.RSSPerConn, c.HeapPerConn, c.StackPerConn, c.GoroutinesPerConn, c.AllocPerConn, c.ConnectSeconds, rate(c.DeliveriesPerSec), ratio)
			}
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	for _, r := range rep.Results {
		if d := r.duplicated(); d != "" {
			fmt.Fprintf(w, "\n%s\n", d)
		}
	}
	for _, r := range rep.Results {
		if strings.Contains(r.Peer, "in process") {
			fmt.Fprintln(w, "\n(some peers ran in this process: their CPU and allocations are counted too)")
			break
		}
	}
	if rep.Partial {
		fmt.Fprintf(w, "\n%s\n", rep.partialNote())
	}
	return nil
}

// WriteJSON writes the report as indented JSON.
func (rep *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}
