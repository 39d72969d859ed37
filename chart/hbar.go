package chart

import (
	"html/template"
	"math"
)

// HBar is a horizontal bar chart for top-N lists: one row per category
// (names, possibly long and Japanese) with its label on the left, its bar,
// and its value at the end of the bar.
type HBar struct {
	Title       string   // the <title> (accessible name) and the visible heading
	Description string   // the <desc>; a summary is generated when empty
	Categories  []string // row labels, in the order to draw them (top first)
	Series      Series   // one value per category; its name goes into the tooltips
	Width       int      // viewBox width (default 640); the SVG scales to its container
	Height      int      // viewBox height; 0 fits the rows (26 per row)
	Lang        string   // "ja" or "en": the lang attribute of the svg
	XLabel      string   // caption of the value axis, drawn above the bars
	Empty       string   // shown when there is no data
	HideTitle   bool     // do not draw the title (the page shows it)
	ID          string   // prefix of the element ids; by default derived from the content
}

const hbarRow = 26.0

func (h HBar) frame() *frame {
	f := newFrame("hbar", h.ID, h.Title, h.Description, h.Lang, h.Empty, h.HideTitle,
		h.Width, h.Height, defaultWidth, defaultHeight, h.Categories, []Series{h.Series})
	if h.Height <= 0 {
		rows := math.Max(float64(len(h.Categories)), 3)
		f.h = math.Round(f.headingHeight() + h.captionHeight() + rows*hbarRow + fontSmall + 10 + 2*pad)
	}
	return f
}

func (h HBar) captionHeight() float64 {
	if h.XLabel == "" {
		return 0
	}
	return fontSmall + 8
}

// SVG renders the chart as an inline <svg> element.
func (h HBar) SVG() template.HTML {
	f := h.frame()
	c := &canvas{f: f}
	if !f.hasData() {
		return c.emptyChart()
	}
	n := len(f.categories)
	maxVal, widestValue, widestLabel := 0.0, 0.0, 0.0
	for i, cat := range f.categories {
		if v, ok := f.value(0, i); ok {
			maxVal = math.Max(maxVal, v)
			widestValue = math.Max(widestValue, textWidth(formatValue(v), fontSmall))
		}
		widestLabel = math.Max(widestLabel, textWidth(cat, fontLabel))
	}

	c.open()
	y := c.heading(pad)
	labelW := math.Min(widestLabel, 0.42*f.w)
	left := pad + labelW + 10
	right := f.w - pad - widestValue - 6
	if right-left < 60 { // very narrow: give the bars room
		left = math.Max(pad+20, right-60)
		labelW = left - pad - 10
	}
	if h.XLabel != "" {
		c.text(left, y+fontSmall, fontSmall, colMuted, "", h.XLabel, f.w-left-pad, `class="chart-xlabel"`)
		y += fontSmall + 8
	}
	top := y
	axisH := fontSmall + 10
	rowH := (f.h - pad - axisH - top) / float64(n)
	rowH = math.Max(math.Min(rowH, 40), 8)
	bottom := top + rowH*float64(n)
	thick := math.Min(rowH*0.64, 20)

	sc := niceScale(maxVal, int(math.Max(2, math.Min(6, math.Round((right-left)/75)))), f.integers())
	x := func(v float64) float64 { return left + math.Min(v, sc.max)*(right-left)/sc.max }

	c.WriteString(`<g class="chart-grid">`)
	for _, t := range sc.ticks {
		if t != 0 {
			c.printf(`<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s" stroke-width="1"/>`,
				num(x(t)), num(top), num(x(t)), num(bottom), colGrid)
		}
	}
	c.WriteString(`</g><g class="chart-ticks" aria-hidden="true">`)
	for _, t := range sc.ticks {
		c.printf(`<text class="tick" x="%s" y="%s" font-size="%s" fill="%s" text-anchor="middle">%s</text>`,
			num(x(t)), num(bottom+fontSmall+6), num(fontSmall), colMuted, esc(sc.label(t)))
	}
	c.WriteString(`</g><g class="chart-categories">`)
	for i, cat := range f.categories {
		cy := top + rowH*(float64(i)+0.5)
		c.text(left-10, cy, fontLabel, colText, "end", cat, labelW, `dy=".35em"`)
	}
	c.WriteString(`</g><g class="chart-bars">`)
	var values []string
	for i, cat := range f.categories {
		v, ok := f.value(0, i)
		if !ok {
			continue
		}
		cy := top + rowH*(float64(i)+0.5)
		c.printf(`<rect class="bar" x="%s" y="%s" width="%s" height="%s" fill="%s" data-series="0" data-value="%s"><title>%s</title></rect>`,
			num(left), num(cy-thick/2), num(x(v)-left), num(thick), colour(0), num(v), esc(tip(cat, h.Series.Name, v)))
		values = append(values, `<text class="value" x="`+num(x(v)+5)+`" y="`+num(cy)+`" font-size="`+num(fontSmall)+
			`" fill="`+colText+`" dy=".35em">`+esc(formatValue(v))+`</text>`)
	}
	c.printf(`</g><line class="chart-baseline" x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s" stroke-width="1"/>`,
		num(left), num(top), num(left), num(bottom), colAxis)
	c.WriteString(`<g class="chart-values" aria-hidden="true">`)
	for _, v := range values {
		c.WriteString(v)
	}
	c.WriteString(`</g>`)
	return c.close()
}

// Table renders the chart's numbers as an HTML table.
func (h HBar) Table() template.HTML { return h.frame().table(h.XLabel) }
