package main

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"golang.org/x/term"
)

// progressMin is the smallest run that reports progress.
const progressMin = 100

// progress reports a long run (progressMin steps or more) on w: on a
// terminal a bar redrawn in place, then a summary line over it; anywhere
// else (a file, a pipe, a CI log) only the summary line, so no carriage
// return or half-drawn bar ever lands in a log.
type progress struct {
	mu    sync.Mutex // steps may come from several publishers
	w     io.Writer
	tty   bool
	what  string
	total int
	n     int // the highest step reported
	shown int // the percentage drawn last
	width int // the length of the line drawn last
	start time.Time
	ended bool
}

func newProgress(w io.Writer, what string, total int) *progress {
	return &progress{w: w, tty: isTerminal(w), what: what, total: total, shown: -1, start: time.Now()}
}

// isTerminal reports whether w is a file open on a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(interface{ Fd() uintptr })
	return ok && term.IsTerminal(int(f.Fd()))
}

// step reports that n steps are done. Steps may arrive out of order.
func (p *progress) step(n int) {
	if p.total < progressMin {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if n <= p.n || p.ended {
		return
	}
	p.n = n
	if !p.tty {
		return
	}
	pct := min(n*100/p.total, 100)
	if pct/5 == p.shown/5 && n != p.total {
		return
	}
	p.shown = pct
	bar := strings.Repeat("#", pct/5) + strings.Repeat(".", 20-pct/5)
	p.draw(fmt.Sprintf("[%s] %3d%% %s %d/%d", bar, pct, p.what, n, p.total))
}

// draw replaces the terminal's current line with s.
func (p *progress) draw(s string) {
	pad := ""
	if len(s) < p.width {
		pad = strings.Repeat(" ", p.width-len(s))
	}
	fmt.Fprintf(p.w, "\r%s%s", s, pad)
	p.width = len(s)
}

// done ends the report with one summary line: how many steps, how long,
// how fast. Later calls do nothing.
func (p *progress) done() {
	if p.total < progressMin {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ended {
		return
	}
	p.ended = true
	elapsed := time.Since(p.start)
	line := fmt.Sprintf("%s %d/%d in %v", p.what, p.n, p.total, elapsed.Round(time.Millisecond))
	if s := elapsed.Seconds(); s > 0 {
		line += fmt.Sprintf(" (%.0f/s)", float64(p.n)/s)
	}
	if p.tty {
		p.draw(line)
		fmt.Fprintln(p.w)
		return
	}
	fmt.Fprintln(p.w, line)
}
