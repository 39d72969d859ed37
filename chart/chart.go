// Package chart draws small, accessible charts as inline SVG on the server.
//
// The charts need no JavaScript and no external fonts (text inherits the
// page's font-family), print cleanly and read in Japanese and English:
//
//   - the <svg> has role="img" and aria-labelledby pointing at its <title>
//     and <desc>; every bar and point carries a <title> child
//     ("category — series: value") shown as a tooltip;
//   - value axes start at 0 and step by 1, 2 or 5 × 10ⁿ; numbers carry
//     thousands separators;
//   - series use a fixed palette of 8 colours, each at least 3:1 against
//     white, and are told apart in grey print by fill patterns (bars) or
//     dash styles and marker shapes (lines);
//   - every text is escaped; no data renders the Empty text.
//
// Because role="img" makes the chart one image to assistive technology, a
// page should offer the numbers too: each chart's Table method renders them
// as an HTML table (for instance in a <details> under the chart).
package chart

import (
	"fmt"
	"hash/fnv"
	"html"
	"html/template"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/width"
)

// Series is one named row of values, one value per category. A NaN or
// infinite value, or a missing one at the end, is "no value": no bar or point
// is drawn for it. Negative values are not expected and are drawn as 0.
type Series struct {
	Name   string
	Values []float64
}

// palette is the fixed series palette. Each colour has at least 3:1
// contrast against white (WCAG non-text contrast); their order alternates
// darker and lighter greys, and bars add a fill pattern per series so that a
// grey print still tells them apart.
var palette = [8]string{
	"#1f4e9c", // blue        7.99:1
	"#dc6e00", // orange      3.35:1
	"#138a6a", // green       4.31:1
	"#c2478f", // pink        4.57:1
	"#7b4fa6", // purple      5.98:1
	"#9a7400", // ochre       4.31:1
	"#c0392b", // red         5.44:1
	"#4b5563", // slate       7.56:1
}

// Palette returns the 8 series colours in the order series use them.
func Palette() []string {
	p := palette
	return p[:]
}

const (
	colText   = "#1f2328" // 15.8:1
	colMuted  = "#57606a" // 6.4:1
	colGrid   = "#e3e6ea"
	colAxis   = "#8c959f"
	fontTitle = 15.0
	fontLabel = 12.0
	fontSmall = 11.0
	pad       = 12.0
)

// Default viewBox sizes.
const (
	defaultWidth  = 640
	defaultHeight = 360
)

// frame holds what every chart kind shares.
type frame struct {
	kind       string // bar, line, hbar
	id         string
	title      string
	desc       string
	lang       string
	empty      string
	missing    string // marks a category or cell with no value ("no data"); empty: nothing drawn, "–" in tables
	hideTitle  bool
	w, h       float64
	categories []string
	series     []Series
}

// value returns series s's value for category i and whether there is one.
func (f *frame) value(s, i int) (float64, bool) {
	vs := f.series[s].Values
	if i >= len(vs) || math.IsNaN(vs[i]) || math.IsInf(vs[i], 0) {
		return 0, false
	}
	return max(vs[i], 0), true
}

// hasData reports whether there is any value to draw.
func (f *frame) hasData() bool {
	if len(f.categories) == 0 {
		return false
	}
	for s := range f.series {
		for i := range f.categories {
			if _, ok := f.value(s, i); ok {
				return true
			}
		}
	}
	return false
}

// integers reports whether every value is a whole number (counts), so the
// axis never steps by less than 1.
func (f *frame) integers() bool {
	for s := range f.series {
		for i := range f.categories {
			if v, ok := f.value(s, i); ok && v != math.Trunc(v) {
				return false
			}
		}
	}
	return true
}

func (f *frame) ja() bool { return strings.HasPrefix(strings.ToLower(f.lang), "ja") }

// tip is the tooltip of one bar or point: "category — series: value".
func tip(category, series string, v float64) string {
	if series == "" {
		return category + ": " + formatValue(v)
	}
	return category + " — " + series + ": " + formatValue(v)
}

// newFrame fills the defaults and derives the id.
func newFrame(kind, id, title, desc, lang, empty string, hideTitle bool, w, h, defW, defH int, cats []string, series []Series) *frame {
	if w <= 0 {
		w = defW
	}
	if h <= 0 {
		h = defH
	}
	f := &frame{kind: kind, title: title, desc: desc, lang: lang, empty: empty, hideTitle: hideTitle,
		w: float64(w), h: float64(h), categories: cats, series: series}
	f.id = sanitizeID(id)
	if f.id == "" {
		f.id = f.hashID()
	}
	if f.empty == "" {
		f.empty = "No data"
		if f.ja() {
			f.empty = "データがありません"
		}
	}
	if f.desc == "" {
		f.desc = f.autoDesc()
	}
	return f
}

