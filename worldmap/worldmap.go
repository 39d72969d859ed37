// Package worldmap draws the world as SVG path data from the world-atlas
// 50m TopoJSON (Natural Earth, public domain; vendored from npm with its
// licence), in the Equal Earth projection. Maps are drawn on the server, so
// they need no tile server, work without JavaScript and print.
package worldmap

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
)

//go:embed world-atlas/countries-50m.json
var countries50m []byte

// World holds the country outlines in longitude and latitude.
type World struct {
	rings [][][2]float64 // each ring: points as [lng, lat]
	boxes [][4]float64   // each ring's bounds: west, south, east, north
}

type topology struct {
	Transform struct {
		Scale     [2]float64 `json:"scale"`
		Translate [2]float64 `json:"translate"`
	} `json:"transform"`
	Arcs    [][][2]float64 `json:"arcs"`
	Objects struct {
		Countries struct {
			Geometries []struct {
				Type string          `json:"type"`
				Arcs json.RawMessage `json:"arcs"`
			} `json:"geometries"`
		} `json:"countries"`
	} `json:"objects"`
}

// Load decodes the embedded topology. It runs once per process (the web
// server draws its maps on first use), but what it allocates at once sets
// the process's peak memory: the topology is decoded from the embedded
// bytes without a decoder's copy of them, and its arcs turned into degrees
// in place.
func Load() (*World, error) {
	var t topology
	if err := json.Unmarshal(countries50m, &t); err != nil {
		return nil, fmt.Errorf("world atlas: %w", err)
	}
	// Arcs are quantized and delta-encoded: decode them to degrees once.
	arcs := t.Arcs
	sx, sy := t.Transform.Scale[0], t.Transform.Scale[1]
	tx, ty := t.Transform.Translate[0], t.Transform.Translate[1]
	for _, pts := range arcs {
		var x, y float64
		for j, p := range pts {
			x, y = x+p[0], y+p[1]
			pts[j] = [2]float64{x*sx + tx, y*sy + ty}
		}
	}
	w := &World{}
	for _, g := range t.Objects.Countries.Geometries {
		var polys [][][]int
		switch g.Type {
		case "Polygon":
			var p [][]int
			if err := json.Unmarshal(g.Arcs, &p); err != nil {
				return nil, err
			}
			polys = [][][]int{p}
		case "MultiPolygon":
			if err := json.Unmarshal(g.Arcs, &polys); err != nil {
				return nil, err
			}
		default:
			continue
		}
		for _, poly := range polys {
			for _, ring := range poly {
				w.addRing(stitch(arcs, ring))
			}
		}
	}
	return w, nil
}

// stitch joins a ring's arcs; a negative index ~i is arc i reversed, and
// each arc after the first repeats the previous one's last point.
func stitch(arcs [][][2]float64, ring []int) [][2]float64 {
	n := 0
	for _, i := range ring {
		if i < 0 {
			i = ^i
		}
		n += len(arcs[i])
	}
	out := make([][2]float64, 0, n) // at most: one point less per joint
	for k, i := range ring {
		if i >= 0 {
			a := arcs[i]
			if k > 0 && len(a) > 0 {
				a = a[1:]
			}
			out = append(out, a...)
			continue
		}
		// Reversed, appended without a reversed copy of the arc.
		src := arcs[^i]
		last := len(src) - 1
		if k > 0 {
			last--
		}
		for j := last; j >= 0; j-- {
			out = append(out, src[j])
		}
	}
	return out
}

func (w *World) addRing(r [][2]float64) {
	if len(r) < 3 {
		return
	}
	b := [4]float64{math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)}
	for _, p := range r {
		b[0], b[1] = math.Min(b[0], p[0]), math.Min(b[1], p[1])
		b[2], b[3] = math.Max(b[2], p[0]), math.Max(b[3], p[1])
	}
	w.rings = append(w.rings, r)
	w.boxes = append(w.boxes, b)
}

