package bench

import (
	"fmt"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

var (
	rawColor  = color.RGBA{R: 140, G: 140, B: 140, A: 255}
	oursColor = color.RGBA{R: 31, G: 119, B: 180, A: 255}
)

// WriteCharts draws the report's charts into dir as format ("png" or
// "svg") files: throughput.* (msg/s by body size, one panel per
// throughput scenario, the raw reference beside the client, each client
// point labelled with its ratio), latency.* (round-trip percentiles, one
// panel per body size) and memory.* (bytes per connection), each only
// when the report has results of its kind. It returns the files written.
func (rep *Report) WriteCharts(dir, format string) (files []string, err error) {
	if format != "png" && format != "svg" {
		return nil, fmt.Errorf("bench: chart format %q: want png or svg", format)
	}
	// The plotting library panics on some inputs; a chart is not worth
	// a crash.
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("bench: drawing charts: %v", r)
		}
	}()
	for _, c := range []struct {
		name  string
		tiles [][]*plot.Plot
	}{
		{"throughput", rep.throughputPlots()},
		{"latency", rep.latencyPlots()},
		{"memory", rep.memoryPlots()},
	} {
		if len(c.tiles) == 0 {
			continue
		}
		path := filepath.Join(dir, c.name+"."+format)
		if err := save(path, format, c.tiles); err != nil {
			return files, err
		}
		files = append(files, path)
	}
	return files, nil
}

// save draws rows of plots side by side into one image file.
func save(path, format string, tiles [][]*plot.Plot) error {
	cols := len(tiles[0])
	w, h := vg.Length(cols)*4.8*vg.Inch, vg.Length(len(tiles))*3.2*vg.Inch
	var canvas vg.CanvasWriterTo
	if format == "svg" {
		canvas = vgsvg.New(w, h)
	} else {
		canvas = vgimg.PngCanvas{Canvas: vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(110))}
	}
	dc := draw.New(canvas)
	dc.SetColor(color.White)
	dc.Fill(dc.Rectangle.Path())
	t := draw.Tiles{Rows: len(tiles), Cols: cols, PadX: vg.Millimeter * 4, PadY: vg.Millimeter * 4,
		PadTop: vg.Millimeter * 2, PadBottom: vg.Millimeter * 2, PadLeft: vg.Millimeter * 2, PadRight: vg.Millimeter * 2}
	canvases := plot.Align(tiles, t, dc)
	for i := range tiles {
		for j, p := range tiles[i] {
			if p != nil {
				p.Draw(canvases[i][j])
			}
		}
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := canvas.WriteTo(f); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}

// grid lays plots out two to a row; a missing last one is left blank.
func grid(ps []*plot.Plot) [][]*plot.Plot {
	if len(ps) == 0 {
		return nil
	}
	cols := min(2, len(ps))
	var rows [][]*plot.Plot
	for i := 0; i < len(ps); i += cols {
		row := make([]*plot.Plot, cols)
		copy(row, ps[i:min(i+cols, len(ps))])
		for j := range row {
			if row[j] == nil {
				row[j] = plot.New()
				row[j].HideAxes()
			}
		}
		rows = append(rows, row)
	}
	return rows
}

// series is one line of a panel: a value per category, 0 for none.
type series struct {
	name   string
	values []float64
	labels []string // beside each point, or nil
	color  color.Color
	dashed bool
}

// logPanel draws series over named categories on a logarithmic y axis.
func logPanel(title, ylabel string, cats []string, ss []series) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.Y.Label.Text = ylabel
	p.Y.Scale = plot.LogScale{}
	p.Y.Tick.Marker = siTicks{}
	p.Legend.Top = true
	p.Legend.Left = true
	p.Add(plotter.NewGrid())
	lo, hi := math.Inf(1), 0.0
	for _, s := range ss {
		var xys plotter.XYs
		var labels []string
		for i, v := range s.values {
			if v > 0 && !math.IsInf(v, 0) && !math.IsNaN(v) {
				xys = append(xys, plotter.XY{X: float64(i), Y: v})
				lo, hi = min(lo, v), max(hi, v)
				if s.labels != nil {
					labels = append(labels, s.labels[i])
				}
			}
		}
		if len(xys) == 0 {
			continue
		}
		line, points, err := plotter.NewLinePoints(xys)
		if err != nil {
			continue
		}
		line.Color, points.Color = s.color, s.color
		line.Width = vg.Points(1.5)
		points.Shape = draw.CircleGlyph{}
		if s.dashed {
			line.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
		}
		p.Add(line, points)
		p.Legend.Add(s.name, line, points)
		if labels != nil {
			if l, err := plotter.NewLabels(plotter.XYLabels{XYs: xys, Labels: labels}); err == nil {
				l.Offset = vg.Point{X: vg.Points(5), Y: vg.Points(-10)}
				p.Add(l)
			}
		}
	}
	if hi > 0 {
		p.Y.Min, p.Y.Max = lo/3, hi*3
	} else {
		// Nothing to draw: a log axis needs a positive range all the same.
		p.Title.Text += " (no data)"
		p.Y.Min, p.Y.Max = 1, 10
	}
	p.NominalX(cats...)
	p.X.Min, p.X.Max = -0.5, float64(len(cats))-0.5
	return p
}