// hashID derives a stable id from the content, so that the same chart
// renders the same bytes (ETags) and different charts on one page do not
// share ids.
func (f *frame) hashID() string {
	h := fnv.New64a()
	fmt.Fprintf(h, "%s\x00%s\x00%s\x00%s\x00%v\x00%v\x00", f.kind, f.title, f.desc, f.lang, f.w, f.h)
	for _, c := range f.categories {
		fmt.Fprintf(h, "%s\x00", c)
	}
	for _, s := range f.series {
		fmt.Fprintf(h, "%s\x00%v\x00", s.Name, s.Values)
	}
	return "chart-" + strconv.FormatUint(h.Sum64(), 36)
}

// sanitizeID keeps an id made of letters, digits, '-' and '_', starting
// with a letter.
func sanitizeID(id string) string {
	var b strings.Builder
	for _, r := range id {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_':
			b.WriteRune(r)
		}
	}
	s := b.String()
	if s != "" && !(s[0] >= 'a' && s[0] <= 'z' || s[0] >= 'A' && s[0] <= 'Z') {
		s = "c" + s
	}
	return s
}

// autoDesc describes the chart when the caller gave no description.
func (f *frame) autoDesc() string {
	names := make([]string, 0, len(f.series))
	for _, s := range f.series {
		if s.Name != "" {
			names = append(names, s.Name)
		}
	}
	n := len(f.categories)
	if f.ja() {
		kind := map[string]string{"bar": "棒グラフ", "line": "折れ線グラフ", "hbar": "横棒グラフ"}[f.kind]
		if n == 0 {
			return kind + "（データなし）"
		}
		s := fmt.Sprintf("%s（%d項目：%s〜%s）", kind, n, f.categories[0], f.categories[n-1])
		if len(names) > 1 {
			s += "。系列：" + strings.Join(names, "、")
		}
		return s
	}
	kind := map[string]string{"bar": "Bar chart", "line": "Line chart", "hbar": "Horizontal bar chart"}[f.kind]
	if n == 0 {
		return kind + " with no data."
	}
	s := fmt.Sprintf("%s of %d categories, %s to %s.", kind, n, f.categories[0], f.categories[n-1])
	if len(names) > 1 {
		s += " Series: " + strings.Join(names, ", ") + "."
	}
	return s
}

// ---- SVG writing ----

// canvas accumulates the SVG text.
type canvas struct {
	strings.Builder
	f *frame
}

func (c *canvas) printf(format string, args ...any) { fmt.Fprintf(c, format, args...) }

// open writes the <svg> element with its title and description.
func (c *canvas) open() {
	f := c.f
	c.printf(`<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-%s" viewBox="0 0 %s %s" width="%s" height="%s"`,
		f.kind, num(f.w), num(f.h), num(f.w), num(f.h))
	c.printf(` role="img" aria-labelledby="%s-title %s-desc"`, f.id, f.id)
	if f.lang != "" {
		c.printf(` lang="%s"`, esc(f.lang))
	}
	// No style attribute: the page's Content-Security-Policy forbids
	// inline styles, so the page's style sheet sizes svg.chart.
	c.printf(` font-family="inherit">`)
	c.printf(`<title id="%s-title">%s</title>`, f.id, esc(f.title))
	c.printf(`<desc id="%s-desc">%s</desc>`, f.id, esc(f.desc))
}

func (c *canvas) close() template.HTML {
	c.WriteString(`</svg>`)
	return template.HTML(c.String()) //nolint:gosec // every text above went through esc
}

// heading draws the visible title, wrapped onto at most two lines, and
// returns the y below it.
func (c *canvas) heading(y float64) float64 {
	lines := c.f.titleLines()
	for i, l := range lines {
		c.printf(`<text x="%s" y="%s" font-size="%s" font-weight="600" fill="%s" aria-hidden="true">%s</text>`,
			num(pad), num(y+fontTitle+float64(i)*(fontTitle+5)), num(fontTitle), colText, esc(l))
	}
	return y + c.f.headingHeight()
}