// equalEarth projects longitude and latitude in degrees to the unit Equal
// Earth plane (y grows northwards). Šavrič, Patterson and Jenny, 2018.
func equalEarth(lng, lat float64) (x, y float64) {
	const a1, a2, a3, a4 = 1.340264, -0.081106, 0.000893, 0.003796
	m := math.Sqrt(3) / 2
	l, p := lng*math.Pi/180, lat*math.Pi/180
	th := math.Asin(m * math.Sin(p))
	t2 := th * th
	t6 := t2 * t2 * t2
	x = 2 * math.Sqrt(3) * l * math.Cos(th) / (3 * (9*a4*t6*t2 + 7*a3*t6 + 3*a2*t2 + a1))
	y = th * (a4*t6*t2 + a3*t6 + a2*t2 + a1)
	return x, y
}

// View is a rectangle of the world, in degrees, drawn Width pixels wide.
type View struct {
	West, South, East, North float64
	Width                    float64
}

// Map is a view drawn: its size, the outlines as SVG path data, and the
// projection of the view for placing points on it.
type Map struct {
	Width, Height float64
	Path          string
	view          View
	minX, maxY    float64
	scale         float64
}

// Draw renders the view. Points that round to the same pixel as the
// previous one are dropped, which keeps a world map small without visible loss.
func (w *World) Draw(v View) *Map {
	m := &Map{view: v, minX: math.Inf(1), maxY: math.Inf(-1)}
	maxX, minY := math.Inf(-1), math.Inf(1)
	// The projected bounds of the view: sample its edges, since parallels
	// and meridians are curves in Equal Earth.
	for i := 0; i <= 32; i++ {
		f := float64(i) / 32
		for _, p := range [][2]float64{
			{v.West + f*(v.East-v.West), v.South}, {v.West + f*(v.East-v.West), v.North},
			{v.West, v.South + f*(v.North-v.South)}, {v.East, v.South + f*(v.North-v.South)},
		} {
			x, y := equalEarth(p[0], p[1])
			m.minX, maxX = math.Min(m.minX, x), math.Max(maxX, x)
			minY, m.maxY = math.Min(minY, y), math.Max(m.maxY, y)
		}
	}
	m.scale = v.Width / (maxX - m.minX)
	m.Width = math.Round(v.Width)
	m.Height = math.Round((m.maxY - minY) * m.scale)

	var b []byte
	for i, r := range w.rings {
		box := w.boxes[i]
		if box[2] < v.West || box[0] > v.East || box[3] < v.South || box[1] > v.North {
			continue
		}
		// Whole pixels, written relative to the previous point: a third of
		// the size of absolute decimals, and rounding never drifts because
		// each step is the difference of two rounded positions.
		var lx, ly int
		n := 0
		start := len(b)
		for j, p := range r {
			fx, fy := m.Project(p[1], p[0])
			x, y := int(math.Round(fx)), int(math.Round(fy))
			if j > 0 && x == lx && y == ly {
				continue
			}
			// A ring that runs along the antimeridian steps from 180° to
			// -180°: start a new subpath rather than draw a line across the world.
			jump := j > 0 && math.Abs(p[0]-r[j-1][0]) > 180
			if n == 0 || jump {
				b = append(b, 'M')
				b = strconv.AppendInt(b, int64(x), 10)
				b = append(b, ',')
				b = strconv.AppendInt(b, int64(y), 10)
			} else {
				b = append(b, 'l')
				b = strconv.AppendInt(b, int64(x-lx), 10)
				if y-ly >= 0 {
					b = append(b, ',')
				}
				b = strconv.AppendInt(b, int64(y-ly), 10)
			}
			lx, ly = x, y
			n++
		}
		if n < 3 {
			b = b[:start] // smaller than a pixel at this scale
			continue
		}
		b = append(b, 'Z')
	}
	m.Path = string(b)
	return m
}

// Project places a latitude and longitude on the map, in pixels.
func (m *Map) Project(lat, lng float64) (x, y float64) {
	px, py := equalEarth(lng, lat)
	return (px - m.minX) * m.scale, (m.maxY - py) * m.scale
}

// Contains reports whether a point lies inside the view.
func (m *Map) Contains(lat, lng float64) bool {
	return lat >= m.view.South && lat <= m.view.North && lng >= m.view.West && lng <= m.view.East
}
