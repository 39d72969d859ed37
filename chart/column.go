package chart

import "math"

// columns is the layout of a chart with categories along the x axis and
// values up the y axis (Bar and Line).
type columns struct {
	left, top, right, bottom float64 // the plot area
	band                     float64 // width of one category
	sc                       scale
	rotate                   bool    // category labels slanted
	labelW                   float64 // longest category label allowed
	labelStep                int     // label every labelStep-th category
}

// x returns the centre of category i.
func (p *columns) x(i int) float64 { return p.left + p.band*(float64(i)+0.5) }

// y returns the y of value v.
func (p *columns) y(v float64) float64 { return p.bottom - p.height(v) }

// height returns the length of value v on the axis.
func (p *columns) height(v float64) float64 {
	if p.sc.max <= 0 {
		return 0
	}
	return math.Min(v, p.sc.max) * (p.bottom - p.top) / p.sc.max
}

const slant = 40 * math.Pi / 180

// layoutColumns draws the title, legend and y label and lays out the plot
// for values up to maxVal. headroom is extra space above the plot (for value
// labels over the tallest bar).
func (c *canvas) layoutColumns(maxVal float64, ylabel string, swW float64, swatch func(i int, x, y float64), headroom float64) *columns {
	f := c.f
	y := c.heading(pad)
	if len(f.series) > 1 {
		y += c.legend(y, swW, swatch) + 2
	}
	if ylabel != "" {
		c.text(pad, y+fontSmall, fontSmall, colMuted, "", ylabel, f.w-2*pad, `class="chart-ylabel"`)
		y += fontSmall + 6
	}
	p := &columns{top: y + fontSmall/2 + 2 + headroom, right: f.w - pad, labelStep: 1}
	integers := f.integers()
	target := func(plotH float64) int { return int(math.Max(2, math.Min(8, math.Round(plotH/40)))) }

	// A first scale sizes the tick labels, which size the left margin.
	p.sc = niceScale(maxVal, target(f.h-p.top-pad-fontLabel-8), integers)
	p.left = pad + p.sc.widest(fontSmall) + 8
	n := float64(len(f.categories))
	p.band = (p.right - p.left) / n

	widest := 0.0
	for _, cat := range f.categories {
		widest = math.Max(widest, textWidth(cat, fontLabel))
	}
	if widest <= p.band-6 {
		p.labelW = p.band - 2
		p.bottom = f.h - pad - fontLabel - 4
	} else {
		p.rotate = true
		p.labelW = math.Min(widest, math.Min(0.4*f.h, 170))
		p.bottom = f.h - pad - math.Sin(slant)*p.labelW - math.Cos(slant)*fontLabel - 6
		if minBand := fontLabel * 1.5; p.band < minBand {
			p.labelStep = int(math.Ceil(minBand / p.band))
		}
	}
	if p.bottom-p.top < 40 { // tiny chart: keep a plot anyway
		p.bottom = p.top + 40
	}
	// The final scale fits the plot height.
	p.sc = niceScale(maxVal, target(p.bottom-p.top), integers)
	p.left = pad + p.sc.widest(fontSmall) + 8
	p.band = (p.right - p.left) / n
	if p.rotate {
		// Slanted labels near the left edge are cut to the room they have
		// (see labelRoom); widen the margin (up to a fifth of the width) so
		// that the first one keeps at least 100 units.
		want := math.Min(p.labelW, 100)
		if p.labelRoom(0) < want {
			// left = pad + reach - band/2 with band = (right-left)/n
			reach := math.Cos(slant)*want + math.Sin(slant)*fontLabel/2 - 3
			l := (pad + reach - p.right/(2*n)) / (1 - 1/(2*n))
			p.left = math.Max(p.left, math.Min(l, 0.2*f.w))
			p.band = (p.right - p.left) / n
		}
	}
	return p
}

// labelRoom is the longest slanted label category i can have without
// running off the left edge.
func (p *columns) labelRoom(i int) float64 {
	room := (p.x(i) + 3 - pad - math.Sin(slant)*fontLabel/2) / math.Cos(slant)
	return math.Max(0, math.Min(p.labelW, room))
}

// grid draws the horizontal grid lines and the tick labels.
func (c *canvas) grid(p *columns) {
	c.WriteString(`<g class="chart-grid">`)
	for _, t := range p.sc.ticks {
		if t == 0 {
			continue // the baseline is drawn over the data
		}
		y := p.y(t)
		c.printf(`<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s" stroke-width="1"/>`,
			num(p.left), num(y), num(p.right), num(y), colGrid)
	}
	c.WriteString(`</g><g class="chart-ticks" aria-hidden="true">`)
	for _, t := range p.sc.ticks {
		c.printf(`<text class="tick" x="%s" y="%s" font-size="%s" fill="%s" text-anchor="end" dy=".35em">%s</text>`,
			num(p.left-8), num(p.y(t)), num(fontSmall), colMuted, esc(p.sc.label(t)))
	}
	c.WriteString(`</g>`)
}

// baseline draws the zero line and the category labels.
func (c *canvas) baseline(p *columns) {
	c.printf(`<line class="chart-baseline" x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s" stroke-width="1"/>`,
		num(p.left), num(p.bottom), num(p.right), num(p.bottom), colAxis)
	c.WriteString(`<g class="chart-categories">`)
	for i, cat := range c.f.categories {
		if i%p.labelStep != 0 {
			continue
		}
		x := p.x(i)
		if p.rotate {
			c.text(0, 0, fontLabel, colText, "end", cat, p.labelRoom(i),
				`dy=".35em" transform="translate(`+num(x+3)+` `+num(p.bottom+8)+`) rotate(-40)"`)
		} else {
			c.text(x, p.bottom+fontLabel+6, fontLabel, colText, "middle", cat, p.labelW, "")
		}
	}
	c.WriteString(`</g>`)
}