// titleLines is the visible title, wrapped.
func (f *frame) titleLines() []string {
	if f.hideTitle || strings.TrimSpace(f.title) == "" {
		return nil
	}
	return wrap(f.title, (f.w-2*pad)/boldFactor, fontTitle, 2)
}

// headingHeight is the height canvas.heading takes.
func (f *frame) headingHeight() float64 {
	n := len(f.titleLines())
	if n == 0 {
		return 0
	}
	return float64(n)*(fontTitle+5) + 7
}

// boldFactor is how much wider bold text runs than regular.
const boldFactor = 1.12

// text draws a text; extra holds further attributes. A truncated text keeps
// its whole in a <title> tooltip.
func (c *canvas) text(x, y float64, size float64, fill, anchor, s string, maxW float64, extra string) {
	t, cut := s, false
	if maxW > 0 {
		t, cut = truncate(s, maxW, size)
	}
	c.printf(`<text x="%s" y="%s" font-size="%s" fill="%s"`, num(x), num(y), num(size), fill)
	if anchor != "" && anchor != "start" {
		c.printf(` text-anchor="%s"`, anchor)
	}
	if extra != "" {
		c.WriteString(" " + extra)
	}
	c.WriteString(">")
	if cut {
		c.printf(`<title>%s</title>`, esc(s))
	}
	c.printf(`%s</text>`, esc(t))
}

// missingMarks writes the missing text at the foot of every category that
// has no value in any series, so that a year or phase without records reads
// "no data" instead of looking like a bar of 0. Where the text is wider than
// the category it is a dash, with the text as its tooltip.
func (c *canvas) missingMarks(p *columns) {
	f := c.f
	if f.missing == "" {
		return
	}
	c.WriteString(`<g class="chart-missing">`)
	for i, cat := range f.categories {
		some := false
		for s := range f.series {
			if _, ok := f.value(s, i); ok {
				some = true
			}
		}
		if some {
			continue
		}
		t := f.missing
		if textWidth(t, fontSmall) > p.band-4 {
			t = "–"
		}
		c.printf(`<text class="missing" x="%s" y="%s" font-size="%s" fill="%s" text-anchor="middle"><title>%s</title>%s</text>`,
			num(p.x(i)), num(p.bottom-6), num(fontSmall), colMuted, esc(cat+" — "+f.missing), esc(t))
	}
	c.WriteString(`</g>`)
}

// emptyChart renders the chart's frame with the Empty text.
func (c *canvas) emptyChart() template.HTML {
	f := c.f
	c.open()
	y := c.heading(pad)
	cy := y + (f.h-y)/2
	c.printf(`<rect x="%s" y="%s" width="%s" height="%s" fill="none" stroke="%s" stroke-dasharray="4 4" rx="4"/>`,
		num(pad), num(y), num(f.w-2*pad), num(math.Max(f.h-y-pad, 1)), colGrid)
	c.printf(`<text class="chart-empty" x="%s" y="%s" font-size="%s" fill="%s" text-anchor="middle" dy=".35em">%s</text>`,
		num(f.w/2), num(cy), num(fontLabel+1), colMuted, esc(f.empty))
	return c.close()
}

// ---- legend ----

// legend lays out and draws one item per series, wrapping lines, and
// returns the height used. swatch draws the key of series i at (x, y) (top
// left, swW wide, 12 high).
func (c *canvas) legend(y float64, swW float64, swatch func(i int, x, y float64)) float64 {
	const gap, itemGap, rowH = 6.0, 18.0, 20.0
	maxW := c.f.w - 2*pad
	x, row := pad, 0
	type placed struct {
		x, y  float64
		label string
		i     int
	}
	var items []placed
	for i, s := range c.f.series {
		label, _ := truncate(s.Name, maxW-swW-gap, fontLabel)
		wd := swW + gap + textWidth(label, fontLabel)
		if x > pad && x+wd > pad+maxW {
			row++
			x = pad
		}
		items = append(items, placed{x, y + float64(row)*rowH, s.Name, i})
		x += wd + itemGap
	}
	c.WriteString(`<g class="chart-legend">`)
	for _, it := range items {
		swatch(it.i, it.x, it.y+1)
		c.text(it.x+swW+gap, it.y+11, fontLabel, colText, "", it.label, maxW-swW-gap, "")
	}
	c.WriteString(`</g>`)
	return float64(row+1) * rowH
}

// ---- fills ----

// colour returns the palette colour of series i.
func colour(i int) string { return palette[i%len(palette)] }

