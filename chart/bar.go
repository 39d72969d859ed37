package chart

import (
	"html/template"
	"math"
)

// Bar is a vertical bar chart: one group (or stack) of bars per category,
// one bar per series.
type Bar struct {
	Title       string   // the <title> (accessible name) and the visible heading
	Description string   // the <desc>; a summary is generated when empty
	Categories  []string // x axis labels, e.g. years "2019", "2020"…
	Series      []Series // one value per category each
	Stacked     bool     // stack the series instead of grouping them
	Width       int      // viewBox width (default 640); the SVG scales to its container
	Height      int      // viewBox height (default 360)
	Lang        string   // "ja" or "en": the lang attribute of the svg
	YLabel      string   // caption of the value axis, drawn above it
	Missing     string   // drawn at a category with no value in any series, and in its table cells (e.g. "no data")
	Empty       string   // shown when there is no data (default "No data" / "データがありません")
	HideTitle   bool     // do not draw the title (the page shows it); it stays the accessible name
	ID          string   // prefix of the element ids; by default derived from the content
}

func (b Bar) frame() *frame {
	f := newFrame("bar", b.ID, b.Title, b.Description, b.Lang, b.Empty, b.HideTitle,
		b.Width, b.Height, defaultWidth, defaultHeight, b.Categories, b.Series)
	f.missing = b.Missing
	return f
}

// SVG renders the chart as an inline <svg> element.
func (b Bar) SVG() template.HTML {
	f := b.frame()
	c := &canvas{f: f}
	if !f.hasData() {
		return c.emptyChart()
	}
	ns := len(f.series)

	maxVal, widestValue := 0.0, 0.0
	for i := range f.categories {
		total, some := 0.0, false
		for s := range f.series {
			v, ok := f.value(s, i)
			if !ok {
				continue
			}
			some = true
			total += v
			if !b.Stacked {
				maxVal = math.Max(maxVal, v)
				widestValue = math.Max(widestValue, textWidth(formatValue(v), fontSmall))
			}
		}
		if b.Stacked && some {
			maxVal = math.Max(maxVal, total)
			widestValue = math.Max(widestValue, textWidth(formatValue(total), fontSmall))
		}
	}

	// Value labels go over the bars (over the stacks when stacked) when all
	// of them fit; a first guess at the bar width decides the headroom.
	slotWidth := func(band float64) float64 {
		if b.Stacked || ns == 1 {
			return band - 4
		}
		return math.Min(band*0.76, 56*float64(ns)) / float64(ns)
	}
	guess := (f.w - 2*pad - 48) / float64(len(f.categories))
	headroom := 0.0
	if widestValue <= slotWidth(guess) {
		headroom = fontSmall + 2
	}

	c.open()
	c.patternDefs(ns)
	p := c.layoutColumns(maxVal, b.YLabel, 12, func(i int, x, y float64) {
		c.printf(`<rect x="%s" y="%s" width="12" height="12" rx="2" fill="%s"/>`, num(x), num(y), c.fill(i))
	}, headroom)
	showValues := headroom > 0 && widestValue <= slotWidth(p.band)
	c.grid(p)

	type label struct {
		x, y float64
		v    float64
	}
	var labels []label
	c.WriteString(`<g class="chart-bars">`)
	if b.Stacked {
		bw := math.Min(p.band*0.62, 64)
		for i, cat := range f.categories {
			x, acc, some := p.x(i)-bw/2, 0.0, false
			for s, ser := range f.series {
				v, ok := f.value(s, i)
				if !ok {
					continue
				}
				some = true
				y0, y1 := p.y(acc), p.y(acc+v)
				c.bar(x, y1, bw, y0-y1, s, v, tip(cat, ser.Name, v), true)
				acc += v
			}
			if some {
				labels = append(labels, label{p.x(i), p.y(acc), acc})
			}
		}
	} else {
		groupW := p.band * 0.6
		if ns > 1 {
			groupW = math.Min(p.band*0.76, 56*float64(ns))
		}
		groupW = math.Min(groupW, 64*float64(ns))
		slot := groupW / float64(ns)
		gap := 0.0
		if ns > 1 {
			gap = math.Min(3, slot*0.15)
		}
		for i, cat := range f.categories {
			x0 := p.x(i) - groupW/2
			for s, ser := range f.series {
				v, ok := f.value(s, i)
				if !ok {
					continue
				}
				x := x0 + float64(s)*slot + gap/2
				h := p.height(v)
				c.bar(x, p.bottom-h, slot-gap, h, s, v, tip(cat, ser.Name, v), false)
				labels = append(labels, label{x + (slot-gap)/2, p.bottom - h, v})
			}
		}
	}
	c.WriteString(`</g>`)
	c.baseline(p)
	c.missingMarks(p)
	if showValues {
		c.WriteString(`<g class="chart-values" aria-hidden="true">`)
		for _, l := range labels {
			c.printf(`<text class="value" x="%s" y="%s" font-size="%s" fill="%s" text-anchor="middle">%s</text>`,
				num(l.x), num(l.y-4), num(fontSmall), colText, esc(formatValue(l.v)))
		}
		c.WriteString(`</g>`)
	}
	return c.close()
}

// bar draws one bar of series s with its tooltip.
func (c *canvas) bar(x, y, w, h float64, s int, v float64, title string, stacked bool) {
	c.printf(`<rect class="bar" x="%s" y="%s" width="%s" height="%s" fill="%s" data-series="%d" data-value="%s"`,
		num(x), num(y), num(math.Max(w, 0)), num(math.Max(h, 0)), c.fill(s), s, num(v))
	if stacked {
		c.WriteString(` stroke="#fff" stroke-width="1"`)
	}
	c.printf(`><title>%s</title></rect>`, esc(title))
}

// Table renders the chart's numbers as an HTML table (categories as rows,
// series as columns), for screen readers and for readers who want figures.
func (b Bar) Table() template.HTML { return b.frame().table(b.YLabel) }
