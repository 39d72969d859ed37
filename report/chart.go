package report

import (
	"math"
	"strings"
)

// niceMax rounds a chart's top up to 1, 2 or 5 times a power of ten, so
// that its gridlines fall on round numbers.
func niceMax(v float64) float64 {
	if v <= 5 {
		return 5
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if v <= m*p {
			return m * p
		}
	}
	return 10 * p
}

// seriesColors tell the series apart; the legend names them.
var seriesColors = [][3]int{accent, accent2, {160, 120, 40}, {120, 160, 90}, {150, 90, 140}}

// bars draws grouped bars, one group per label and one bar per series, in
// the box x, y, w, h with vector paths. The figures are written above the
// bars, and a tagged line below states them, so that the chart's data is
// text as well as drawing.
func (d *doc) bars(labels []string, series [][]float64, names []string, x, y, w, h float64) {
	pdf := d.pdf
	top := 0.0
	for _, s := range series {
		for _, v := range s {
			top = math.Max(top, v)
		}
	}
	top = niceMax(top)
	const axisW, legendH, labelH = 12.0, 6.0, 6.0
	plotX, plotY := x+axisW, y+legendH
	plotW, plotH := w-axisW, h-legendH-labelH-6
	groupW := plotW / float64(len(labels))
	barW := groupW * 0.7 / float64(len(series))
	d.artifact(func() {
		pdf.SetLineWidth(0.15)
		d.drawColor(rule)
		d.font(false, 7.5)
		d.color(muted)
		for i := 0; i <= 5; i++ {
			gy := plotY + plotH - plotH*float64(i)/5
			pdf.Line(plotX, gy, plotX+plotW, gy)
			pdf.SetXY(x, gy-2)
			pdf.CellFormat(axisW-1.5, 4, d.p.Num(int(top*float64(i)/5)), "", 0, "R", false, 0, "")
		}
		for si, s := range series {
			c := seriesColors[si%len(seriesColors)]
			d.fillColor(c)
			for gi, v := range s {
				bh := plotH * v / top
				bx := plotX + float64(gi)*groupW + groupW*0.15 + float64(si)*barW
				pdf.Rect(bx, plotY+plotH-bh, barW, bh, "F")
				if v > 0 {
					pdf.SetXY(bx-2, plotY+plotH-bh-3.5)
					pdf.CellFormat(barW+4, 3.5, d.p.Num(int(v)), "", 0, "C", false, 0, "")
				}
			}
		}
		d.drawColor(ink)
		pdf.SetLineWidth(0.3)
		pdf.Line(plotX, plotY+plotH, plotX+plotW, plotY+plotH)
		d.color(ink)
		for gi, l := range labels {
			pdf.SetXY(plotX+float64(gi)*groupW, plotY+plotH+1)
			pdf.CellFormat(groupW, labelH-2, l, "", 0, "C", false, 0, "")
		}
		// Legend, top right.
		lx := x + w
		for si := len(names) - 1; si >= 0; si-- {
			tw := pdf.GetStringWidth(names[si])
			lx -= tw + 8
			d.fillColor(seriesColors[si%len(seriesColors)])
			pdf.Rect(lx, y+0.8, 3, 3, "F")
			pdf.SetXY(lx+4, y)
			pdf.CellFormat(tw+2, 4.5, names[si], "", 0, "L", false, 0, "")
		}
	})
	// The figures as text.
	last := len(labels) - 1
	var parts []string
	for si, n := range names {
		parts = append(parts, n+" "+d.p.Num(int(series[si][last])))
	}
	d.font(false, 8.5)
	d.color(muted)
	d.pdf.SetXY(x, plotY+plotH+labelH)
	d.para(d.p.T("report.chart_caption", labels[0], labels[last], labels[last], strings.Join(parts, d.p.T("report.list_sep"))),
		x, w, 4.5, y+h+6)
	d.color(ink)
	d.font(false, 10)
}