func (rep *Report) throughputPlots() [][]*plot.Plot {
	var order []string
	for _, r := range rep.Results {
		if r.Chart == ChartThroughput && !slices.Contains(order, r.Scenario) {
			order = append(order, r.Scenario)
		}
	}
	var ps []*plot.Plot
	for _, name := range order {
		var cats, labels []string
		var raw, ours []float64
		peer := ""
		for _, r := range rep.Results {
			if r.Scenario != name {
				continue
			}
			peer = r.Peer
			cats = append(cats, SizeName(r.Size))
			raw, ours = append(raw, r.Raw.MsgPerSec), append(ours, r.Ours.MsgPerSec)
			labels = append(labels, fmt.Sprintf("%.2f×", r.Ratio))
		}
		ps = append(ps, logPanel(name+" ("+peer+")", "messages per second", cats, []series{
			{name: "raw socket loop", values: raw, color: rawColor, dashed: true},
			{name: "stompactor", values: ours, labels: labels, color: oursColor},
		}))
	}
	return grid(ps)
}

func (rep *Report) latencyPlots() [][]*plot.Plot {
	cats := []string{"p50", "p90", "p99", "p99.9", "max"}
	vals := func(l *Latency) []float64 {
		if l == nil {
			return make([]float64, len(cats))
		}
		return []float64{l.P50us, l.P90us, l.P99us, l.P999us, l.MaxUs}
	}
	var ps []*plot.Plot
	for _, r := range rep.Results {
		if r.Chart != ChartLatency {
			continue
		}
		ps = append(ps, logPanel(fmt.Sprintf("%s, %s body (%s)", r.Scenario, SizeName(r.Size), r.Peer), "round trip, µs", cats, []series{
			{name: "raw socket loop", values: vals(r.Raw.Latency), color: rawColor, dashed: true},
			{name: "stompactor", values: vals(r.Ours.Latency), color: oursColor},
		}))
	}
	return grid(ps)
}

// memoryPlots draws bytes per connection, raw beside the client, one bar
// pair per memory scenario.
func (rep *Report) memoryPlots() [][]*plot.Plot {
	var cats []string
	var raw, ours plotter.Values
	for _, r := range rep.Results {
		if r.Chart == ChartMemory {
			cats = append(cats, r.Scenario)
			raw, ours = append(raw, r.Raw.MemPerConn), append(ours, r.Ours.MemPerConn)
		}
	}
	if len(cats) == 0 {
		return nil
	}
	p := plot.New()
	p.Title.Text = "memory per connection"
	p.Y.Label.Text = "bytes"
	p.Legend.Top = true
	w := vg.Points(18)
	rb, err := plotter.NewBarChart(raw, w)
	if err != nil {
		return nil
	}
	ob, err := plotter.NewBarChart(ours, w)
	if err != nil {
		return nil
	}
	rb.Color, ob.Color = rawColor, oursColor
	rb.Offset, ob.Offset = -w/2, w/2
	p.Add(rb, ob)
	p.Legend.Add("raw connection", rb)
	p.Legend.Add("stompactor", ob)
	p.NominalX(cats...)
	return [][]*plot.Plot{{p}}
}

// siTicks marks each power of ten with an SI label (1k, 10k, 1M) and the
// steps between with unlabelled ticks.
type siTicks struct{}

func (siTicks) Ticks(lo, hi float64) []plot.Tick {
	if lo <= 0 || hi <= lo {
		return nil
	}
	var ticks []plot.Tick
	for e := math.Floor(math.Log10(lo)); e <= math.Ceil(math.Log10(hi)); e++ {
		base := math.Pow(10, e)
		for k := 1.0; k < 10; k++ {
			v := k * base
			if v < lo || v > hi {
				continue
			}
			t := plot.Tick{Value: v}
			if k == 1 {
				t.Label = siLabel(v)
			}
			ticks = append(ticks, t)
		}
	}
	return ticks
}

func siLabel(v float64) string {
	switch {
	case v >= 1e9:
		return fmt.Sprintf("%gG", v/1e9)
	case v >= 1e6:
		return fmt.Sprintf("%gM", v/1e6)
	case v >= 1e3:
		return fmt.Sprintf("%gk", v/1e3)
	}
	return fmt.Sprintf("%g", v)
}