// patternDefs defines a fill pattern for every series after the first:
// white stripes, dots or hatching over the series colour.
func (c *canvas) patternDefs(n int) {
	if n <= 1 {
		return
	}
	c.WriteString(`<defs>`)
	for i := 1; i < n; i++ {
		col := colour(i)
		id := fmt.Sprintf("%s-p%d", c.f.id, i)
		var size, rot float64
		var marks string
		switch i % 8 {
		case 1: // diagonal stripes
			size, rot, marks = 6, 45, `<path d="M0 0V6" stroke="#fff" stroke-width="1.6"/>`
		case 2: // dots
			size, rot, marks = 5, 0, `<circle cx="2.5" cy="2.5" r="1.1" fill="#fff"/>`
		case 3: // horizontal stripes
			size, rot, marks = 5, 0, `<path d="M0 0.6H5" stroke="#fff" stroke-width="1.2"/>`
		case 4: // diagonal stripes the other way
			size, rot, marks = 6, -45, `<path d="M0 0V6" stroke="#fff" stroke-width="1.6"/>`
		case 5: // cross-hatch
			size, rot, marks = 6, 45, `<path d="M0 0V6M0 0H6" stroke="#fff" stroke-width="1.1"/>`
		case 6: // vertical stripes
			size, rot, marks = 5, 0, `<path d="M0.6 0V5" stroke="#fff" stroke-width="1.2"/>`
		case 7: // grid
			size, rot, marks = 6, 0, `<path d="M0 0.5H6M0.5 0V6" stroke="#fff" stroke-width="1"/>`
		default: // solid
			size, rot, marks = 6, 0, ""
		}
		c.printf(`<pattern id="%s" width="%s" height="%s" patternUnits="userSpaceOnUse"`, id, num(size), num(size))
		if rot != 0 {
			c.printf(` patternTransform="rotate(%s)"`, num(rot))
		}
		c.printf(`><rect width="%s" height="%s" fill="%s"/>%s</pattern>`, num(size), num(size), col, marks)
	}
	c.WriteString(`</defs>`)
}

// fill returns the fill of series i's bars.
func (c *canvas) fill(i int) string {
	if i%8 == 0 {
		return colour(i)
	}
	return fmt.Sprintf("url(#%s-p%d)", c.f.id, i)
}

// ---- axis ----

// scale is a value axis from 0 to max in round steps.
type scale struct {
	max      float64
	step     float64
	decimals int
	ticks    []float64
}

// niceScale returns an axis from 0 covering maxVal with about target steps
// of 1, 2 or 5 × 10ⁿ (never below 1 when integers is set).
func niceScale(maxVal float64, target int, integers bool) scale {
	if target < 1 {
		target = 1
	}
	if !(maxVal > 0) || math.IsInf(maxVal, 0) || math.IsNaN(maxVal) {
		maxVal = 0
	}
	if maxVal == 0 {
		maxVal = 1
	}
	raw := maxVal / float64(target)
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	var step float64
	for _, m := range []float64{1, 2, 5, 10} {
		step = m * mag
		if raw <= step*(1+1e-9) {
			break
		}
	}
	if integers && step < 1 {
		step = 1
	}
	n := math.Ceil(maxVal/step - 1e-9)
	if n < 1 {
		n = 1
	}
	decimals := 0
	if step < 1 {
		decimals = int(-math.Floor(math.Log10(step) + 1e-9))
	}
	p := math.Pow(10, float64(decimals))
	s := scale{step: step, decimals: decimals}
	for i := 0; i <= int(n); i++ {
		s.ticks = append(s.ticks, math.Round(float64(i)*step*p)/p)
	}
	s.max = s.ticks[len(s.ticks)-1]
	return s
}

func (s scale) label(v float64) string {
	if v == 0 {
		return "0"
	}
	return formatNumber(v, s.decimals)
}

// widest returns the width of the widest tick label.
func (s scale) widest(size float64) float64 {
	w := 0.0
	for _, t := range s.ticks {
		w = math.Max(w, textWidth(s.label(t), size))
	}
	return w
}

// ---- numbers and text ----

// formatNumber formats v with the given decimals and a comma every three
// digits (the grouping both Japanese and English use).
func formatNumber(v float64, decimals int) string {
	s := strconv.FormatFloat(v, 'f', decimals, 64)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	intPart, frac, hasFrac := strings.Cut(s, ".")
	var b strings.Builder
	if neg && strings.Trim(s, "0.") != "" {
		b.WriteByte('-')
	}
	for i := 0; i < len(intPart); i++ {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteByte(intPart[i])
	}
	if hasFrac {
		b.WriteByte('.')
		b.WriteString(frac)
	}
	return b.String()
}

