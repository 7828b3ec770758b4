package main

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// progress draws a one-line bar on w for long runs; short runs (under 100
// steps) print nothing.
type progress struct {
	mu    sync.Mutex // steps may come from several publishers
	w     io.Writer
	what  string
	total int
	shown int
	start time.Time
}

func newProgress(w io.Writer, what string, total int) *progress {
	return &progress{w: w, what: what, total: total, start: time.Now()}
}

func (p *progress) step(n int) {
	if p.total < 100 {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	pct := n * 100 / p.total
	if pct/5 == p.shown/5 && n != p.total {
		return
	}
	p.shown = pct
	bar := strings.Repeat("#", pct/5) + strings.Repeat(".", 20-pct/5)
	fmt.Fprintf(p.w, "\r[%s] %3d%% %s %d/%d", bar, pct, p.what, n, p.total)
}

func (p *progress) done() {
	if p.total >= 100 {
		fmt.Fprintln(p.w)
	}
}
