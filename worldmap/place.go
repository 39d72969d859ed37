package worldmap

import (
	"math"
	"strconv"
)

// Place moves markers of radius r, centred on pts (in pixels of a map w×h),
// until no two overlap and each lies wholly inside the map, moving each as
// little as it can. Institutions in one city, or a few kilometres apart,
// project to nearly the same pixel; their markers must stay apart to be read
// and tapped, so the page draws a line from each moved marker back to its
// place. Markers at exactly one place start on a small circle around it, in
// their given order, so the result does not depend on floating-point ties.
// The result is deterministic: the same input gives the same drawing.
func Place(pts [][2]float64, r, w, h float64) [][2]float64 {
	out := make([][2]float64, len(pts))
	copy(out, pts)
	const gap = 2.0 // between two markers, so their outlines do not touch
	minD := 2*r + gap
	// Markers on one spot: fan them out around it first, since pushing
	// apart needs a direction and two markers on one point have none.
	for i := range out {
		var same []int
		for j := i; j < len(out); j++ {
			if pts[j] == pts[i] {
				same = append(same, j)
			}
		}
		if len(same) < 2 || same[0] != i || out[i] != pts[i] {
			continue
		}
		for k, j := range same {
			a := 2*math.Pi*float64(k)/float64(len(same)) - math.Pi/2
			out[j][0] += minD / 2 * math.Cos(a)
			out[j][1] += minD / 2 * math.Sin(a)
		}
	}
	clamp := func(p *[2]float64) {
		p[0] = math.Min(math.Max(p[0], r+1), w-r-1)
		p[1] = math.Min(math.Max(p[1], r+1), h-r-1)
	}
	for i := range out {
		clamp(&out[i])
	}
	// Push overlapping pairs apart, half each, until none overlap. A few
	// hundred rounds settle any cluster a partnership map has.
	for range 500 {
		moved := false
		for i := range out {
			for j := i + 1; j < len(out); j++ {
				dx, dy := out[j][0]-out[i][0], out[j][1]-out[i][1]
				d := math.Hypot(dx, dy)
				if d >= minD-1e-9 {
					continue
				}
				if d < 1e-9 { // pushed onto each other: separate sideways
					dx, dy, d = 1, 0, 1
				}
				push := (minD - d) / 2
				out[i][0] -= dx / d * push
				out[i][1] -= dy / d * push
				out[j][0] += dx / d * push
				out[j][1] += dy / d * push
				clamp(&out[i])
				clamp(&out[j])
				moved = true
			}
		}
		if !moved {
			break
		}
	}
	return out
}

// Outline is the edge of view v as drawn on m, as SVG path data: on a map of
// the world, it frames the part that a closer map shows. Its sides are
// curves in Equal Earth, so they are sampled.
func (m *Map) Outline(v View) string {
	const n = 16
	var b []byte
	add := func(lng, lat float64) {
		x, y := m.Project(lat, lng)
		if len(b) == 0 {
			b = append(b, 'M')
		} else {
			b = append(b, 'L')
		}
		b = strconv.AppendFloat(b, math.Round(x*10)/10, 'f', -1, 64)
		b = append(b, ',')
		b = strconv.AppendFloat(b, math.Round(y*10)/10, 'f', -1, 64)
	}
	for i := 0; i <= n; i++ { // north edge, west to east
		add(v.West+(v.East-v.West)*float64(i)/n, v.North)
	}
	for i := 1; i <= n; i++ { // east edge, north to south
		add(v.East, v.North-(v.North-v.South)*float64(i)/n)
	}
	for i := 1; i <= n; i++ { // south edge, east to west
		add(v.East-(v.East-v.West)*float64(i)/n, v.South)
	}
	for i := 1; i < n; i++ { // west edge, south to north
		add(v.West, v.South+(v.North-v.South)*float64(i)/n)
	}
	return string(append(b, 'Z'))
}
