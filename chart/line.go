package chart

import (
	"html/template"
	"math"
	"strconv"
	"strings"
)

// Line is a line chart for trends over categories (years): one line with a
// marker per point for each series. Series differ by colour, dash style and
// marker shape, so they stay apart in grey print.
type Line struct {
	Title       string   // the <title> (accessible name) and the visible heading
	Description string   // the <desc>; a summary is generated when empty
	Categories  []string // x axis labels, e.g. years
	Series      []Series // one value per category each; NaN leaves a gap
	Width       int      // viewBox width (default 640); the SVG scales to its container
	Height      int      // viewBox height (default 360)
	Lang        string   // "ja" or "en": the lang attribute of the svg
	YLabel      string   // caption of the value axis, drawn above it
	Missing     string   // drawn at a category with no value in any series, and in its table cells (e.g. "no data")
	Empty       string   // shown when there is no data
	HideTitle   bool     // do not draw the title (the page shows it)
	ID          string   // prefix of the element ids; by default derived from the content
}

// dashes are the series' dash styles, in palette order.
var dashes = [8]string{"", "8 4", "2 3", "10 3 2 3", "4 3", "14 4", "2 3 2 3 8 3", "6 2 2 2"}

func (l Line) frame() *frame {
	f := newFrame("line", l.ID, l.Title, l.Description, l.Lang, l.Empty, l.HideTitle,
		l.Width, l.Height, defaultWidth, defaultHeight, l.Categories, l.Series)
	f.missing = l.Missing
	return f
}

// SVG renders the chart as an inline <svg> element.
func (l Line) SVG() template.HTML {
	f := l.frame()
	c := &canvas{f: f}
	if !f.hasData() {
		return c.emptyChart()
	}
	maxVal := 0.0
	for s := range f.series {
		for i := range f.categories {
			if v, ok := f.value(s, i); ok {
				maxVal = math.Max(maxVal, v)
			}
		}
	}
	c.open()
	p := c.layoutColumns(maxVal, l.YLabel, 26, func(i int, x, y float64) {
		c.printf(`<path d="M%s %sH%s" stroke="%s" stroke-width="2.25" fill="none"%s/>`,
			num(x), num(y+6), num(x+26), colour(i), dashAttr(i))
		c.marker(i, x+13, y+6, 3.75, "", "")
	}, 0)
	c.grid(p)

	r := math.Max(2.25, math.Min(3.75, p.band/4))
	c.WriteString(`<g class="chart-lines">`)
	for s := range f.series {
		var d strings.Builder
		pen := false
		for i := range f.categories {
			v, ok := f.value(s, i)
			if !ok {
				pen = false
				continue
			}
			if pen {
				d.WriteString("L")
			} else {
				d.WriteString("M")
			}
			d.WriteString(num(p.x(i)) + " " + num(p.y(v)))
			pen = true
		}
		c.printf(`<path class="line" d="%s" fill="none" stroke="%s" stroke-width="2.25" stroke-linejoin="round" data-series="%d"%s/>`,
			d.String(), colour(s), s, dashAttr(s))
	}
	c.WriteString(`</g>`)
	c.baseline(p)
	c.missingMarks(p)
	c.WriteString(`<g class="chart-points">`)
	for s, ser := range f.series {
		for i, cat := range f.categories {
			if v, ok := f.value(s, i); ok {
				c.marker(s, p.x(i), p.y(v), r, `class="point" data-series="`+strconv.Itoa(s)+`" data-value="`+num(v)+`"`, tip(cat, ser.Name, v))
			}
		}
	}
	c.WriteString(`</g>`)
	return c.close()
}

func dashAttr(i int) string {
	if d := dashes[i%len(dashes)]; d != "" {
		return ` stroke-dasharray="` + d + `"`
	}
	return ""
}

// marker draws series i's marker centred on (x, y): filled circle, square,
// triangle and diamond, then the same hollow; attrs are further attributes
// and title, when set, its tooltip.
func (c *canvas) marker(i int, x, y, r float64, attrs, title string) {
	col := colour(i)
	paint := `fill="` + col + `" stroke="#fff" stroke-width="1"`
	if i%8 >= 4 {
		paint = `fill="#fff" stroke="` + col + `" stroke-width="2"`
	}
	var el, name string
	switch i % 4 {
	case 0:
		name, el = "circle", `<circle cx="`+num(x)+`" cy="`+num(y)+`" r="`+num(r)+`" `
	case 1:
		s := r * 0.9
		name, el = "rect", `<rect x="`+num(x-s)+`" y="`+num(y-s)+`" width="`+num(2*s)+`" height="`+num(2*s)+`" `
	case 2:
		s := r * 1.25
		name, el = "path", `<path d="M`+num(x)+` `+num(y-s)+`L`+num(x+s)+` `+num(y+s*0.8)+`H`+num(x-s)+`Z" `
	default:
		s := r * 1.3
		name, el = "path", `<path d="M`+num(x)+` `+num(y-s)+`L`+num(x+s)+` `+num(y)+`L`+num(x)+` `+num(y+s)+`L`+num(x-s)+` `+num(y)+`Z" `
	}
	c.WriteString(el + paint)
	if attrs != "" {
		c.WriteString(" " + attrs)
	}
	if title == "" {
		c.WriteString("/>")
		return
	}
	c.WriteString("><title>" + esc(title) + "</title></" + name + ">")
}

// Table renders the chart's numbers as an HTML table.
func (l Line) Table() template.HTML { return l.frame().table(l.YLabel) }
