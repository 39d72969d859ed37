package report

import (
	"math"
	"strconv"

	"codeberg.org/go-pdf/fpdf"

	"partnerhub"
	"partnerhub/worldmap"
)

// worldMap draws the page of the map: the world as the site draws it
// (worldmap's outlines, parsed from their SVG path data and written as PDF
// vector paths), each partner institution a numbered marker (the number
// of its page), and the list of numbers.
func (d *doc) worldMap(partners []*partnerhub.PartnerView) {
	pdf := d.pdf
	d.heading("H1", d.p.T("report.map"))
	d.para(d.p.T("report.map_intro"), margin, textW, 5.4, bottom)
	top := pdf.GetY() + 3
	m := d.in.World
	if m != nil {
		scale := textW / m.Width
		d.artifact(func() {
			d.fillColor(landFill)
			d.drawColor([3]int{255, 255, 255})
			pdf.SetLineWidth(0.1)
			drawSVGPath(m.Path, func(x, y float64) { pdf.MoveTo(margin+x*scale, top+y*scale) },
				func(x, y float64) { pdf.LineTo(margin+x*scale, top+y*scale) }, pdf.ClosePath)
			pdf.DrawPath("FD")
		})
		// Markers, moved apart where institutions lie close together,
		// each joined by a line to its place.
		type marker struct {
			label string
			tier  partnerhub.Tier
		}
		var pts [][2]float64
		var ms []marker
		for n, p := range partners {
			for k, in := range p.Members {
				if in.Lat == nil || in.Lng == nil || !m.Contains(*in.Lat, *in.Lng) {
					continue
				}
				x, y := m.Project(*in.Lat, *in.Lng)
				label := strconv.Itoa(n + 1)
				if p.Kind == partnerhub.PartnerGroup {
					label += string(rune('a' + k))
				}
				pts = append(pts, [2]float64{x, y})
				ms = append(ms, marker{label: label, tier: p.TierIn(d.phaseOf())})
			}
		}
		const r = 2.6 // mm
		placed := worldmap.Place(pts, r/scale, m.Width, m.Height)
		d.artifact(func() {
			pdf.SetLineWidth(0.2)
			d.drawColor(ink)
			for i, p := range placed {
				if math.Hypot(p[0]-pts[i][0], p[1]-pts[i][1]) > 1 {
					pdf.Line(margin+pts[i][0]*scale, top+pts[i][1]*scale, margin+p[0]*scale, top+p[1]*scale)
				}
			}
			if h, ok := d.in.Index.Institution(d.in.Index.Catalog().Home.Institution); ok && h.Lat != nil && h.Lng != nil && m.Contains(*h.Lat, *h.Lng) {
				x, y := m.Project(*h.Lat, *h.Lng)
				cx, cy := margin+x*scale, top+y*scale
				var star []fpdf.PointType
				for i := range 10 {
					rr := 2.4
					if i%2 == 1 {
						rr = 1.0
					}
					a := -math.Pi/2 + float64(i)*math.Pi/5
					star = append(star, fpdf.PointType{X: cx + rr*math.Cos(a), Y: cy + rr*math.Sin(a)})
				}
				d.fillColor([3]int{200, 40, 40})
				pdf.Polygon(star, "F")
			}
			d.font(true, 6.5)
			for i, p := range placed {
				cx, cy := margin+p[0]*scale, top+p[1]*scale
				if ms[i].tier == partnerhub.Primary {
					d.fillColor(accent)
					pdf.SetTextColor(255, 255, 255)
				} else {
					d.fillColor([3]int{255, 255, 255})
					d.color(accent)
				}
				d.drawColor(accent)
				pdf.SetLineWidth(0.3)
				pdf.Circle(cx, cy, r, "FD")
				pdf.SetXY(cx-r, cy-r)
				pdf.CellFormat(2*r, 2*r, ms[i].label, "", 0, "CM", false, 0, "")
			}
		})
		pdf.SetXY(margin, top+m.Height*scale+3)
	}
	d.color(ink)
	d.font(false, 8.5)
	d.color(muted)
	d.para(d.p.T("report.map_legend"), margin, textW, 4.6, bottom)
	d.color(ink)

	// The key: number, partner, its members' places, in two columns.
	y0 := d.pdf.GetY() + 2
	colW := textW/2 - 3
	half := (len(partners) + 1) / 2
	for i, p := range partners {
		col := 0
		if i >= half {
			col = 1
		}
		x := margin + float64(col)*(colW+6)
		y := y0 + float64(i%half)*12
		if y > bottom-12 {
			continue
		}
		d.font(true, 8.5)
		pdf.SetXY(x, y)
		d.para(strconv.Itoa(i+1)+"  "+d.text(p.Name), x, colW, 4.4, y+4.4)
		var places string
		for k, in := range p.Members {
			if k > 0 {
				places += d.p.T("report.list_sep")
			}
			if p.Kind == partnerhub.PartnerGroup {
				places += strconv.Itoa(i+1) + string(rune('a'+k)) + " "
			}
			places += d.text(in.City)
			if places != "" && in.Country != "" {
				places += " "
			}
			places += in.Country
		}
		d.font(false, 7.5)
		d.color(muted)
		pdf.SetXY(x+5, y+4.4)
		d.para(places, x+5, colW-5, 3.6, y+11.6)
		d.color(ink)
	}
}

// drawSVGPath walks the path data worldmap writes (M x,y; l dx,dy with
// whole numbers; Z) and calls move, line and closePath in absolute units.
func drawSVGPath(path string, move, line func(x, y float64), closePath func()) {
	var x, y float64
	i := 0
	num := func() float64 {
		for i < len(path) && path[i] == ',' {
			i++
		}
		start := i
		if i < len(path) && (path[i] == '-' || path[i] == '+') {
			i++
		}
		for i < len(path) && (path[i] >= '0' && path[i] <= '9' || path[i] == '.') {
			i++
		}
		v, _ := strconv.ParseFloat(path[start:i], 64)
		return v
	}
	for i < len(path) {
		c := path[i]
		i++
		switch c {
		case 'M':
			x, y = num(), num()
			move(x, y)
		case 'L':
			x, y = num(), num()
			line(x, y)
		case 'l':
			x += num()
			y += num()
			line(x, y)
		case 'Z', 'z':
			closePath()
		}
	}
}
