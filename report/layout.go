package report

import (
	_ "embed"
	"strconv"
	"strings"
	"unicode"

	"codeberg.org/go-pdf/fpdf"

	"partnerhub"
)

// The fonts are compiled in: a report needs no file beside the binary.
// fpdf parses a font for each document it is added to (it has no way to
// share a parsed font between documents); bench/report_test.go measures
// what that costs.
var (
	//go:embed fonts/BIZUDPGothic_400Regular.ttf
	regularTTF []byte
	//go:embed fonts/BIZUDPGothic_700Bold.ttf
	boldTTF []byte
)

const (
	family = "bizud"
	pageW  = 210.0 // A4, mm
	pageH  = 297.0
	margin = 18.0
	textW  = pageW - 2*margin
	bottom = pageH - 20 // content stops here; the page number sits below
)

// Colours (RGB) of the report: the site's dark blue for headings and the
// primary tier, a lighter blue for the prospective tier, greys for lines.
var (
	ink      = [3]int{33, 37, 41}
	accent   = [3]int{0, 62, 116}
	accent2  = [3]int{90, 150, 200}
	muted    = [3]int{100, 106, 112}
	rule     = [3]int{200, 204, 208}
	landFill = [3]int{225, 229, 233}
)

// elem is a structure element: a tagged heading or paragraph, marked in
// its page's content by its MCID.
type elem struct {
	typ  string // H1, H2, P
	page int
	mcid int
}

// doc is a report being written.
type doc struct {
	pdf   *fpdf.Fpdf
	in    *Input
	p     Printer
	lang  partnerhub.Lang
	next  map[int]int // the next MCID of each page
	elems []elem
}

func (d *doc) color(c [3]int)     { d.pdf.SetTextColor(c[0], c[1], c[2]) }
func (d *doc) drawColor(c [3]int) { d.pdf.SetDrawColor(c[0], c[1], c[2]) }
func (d *doc) fillColor(c [3]int) { d.pdf.SetFillColor(c[0], c[1], c[2]) }

func (d *doc) font(bold bool, size float64) {
	style := ""
	if bold {
		style = "B"
	}
	d.pdf.SetFont(family, style, size)
}

// tagged wraps what fn draws in marked content of structure type typ, so
// that the structure tree (tagged.go) can point at it.
func (d *doc) tagged(typ string, fn func()) {
	page := d.pdf.PageNo()
	id := d.next[page]
	d.next[page] = id + 1
	d.pdf.RawWriteStr("/" + typ + " <</MCID " + strconv.Itoa(id) + ">> BDC")
	fn()
	d.pdf.RawWriteStr("EMC")
	d.elems = append(d.elems, elem{typ: typ, page: page, mcid: id})
}

// artifact wraps drawing that is not content (rules, chart lines, page
// numbers) so that assistive technology skips it.
func (d *doc) artifact(fn func()) {
	d.pdf.RawWriteStr("/Artifact BMC")
	fn()
	d.pdf.RawWriteStr("EMC")
}

// wrap breaks s into lines no wider than w at the current font: at spaces
// and between Japanese characters, never inside a Latin word, and not
// before closing punctuation or after opening (禁則).
func (d *doc) wrap(s string, w float64) []string {
	var out []string
	for _, para := range strings.Split(s, "\n") {
		rs := []rune(para)
		for len(rs) > 0 {
			// fpdf does not kern: a line is as wide as its characters.
			n, width := 0, 0.0
			for n < len(rs) {
				width += d.pdf.GetStringWidth(string(rs[n]))
				if width > w {
					break
				}
				n++
			}
			if n == 0 {
				n = 1
			}
			if n < len(rs) {
				for k := n; k > n/3; k-- {
					if canBreak(rs[k-1], rs[k]) {
						n = k
						break
					}
				}
			}
			out = append(out, strings.TrimSpace(string(rs[:n])))
			rs = []rune(strings.TrimLeftFunc(string(rs[n:]), unicode.IsSpace))
		}
	}
	return out
}

// canBreak reports whether a line may end between a and b.
func canBreak(a, b rune) bool {
	switch {
	case unicode.IsSpace(a) || unicode.IsSpace(b):
		return true
	case strings.ContainsRune("、。，．）」』】〕・ー！？：；", b) || strings.ContainsRune("（「『【〔", a):
		return false
	case latin(a) && latin(b):
		return false
	}
	return true
}

// latin: a character of the scripts that break only at spaces.
func latin(r rune) bool { return r < 0x2E80 }

// para writes a tagged paragraph at the current position, lines of height
// lh, and no lower than limit: what does not fit ends with an ellipsis.
// It returns the y below it.
func (d *doc) para(s string, x, w, lh, limit float64) float64 {
	lines := d.wrap(s, w)
	y := d.pdf.GetY()
	if s == "" {
		return y
	}
	d.tagged("P", func() {
		for i, l := range lines {
			if y+lh > limit {
				break
			}
			if i < len(lines)-1 && y+2*lh > limit {
				l = strings.TrimRight(l, " ") + "…"
			}
			d.pdf.SetXY(x, y)
			d.pdf.CellFormat(w, lh, l, "", 0, "L", false, 0, "")
			y += lh
		}
	})
	d.pdf.SetXY(x, y)
	return y
}

// heading writes a tagged heading: H1 opens a page, H2 a part of it.
func (d *doc) heading(typ, s string) {
	size, gap := 18.0, 4.0
	if typ == "H2" {
		size, gap = 12.5, 2.0
	}
	if typ == "H2" {
		d.pdf.SetY(d.pdf.GetY() + 3)
	}
	d.font(true, size)
	d.color(accent)
	y := d.pdf.GetY()
	d.tagged(typ, func() {
		d.pdf.SetXY(margin, y)
		d.pdf.CellFormat(textW, size*0.5, s, "", 0, "L", false, 0, "")
	})
	y += size*0.5 + 1
	if typ == "H1" {
		d.artifact(func() {
			d.drawColor(accent)
			d.pdf.SetLineWidth(0.6)
			d.pdf.Line(margin, y, pageW-margin, y)
		})
		y += 2
	}
	d.pdf.SetXY(margin, y+gap)
	d.color(ink)
	d.font(false, 10)
}

// label writes a short tagged line in grey, a small heading of a list.
func (d *doc) label(s string) {
	d.pdf.SetY(d.pdf.GetY() + 1.5)
	d.font(true, 9.5)
	d.color(muted)
	d.para(s, margin, textW, 5, bottom)
	d.color(ink)
	d.font(false, 10)
}

// text picks a Text's language; the other language stands in when it is
// missing.
func (d *doc) text(t partnerhub.Text) string {
	s, _ := t.In(d.lang)
	return s
}

// list writes items as tagged lines with a bullet, while they fit above
// limit; the rest are counted in a last line.
func (d *doc) list(items []string, lh, limit float64) {
	for i, it := range items {
		y := d.pdf.GetY()
		lines := len(d.wrap(it, textW-5))
		if y+float64(lines)*lh > limit || (i < len(items)-1 && y+float64(lines+1)*lh > limit) {
			d.para(d.p.T("report.more", len(items)-i), margin+5, textW-5, lh, limit+lh)
			return
		}
		d.artifact(func() {
			d.fillColor(accent2)
			d.pdf.Circle(margin+1.5, y+lh/2, 0.8, "F")
		})
		d.para(it, margin+5, textW-5, lh, limit)
	}
}
