package chart

import (
	"encoding/xml"
	"fmt"
	"html/template"
	"math"
	"strconv"
	"strings"
	"testing"
)

// node is a parsed XML element.
type node struct {
	XMLName xml.Name
	Attrs   []xml.Attr `xml:",any,attr"`
	Nodes   []node     `xml:",any"`
	Text    string     `xml:",chardata"`
}

func (n node) attr(name string) string {
	for _, a := range n.Attrs {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

func (n node) float(t *testing.T, name string) float64 {
	t.Helper()
	v, err := strconv.ParseFloat(n.attr(name), 64)
	if err != nil {
		t.Fatalf("<%s %s=%q>: %v", n.XMLName.Local, name, n.attr(name), err)
	}
	return v
}

// all returns the elements under n (n included) that match.
func (n node) all(match func(node) bool) []node {
	var out []node
	if match(n) {
		out = append(out, n)
	}
	for _, c := range n.Nodes {
		out = append(out, c.all(match)...)
	}
	return out
}

// title returns the text of n's <title> child.
func (n node) title() string {
	for _, c := range n.Nodes {
		if c.XMLName.Local == "title" {
			return c.Text
		}
	}
	return ""
}

// text returns all the character data under n.
func (n node) text() string {
	var b strings.Builder
	b.WriteString(n.Text)
	for _, c := range n.Nodes {
		b.WriteString(c.text())
	}
	return b.String()
}

func byClass(class string) func(node) bool {
	return func(n node) bool { return n.attr("class") == class }
}

func byName(name string) func(node) bool {
	return func(n node) bool { return n.XMLName.Local == name }
}

// parse checks that out is one well-formed <svg> element and returns it.
func parse(t *testing.T, out template.HTML) node {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(string(out)))
	d.Strict = true
	for {
		if _, err := d.Token(); err != nil {
			if err.Error() == "EOF" {
				break
			}
			t.Fatalf("not well-formed XML: %v\n%s", err, out)
		}
	}
	var root node
	if err := xml.Unmarshal([]byte(out), &root); err != nil {
		t.Fatalf("unmarshal: %v", err)
	}
	if root.XMLName.Local != "svg" || root.XMLName.Space != "http://www.w3.org/2000/svg" {
		t.Fatalf("root is %v, want svg", root.XMLName)
	}
	return root
}

// checkAccessible checks role, aria-labelledby, title, desc and lang.
func checkAccessible(t *testing.T, root node, title, lang string) {
	t.Helper()
	if got := root.attr("role"); got != "img" {
		t.Errorf("role = %q, want img", got)
	}
	if got := root.attr("lang"); got != lang {
		t.Errorf("lang = %q, want %q", got, lang)
	}
	if got := root.attr("font-family"); got != "inherit" {
		t.Errorf("font-family = %q, want inherit", got)
	}
	ids := strings.Fields(root.attr("aria-labelledby"))
	if len(ids) != 2 {
		t.Fatalf("aria-labelledby = %q, want the title and desc ids", root.attr("aria-labelledby"))
	}
	if len(root.Nodes) < 2 || root.Nodes[0].XMLName.Local != "title" || root.Nodes[1].XMLName.Local != "desc" {
		t.Fatalf("the svg must start with <title> and <desc>")
	}
	if root.Nodes[0].attr("id") != ids[0] || root.Nodes[1].attr("id") != ids[1] {
		t.Errorf("aria-labelledby %v does not point at <title id=%q> and <desc id=%q>", ids, root.Nodes[0].attr("id"), root.Nodes[1].attr("id"))
	}
	if got := root.Nodes[0].Text; got != title {
		t.Errorf("<title> = %q, want %q", got, title)
	}
	if strings.TrimSpace(root.Nodes[1].Text) == "" {
		t.Errorf("<desc> is empty")
	}
}

var years = []string{"2019", "2020", "2021", "2022", "2023", "2024"}

func grouped() Bar {
	return Bar{
		Title: "派遣・受入の推移", Description: "学生の派遣と受入（人）", Lang: "ja", YLabel: "人数",
		Categories: years,
		Series: []Series{
			{Name: "派遣", Values: []float64{412, 96, 158, 520, 688, 731}},
			{Name: "受入", Values: []float64{380, 120, 201, 466, 702, 1254}},
		},
	}
}

func TestBarAccessibleAndWellFormed(t *testing.T) {
	b := grouped()
	root := parse(t, b.SVG())
	checkAccessible(t, root, "派遣・受入の推移", "ja")
	if got := root.Nodes[1].Text; got != "学生の派遣と受入（人）" {
		t.Errorf("desc = %q", got)
	}
	bars := root.all(byClass("bar"))
	if len(bars) != 12 {
		t.Fatalf("%d bars, want 12", len(bars))
	}
	// Every bar has a tooltip "category — series: value" with separators.
	want := map[string]bool{}
	for _, s := range b.Series {
		for i, v := range s.Values {
			want[fmt.Sprintf("%s — %s: %s", years[i], s.Name, formatValue(v))] = true
		}
	}
	for _, bar := range bars {
		if !want[bar.title()] {
			t.Errorf("bar title %q is not one of the expected tooltips", bar.title())
		}
		delete(want, bar.title())
	}
	if !strings.Contains(string(b.SVG()), "<title>2024 — 受入: 1,254</title>") {
		t.Errorf("missing the tooltip with a thousands separator")
	}
	// Two series: a legend naming both.
	legend := root.all(byClass("chart-legend"))
	if len(legend) != 1 || !strings.Contains(legend[0].text(), "派遣") || !strings.Contains(legend[0].text(), "受入") {
		t.Errorf("legend missing or incomplete: %+v", legend)
	}
	if !strings.Contains(root.text(), "人数") {
		t.Errorf("YLabel not drawn")
	}
}

// checkProportional checks that every bar's length (attribute dim) over its
// value is the same.
func checkProportional(t *testing.T, bars []node, dim string) {
	t.Helper()
	// The longest bar gives the most precise ratio.
	ratio, longest := 0.0, 0.0
	for _, bar := range bars {
		if v := bar.float(t, "data-value"); v > longest {
			longest, ratio = v, bar.float(t, dim)/v
		}
	}
	for _, bar := range bars {
		v := bar.float(t, "data-value")
		h := bar.float(t, dim)
		if v == 0 {
			if h != 0 {
				t.Errorf("zero value drawn %v long", h)
			}
			continue
		}
		r := h / v
		if math.Abs(r-ratio)*v > 0.03 { // coordinates are rounded to 0.01
			t.Errorf("bar %q: %s %v for value %v; ratio %v, want %v", bar.title(), dim, h, v, r, ratio)
		}
	}
	if ratio == 0 {
		t.Errorf("no bars measured")
	}
}

func TestBarHeightsProportional(t *testing.T) {
	b := grouped()
	root := parse(t, b.SVG())
	bars := root.all(byClass("bar"))
	checkProportional(t, bars, "height")
	// The values are the input values.
	for _, bar := range bars {
		if bar.attr("data-series") == "1" && strings.HasPrefix(bar.title(), "2024") && bar.float(t, "data-value") != 1254 {
			t.Errorf("2024 receiving drawn as %v", bar.attr("data-value"))
		}
	}
	// All bars stand on the same baseline.
	base := bars[0].float(t, "y") + bars[0].float(t, "height")
	for _, bar := range bars {
		if y := bar.float(t, "y") + bar.float(t, "height"); math.Abs(y-base) > 0.02 {
			t.Errorf("bar %q ends at %v, want %v", bar.title(), y, base)
		}
	}
}

func TestStackedBar(t *testing.T) {
	b := grouped()
	b.Stacked = true
	b.Lang = "en"
	root := parse(t, b.SVG())
	bars := root.all(byClass("bar"))
	checkProportional(t, bars, "height")
	// Each stack: the second segment sits on the first.
	byCat := map[string][]node{}
	for _, bar := range bars {
		cat, _, _ := strings.Cut(bar.title(), " — ")
		byCat[cat] = append(byCat[cat], bar)
	}
	for cat, segs := range byCat {
		if len(segs) != 2 {
			t.Fatalf("%s: %d segments", cat, len(segs))
		}
		if top, bottom := segs[0].float(t, "y"), segs[1].float(t, "y")+segs[1].float(t, "height"); math.Abs(top-bottom) > 0.02 {
			t.Errorf("%s: second segment ends at %v, first starts at %v", cat, bottom, top)
		}
	}
	// The totals are written over the stacks.
	var totals []string
	for _, v := range root.all(byClass("value")) {
		totals = append(totals, v.Text)
	}
	if strings.Join(totals, " ") != "792 216 359 986 1,390 1,985" {
		t.Errorf("stack totals = %v", totals)
	}
	// The axis covers the tallest stack.
	ticks := tickValues(t, root)
	if ticks[len(ticks)-1] < 1985 {
		t.Errorf("axis tops at %v, below the tallest stack", ticks[len(ticks)-1])
	}
}

// tickValues returns the numbers of the axis tick labels.
func tickValues(t *testing.T, root node) []float64 {
	t.Helper()
	var out []float64
	for _, n := range root.all(byClass("tick")) {
		v, err := strconv.ParseFloat(strings.ReplaceAll(n.Text, ",", ""), 64)
		if err != nil {
			t.Fatalf("tick %q: %v", n.Text, err)
		}
		out = append(out, v)
	}
	return out
}

// checkRoundTicks checks that ticks start at 0 and step evenly by 1, 2 or
// 5 × 10ⁿ.
func checkRoundTicks(t *testing.T, ticks []float64) {
	t.Helper()
	if len(ticks) < 2 || ticks[0] != 0 {
		t.Fatalf("ticks %v: want at least two, from 0", ticks)
	}
	step := ticks[1] - ticks[0]
	mag := math.Pow(10, math.Floor(math.Log10(step)+1e-9))
	m := math.Round(step/mag*1000) / 1000
	if m != 1 && m != 2 && m != 5 {
		t.Errorf("ticks %v: step %v is not 1, 2 or 5 × 10ⁿ", ticks, step)
	}
	for i := 1; i < len(ticks); i++ {
		if d := ticks[i] - ticks[i-1]; math.Abs(d-step) > step*1e-6 {
			t.Errorf("ticks %v: uneven step at %d", ticks, i)
		}
	}
}

func TestTicksRound(t *testing.T) {
	for _, max := range []float64{0.37, 1, 3, 7, 9, 10, 11, 48, 99, 101, 1254, 1985, 12840, 987654, 3.5e9} {
		b := Bar{Title: "t", Categories: []string{"a", "b"}, Series: []Series{{Name: "s", Values: []float64{max / 3, max}}}}
		root := parse(t, b.SVG())
		ticks := tickValues(t, root)
		checkRoundTicks(t, ticks)
		if top := ticks[len(ticks)-1]; top < max || top > max*2.5+1 {
			t.Errorf("max %v: axis tops at %v", max, top)
		}
		for _, tick := range root.all(byClass("tick")) {
			if max >= 10000 && tick.Text != "0" && !strings.Contains(tick.Text, ",") {
				t.Errorf("max %v: tick %q has no thousands separator", max, tick.Text)
			}
		}
	}
}

func TestNiceScale(t *testing.T) {
	tests := []struct {
		max      float64
		target   int
		integers bool
		step     float64
		top      float64
	}{
		{48, 5, true, 10, 50},
		{50, 5, true, 10, 50},
		{51, 5, true, 20, 60},
		{1254, 5, true, 500, 1500},
		{1254, 8, true, 200, 1400},
		{3, 6, true, 1, 3}, // counts never step by less than 1
		{0.52, 5, false, 0.2, 0.6},
		{0.52, 6, false, 0.1, 0.6},
		{0, 5, true, 1, 1}, // all zero: an axis to 1
		{7, 1, true, 10, 10},
	}
	for _, tt := range tests {
		s := niceScale(tt.max, tt.target, tt.integers)
		if math.Abs(s.step-tt.step) > 1e-9 || math.Abs(s.max-tt.top) > 1e-9 {
			t.Errorf("niceScale(%v, %d, %v) = step %v top %v, want %v %v", tt.max, tt.target, tt.integers, s.step, s.max, tt.step, tt.top)
		}
		checkRoundTicks(t, s.ticks)
	}
	if got := niceScale(0.52, 6, false).label(0.3); got != "0.3" {
		t.Errorf("label 0.3 = %q", got)
	}
}

func TestEscaping(t *testing.T) {
	evil := `<script>alert("x")</script>`
	charts := map[string]template.HTML{
		"bar": Bar{Title: "A & B <i>", Description: `"quoted" 'single'`, Lang: `en" onload="x`,
			Categories: []string{evil, "ok\x00\x1b\uFFFE"}, YLabel: "<b>",
			Series: []Series{{Name: "s<1>", Values: []float64{1, 2}}, {Name: "&amp;", Values: []float64{3, 4}}}}.SVG(),
		"line":  Line{Title: evil, Categories: []string{evil}, Series: []Series{{Name: evil, Values: []float64{5}}}}.SVG(),
		"hbar":  HBar{Title: evil, Categories: []string{evil}, XLabel: evil, Series: Series{Name: evil, Values: []float64{5}}}.SVG(),
		"empty": Bar{Title: evil, Empty: evil}.SVG(),
		"table": Bar{Title: evil, Categories: []string{evil}, Series: []Series{{Name: evil, Values: []float64{1}}}}.Table(),
	}
	for name, out := range charts {
		s := string(out)
		if strings.Contains(s, "<script") || strings.Contains(s, `onload="`) {
			t.Errorf("%s: unescaped markup in\n%s", name, s)
		}
		if name != "table" && !strings.Contains(s, "&lt;script&gt;") {
			t.Errorf("%s: the category %q does not appear escaped", name, evil)
		}
		if name == "table" {
			continue
		}
		root := parse(t, out)
		// The escaped text reads back as the original.
		if name == "bar" {
			cats := root.all(byClass("chart-categories"))[0].text()
			if !strings.Contains(cats, evil) {
				t.Errorf("category text = %q, want %q", cats, evil)
			}
			if root.Nodes[0].Text != "A & B <i>" {
				t.Errorf("title = %q", root.Nodes[0].Text)
			}
		}
	}
	// The table is well-formed too.
	var tbl node
	if err := xml.Unmarshal([]byte(charts["table"]), &tbl); err != nil {
		t.Fatalf("table: %v", err)
	}
}

func TestEmpty(t *testing.T) {
	for name, out := range map[string]template.HTML{
		"no categories": Bar{Title: "協定", Lang: "ja", Empty: "データがありません（協定）"}.SVG(),
		"no series":     Bar{Title: "協定", Lang: "ja", Categories: years, Empty: "データがありません（協定）"}.SVG(),
		"all NaN":       Line{Title: "協定", Lang: "ja", Categories: years, Series: []Series{{Name: "a", Values: []float64{math.NaN()}}}, Empty: "データがありません（協定）"}.SVG(),
		"hbar":          HBar{Title: "協定", Lang: "ja", Empty: "データがありません（協定）"}.SVG(),
	} {
		root := parse(t, out)
		checkAccessible(t, root, "協定", "ja")
		empty := root.all(byClass("chart-empty"))
		if len(empty) != 1 || empty[0].Text != "データがありません（協定）" {
			t.Errorf("%s: empty text %+v", name, empty)
		}
		if n := len(root.all(byClass("bar"))) + len(root.all(byClass("point"))); n != 0 {
			t.Errorf("%s: %d marks drawn for no data", name, n)
		}
	}
	// Without an Empty text, a default in the chart's language.
	if !strings.Contains(string(Bar{Lang: "en"}.SVG()), ">No data<") || !strings.Contains(string(Bar{Lang: "ja"}.SVG()), ">データがありません<") {
		t.Errorf("default empty texts missing")
	}
}

func TestNegativeAndMissingValues(t *testing.T) {
	b := Bar{Title: "t", Categories: []string{"a", "b", "c", "d"},
		Series: []Series{{Name: "s", Values: []float64{-5, 10, math.NaN()}}}}
	root := parse(t, b.SVG())
	bars := root.all(byClass("bar"))
	if len(bars) != 2 { // c is NaN, d is missing
		t.Fatalf("%d bars, want 2", len(bars))
	}
	if bars[0].float(t, "height") != 0 || bars[0].attr("data-value") != "0" {
		t.Errorf("negative value not clamped at 0: %+v", bars[0].Attrs)
	}
	if tickValues(t, root)[0] != 0 {
		t.Errorf("axis does not start at 0")
	}
}

func TestSingleSeriesHasNoLegend(t *testing.T) {
	b := Bar{Title: "t", Categories: years, Series: []Series{{Name: "only", Values: []float64{1, 2, 3, 4, 5, 6}}}}
	root := parse(t, b.SVG())
	if len(root.all(byClass("chart-legend"))) != 0 {
		t.Errorf("legend drawn for one series")
	}
	if got := len(root.all(byClass("value"))); got != 6 {
		t.Errorf("%d value labels, want 6", got)
	}
}

func TestLine(t *testing.T) {
	l := Line{
		Title: "Outbound mobility", Lang: "en", YLabel: "Students",
		Categories: years,
		Series: []Series{
			{Name: "Undergraduate", Values: []float64{1200, 300, math.NaN(), 1400, 1820, 2050}},
			{Name: "Graduate", Values: []float64{900, 410, 520, 980, 1150, 1330}},
			{Name: "Faculty", Values: []float64{320, 40, 90, 300, 410, 455}},
		},
	}
	root := parse(t, l.SVG())
	checkAccessible(t, root, "Outbound mobility", "en")
	checkRoundTicks(t, tickValues(t, root))
	points := root.all(byClass("point"))
	if len(points) != 17 { // 18 values, one NaN
		t.Fatalf("%d points, want 17", len(points))
	}
	found := false
	for _, p := range points {
		if p.title() == "2024 — Undergraduate: 2,050" {
			found = true
		}
		if p.title() == "" {
			t.Errorf("point without a title: %+v", p.Attrs)
		}
	}
	if !found {
		t.Errorf("missing tooltip 2024 — Undergraduate: 2,050")
	}
	lines := root.all(byClass("line"))
	if len(lines) != 3 {
		t.Fatalf("%d lines", len(lines))
	}
	// The NaN breaks the first line in two.
	if n := strings.Count(lines[0].attr("d"), "M"); n != 2 {
		t.Errorf("first line has %d pieces, want 2: %s", n, lines[0].attr("d"))
	}
	// Lines differ in dash style, not only colour.
	dashes := map[string]bool{}
	for _, ln := range lines {
		dashes[ln.attr("stroke-dasharray")] = true
	}
	if len(dashes) != 3 {
		t.Errorf("dash styles %v, want 3 different", dashes)
	}
	// Points lie on the value scale: y grows linearly with the value.
	ticks := root.all(byClass("tick"))
	zeroY, topY := ticks[0].float(t, "y"), ticks[len(ticks)-1].float(t, "y")
	top := tickValues(t, root)[len(ticks)-1]
	for _, p := range points {
		v := p.float(t, "data-value")
		y := 0.0
		switch p.XMLName.Local {
		case "circle":
			y = p.float(t, "cy")
		case "rect":
			y = p.float(t, "y") + p.float(t, "height")/2
		default:
			continue
		}
		if want := zeroY + (topY-zeroY)*v/top; math.Abs(y-want) > 0.05 {
			t.Errorf("point %q at y %v, want %v", p.title(), y, want)
		}
	}
}

func TestHBar(t *testing.T) {
	long := "スイス連邦工科大学チューリッヒ校・ローザンヌ校・パウル・シェラー研究所"
	h := HBar{
		Title: "活動件数の多いパートナー", Lang: "ja", XLabel: "件数",
		Categories: []string{"国立台湾大学", "北京大学", long, "<script>"},
		Series:     Series{Name: "活動", Values: []float64{1480, 41, 33, 0}},
	}
	out := h.SVG()
	root := parse(t, out)
	checkAccessible(t, root, "活動件数の多いパートナー", "ja")
	bars := root.all(byClass("bar"))
	if len(bars) != 4 {
		t.Fatalf("%d bars", len(bars))
	}
	checkProportional(t, bars, "width")
	if bars[0].title() != "国立台湾大学 — 活動: 1,480" {
		t.Errorf("title = %q", bars[0].title())
	}
	// Values at the end of each bar.
	values := root.all(byClass("value"))
	if len(values) != 4 || values[0].Text != "1,480" {
		t.Fatalf("value labels %+v", values)
	}
	for i, v := range values {
		end := bars[i].float(t, "x") + bars[i].float(t, "width")
		if x := v.float(t, "x"); x < end || x > end+10 {
			t.Errorf("value %q at x %v, bar ends at %v", v.Text, x, end)
		}
	}
	// Labels on the left, right-aligned before the bars; the long one is
	// shortened and keeps its whole name as a tooltip.
	labels := root.all(byClass("chart-categories"))[0].Nodes
	if len(labels) != 4 {
		t.Fatalf("%d labels", len(labels))
	}
	for _, l := range labels {
		if l.attr("text-anchor") != "end" || l.float(t, "x") > bars[0].float(t, "x") {
			t.Errorf("label %q not left of the bars", l.Text)
		}
	}
	if !strings.HasSuffix(labels[2].Text, "…") || labels[2].title() != long {
		t.Errorf("long label = %q (title %q), want shortened with the full name as title", labels[2].Text, labels[2].title())
	}
	if labels[3].Text != "<script>" || !strings.Contains(string(out), "&lt;script&gt;") {
		t.Errorf("label %q not escaped", labels[3].Text)
	}
	ticks := tickValues(t, root)
	checkRoundTicks(t, ticks)
	// The height fits the rows.
	if hgt := root.float(t, "height"); hgt < 4*20 || hgt > 300 {
		t.Errorf("height %v for 4 rows", hgt)
	}
}

func TestPalette(t *testing.T) {
	lin := func(c uint64) float64 {
		v := float64(c) / 255
		if v <= 0.03928 {
			return v / 12.92
		}
		return math.Pow((v+0.055)/1.055, 2.4)
	}
	p := Palette()
	if len(p) != 8 {
		t.Fatalf("%d colours", len(p))
	}
	seen := map[string]bool{}
	for _, c := range p {
		r, _ := strconv.ParseUint(c[1:3], 16, 8)
		g, _ := strconv.ParseUint(c[3:5], 16, 8)
		b, _ := strconv.ParseUint(c[5:7], 16, 8)
		l := 0.2126*lin(r) + 0.7152*lin(g) + 0.0722*lin(b)
		if ratio := 1.05 / (l + 0.05); ratio < 3 {
			t.Errorf("%s: contrast %.2f:1 against white, want ≥ 3", c, ratio)
		}
		if seen[c] {
			t.Errorf("%s twice", c)
		}
		seen[c] = true
	}
	p[0] = "#000000"
	if Palette()[0] == "#000000" {
		t.Errorf("Palette exposes the package's array")
	}
	// Eight series: eight different fills (colour or pattern) in bars.
	var series []Series
	for i := range 8 {
		series = append(series, Series{Name: fmt.Sprint(i), Values: []float64{float64(i + 1)}})
	}
	root := parse(t, Bar{Title: "t", Categories: []string{"a"}, Series: series}.SVG())
	fills := map[string]bool{}
	for _, b := range root.all(byClass("bar")) {
		fills[b.attr("fill")] = true
	}
	if len(fills) != 8 {
		t.Errorf("fills %v, want 8 different", fills)
	}
	if got := len(root.all(byName("pattern"))); got != 7 {
		t.Errorf("%d patterns, want 7 (the first series is solid)", got)
	}
}

func TestFormatNumber(t *testing.T) {
	tests := map[float64]string{
		0: "0", 7: "7", 999: "999", 1000: "1,000", 12345: "12,345", 1234567.5: "1,234,567.5",
		0.125: "0.13", 2.10: "2.1", 1e9: "1,000,000,000",
	}
	for v, want := range tests {
		if got := formatValue(v); got != want {
			t.Errorf("formatValue(%v) = %q, want %q", v, got, want)
		}
	}
	if got := formatNumber(1500, 0); got != "1,500" {
		t.Errorf("formatNumber = %q", got)
	}
}

func TestDeterministicIDs(t *testing.T) {
	a, b := grouped(), grouped()
	if a.SVG() != b.SVG() {
		t.Errorf("the same chart renders differently")
	}
	b.Series[0].Values = []float64{1, 2, 3, 4, 5, 6}
	ida := parse(t, a.SVG()).Nodes[0].attr("id")
	idb := parse(t, b.SVG()).Nodes[0].attr("id")
	if ida == idb {
		t.Errorf("different charts share the id %q", ida)
	}
	b.ID = "9 mobility!"
	if got := parse(t, b.SVG()).Nodes[0].attr("id"); got != "c9mobility-title" {
		t.Errorf("custom id = %q", got)
	}
	// Every id and every url(#…) reference belongs to the chart.
	s := string(a.SVG())
	for _, ref := range strings.Split(s, "url(#")[1:] {
		if id, _, _ := strings.Cut(ref, ")"); !strings.Contains(s, `id="`+id+`"`) {
			t.Errorf("dangling reference %q", id)
		}
	}
}

func TestLongLabelsAndManyCategories(t *testing.T) {
	var cats []string
	var vals []float64
	for i := range 30 {
		cats = append(cats, fmt.Sprintf("The University of Somewhere Rather Far Away, campus %d", i))
		vals = append(vals, float64(i*i))
	}
	for _, w := range []int{320, 640, 1200} {
		b := Bar{Title: "A rather long chart title that has to wrap onto a second line on a phone", Width: w,
			Categories: cats, Series: []Series{{Name: "n", Values: vals}}}
		root := parse(t, b.SVG())
		bars := root.all(byClass("bar"))
		if len(bars) != 30 {
			t.Fatalf("width %d: %d bars", w, len(bars))
		}
		for _, bar := range bars {
			if x, wd := bar.float(t, "x"), bar.float(t, "width"); x < 0 || x+wd > float64(w) || wd <= 0 {
				t.Errorf("width %d: bar %q outside the chart (x %v, width %v)", w, bar.title(), x, wd)
			}
			if y := bar.float(t, "y"); y < 0 {
				t.Errorf("width %d: bar above the chart", w)
			}
		}
		checkProportional(t, bars, "height")
	}
}

func TestTable(t *testing.T) {
	out := grouped().Table()
	var tbl node
	if err := xml.Unmarshal([]byte(out), &tbl); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	s := string(out)
	for _, want := range []string{"<caption>派遣・受入の推移</caption>", `<th scope="col">受入</th>`, `<th scope="row">2024</th>`, "<td class=\"num\">1,254</td>"} {
		if !strings.Contains(s, want) {
			t.Errorf("table lacks %s:\n%s", want, s)
		}
	}
	if !strings.Contains(string(Bar{Title: "x", Empty: "なし"}.Table()), "なし") {
		t.Errorf("empty table lacks the Empty text")
	}
}

// A category with no value in any series is marked with the Missing text,
// in the drawing and in the table, never drawn as a bar of 0.
func TestMissingCategoriesReadNoData(t *testing.T) {
	nan := math.NaN()
	b := Bar{Title: "t", Categories: []string{"2019", "2020", "2021"}, Missing: "no data",
		Series: []Series{{Name: "out", Values: []float64{3, nan, 5}}, {Name: "in", Values: []float64{1, nan, nan}}}}
	svg, table := string(b.SVG()), string(b.Table())
	if n := strings.Count(svg, `class="missing"`); n != 1 {
		t.Errorf("%d missing marks in the bar chart, want 1 (2020): %s", n, svg)
	}
	if strings.Contains(svg, `data-value="0"`) {
		t.Errorf("a missing value is drawn as a bar of 0: %s", svg)
	}
	if n := strings.Count(table, ">no data<"); n != 3 {
		t.Errorf("%d cells read no data, want 3: %s", n, table)
	}
	l := Line{Title: "t", Categories: []string{"2019", "2020"}, Missing: "no data",
		Series: []Series{{Name: "a", Values: []float64{2, nan}}}}
	if !strings.Contains(string(l.SVG()), `class="missing"`) {
		t.Errorf("the line chart does not mark 2020: %s", l.SVG())
	}
}
