package worldmap

import (
	"math"
	"slices"
	"strings"
	"testing"
)

func TestEqualEarth(t *testing.T) {
	// The projection's published extent: x ±2.7066 at the equator's ends,
	// y ±1.3173 at the poles (unit sphere).
	if x, y := equalEarth(180, 0); math.Abs(x-2.7066) > 1e-3 || y != 0 {
		t.Fatalf("(180, 0) -> %v, %v", x, y)
	}
	if _, y := equalEarth(0, 90); math.Abs(y-1.3173) > 1e-3 {
		t.Fatalf("(0, 90) -> y %v", y)
	}
}

func TestDraw(t *testing.T) {
	w, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	if len(w.rings) < 1000 {
		t.Fatalf("only %d rings", len(w.rings))
	}
	m := w.Draw(View{West: -180, East: 180, South: -58, North: 84, Width: 1000})
	if m.Width != 1000 || m.Height < 300 || m.Height > 600 {
		t.Fatalf("size %vx%v", m.Width, m.Height)
	}
	if !strings.HasPrefix(m.Path, "M") || strings.Count(m.Path, "Z") < 500 || len(m.Path) > 400_000 {
		t.Fatalf("path: %d bytes, %d rings", len(m.Path), strings.Count(m.Path, "Z"))
	}
	// Tokyo is right of centre and north of the middle; Santiago left and south.
	tx, ty := m.Project(35.69, 139.69)
	sx, sy := m.Project(-33.46, -70.65)
	if tx < 800 || tx > 950 || ty > m.Height/2 || sx > 400 || sy < m.Height/2 {
		t.Fatalf("Tokyo at %v,%v; Santiago at %v,%v", tx, ty, sx, sy)
	}
	eu := w.Draw(View{West: -12, East: 32, South: 34, North: 66, Width: 600})
	if len(eu.Path) >= len(m.Path) || !eu.Contains(48.85, 2.35) || eu.Contains(35.69, 139.69) {
		t.Fatal("the Europe view is not a part of the world")
	}
	if x, y := eu.Project(48.85, 2.35); x < 0 || x > eu.Width || y < 0 || y > eu.Height {
		t.Fatalf("Paris falls outside the Europe view: %v,%v", x, y)
	}
}

func TestPlace(t *testing.T) {
	// Three institutions at one point, two a pixel apart, one alone, and one
	// at the map's edge: afterwards no two overlap, all lie inside the map,
	// the lone one has not moved, and the clusters stay near their places.
	pts := [][2]float64{{100, 100}, {100, 100}, {100, 100}, {200, 50}, {201, 50}, {300, 150}, {0, 0}}
	const r, w, h = 15.0, 400.0, 300.0
	got := Place(pts, r, w, h)
	for i, p := range got {
		if p[0] < r || p[0] > w-r || p[1] < r || p[1] > h-r {
			t.Errorf("marker %d at %v sticks out of the map", i, p)
		}
		for j := i + 1; j < len(got); j++ {
			if d := math.Hypot(got[j][0]-p[0], got[j][1]-p[1]); d < 2*r {
				t.Errorf("markers %d and %d overlap: %.1f apart", i, j, d)
			}
		}
		if d := math.Hypot(p[0]-pts[i][0], p[1]-pts[i][1]); d > 3*r {
			t.Errorf("marker %d moved %.1f from its place", i, d)
		}
	}
	if got[5] != pts[5] {
		t.Errorf("a marker with room moved: %v", got[5])
	}
	if again := Place(pts, r, w, h); !slices.Equal(again, got) {
		t.Error("two placements of the same points differ")
	}
}

func TestOutline(t *testing.T) {
	w, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	m := w.Draw(View{West: -180, East: 180, South: -58, North: 84, Width: 1000})
	o := m.Outline(View{West: -8, East: 24, South: 42, North: 61})
	if !strings.HasPrefix(o, "M") || !strings.HasSuffix(o, "Z") || strings.Count(o, "L") != 63 {
		t.Fatalf("outline %q", o)
	}
}