// formatValue formats a data value: thousands separators, at most two
// decimals, no trailing zeros.
func formatValue(v float64) string {
	if math.Abs(v) < 1e15 {
		v = math.Round(v*100) / 100 // halves away from zero, as people round
	}
	s := formatNumber(v, 2)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}

// num formats a coordinate.
func num(x float64) string {
	return strconv.FormatFloat(math.Round(x*100)/100, 'f', -1, 64)
}

// esc escapes s for XML text and attributes, dropping the characters XML
// does not allow.
func esc(s string) string {
	clean := true
	for _, r := range s {
		if !xmlChar(r) {
			clean = false
			break
		}
	}
	if !clean || !utf8.ValidString(s) {
		var b strings.Builder
		for _, r := range s {
			if xmlChar(r) {
				b.WriteRune(r)
			}
		}
		s = b.String()
	}
	return html.EscapeString(s)
}

func xmlChar(r rune) bool {
	return r == 0x9 || r == 0xA || r == 0xD ||
		(r >= 0x20 && r <= 0xD7FF) || (r >= 0xE000 && r <= 0xFFFD) || (r >= 0x10000 && r <= 0x10FFFF)
}

// runeWidth estimates the advance of r in ems. The figures are DejaVu
// Sans's, the widest of the usual sans-serif fonts, so that labels estimated
// to fit do fit whichever font the page inherits; wide (CJK) characters are
// 1 em.
func runeWidth(r rune) float64 {
	if r >= 0x80 {
		switch width.LookupRune(r).Kind() {
		case width.EastAsianWide, width.EastAsianFullwidth:
			return 1
		}
		if r == '—' || r == '…' {
			return 1
		}
		return 0.65
	}
	switch {
	case strings.ContainsRune("iIjl'", r):
		return 0.3
	case strings.ContainsRune(" .,:;|/!", r):
		return 0.34
	case strings.ContainsRune("ft()[]{}r-", r):
		return 0.4
	case r == 'm' || r == 'W':
		return 1
	case r == 'w' || r == 'M':
		return 0.87
	case strings.ContainsRune("<>=+~", r):
		return 0.84
	case r == '&' || r == '%' || r == '@':
		return 0.8
	case strings.ContainsRune("EFLPTYSZ", r):
		return 0.64
	case r >= 'A' && r <= 'Z':
		return 0.74
	case strings.ContainsRune("cskvxyz", r):
		return 0.6
	case r >= '0' && r <= '9', r >= 'a' && r <= 'z':
		return 0.64
	}
	return 0.62
}

// textWidth estimates the width of s at the font size.
func textWidth(s string, size float64) float64 {
	w := 0.0
	for _, r := range s {
		w += runeWidth(r)
	}
	return w * size
}

// wrap breaks s into at most maxLines lines of width maxW, at spaces when
// it can and between any two characters otherwise (Japanese has no
// spaces); the last line is truncated with an ellipsis.
func wrap(s string, maxW, size float64, maxLines int) []string {
	s = strings.Join(strings.Fields(s), " ")
	var lines []string
	for s != "" && len(lines) < maxLines-1 && textWidth(s, size) > maxW {
		w, cut, space := 0.0, 0, -1
		for i, r := range s {
			w += runeWidth(r) * size
			if w > maxW {
				break
			}
			if r == ' ' {
				space = i
			}
			cut = i + utf8.RuneLen(r)
		}
		if space > 0 && space > cut/2 {
			cut = space
		}
		if cut == 0 {
			_, cut = utf8.DecodeRuneInString(s)
		}
		lines = append(lines, strings.TrimSpace(s[:cut]))
		s = strings.TrimSpace(s[cut:])
	}
	if s != "" {
		t, _ := truncate(s, maxW, size)
		lines = append(lines, t)
	}
	return lines
}

// truncate shortens s with an ellipsis to fit maxW, reporting whether it
// cut anything.
func truncate(s string, maxW, size float64) (string, bool) {
	if maxW <= 0 || textWidth(s, size) <= maxW {
		return s, false
	}
	limit := maxW - textWidth("…", size)
	w := 0.0
	for i, r := range s {
		w += runeWidth(r) * size
		if w > limit {
			return strings.TrimRight(s[:i], " ") + "…", true
		}
	}
	return s, false
}
