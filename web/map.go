package web

import (
	"math"
	"net/http"
	"strconv"
	"sync"

	"partnerhub"
	"partnerhub/worldmap"
)

// The map page: a map of the world that frames a few regions, and a closer
// map of each region on which every partner institution is a numbered
// marker, keyed to a list of the partners by region. Numbers, not colours,
// tell the partners apart (sixteen colours cannot be told apart, and not by
// everyone), and they are written on the map, since hovering is impossible
// on a phone. Each marker links to its partner and is large enough to tap
// on the narrowest screen the page supports.

// mapRegion is a part of the world that gets a map of its own.
type mapRegion struct {
	key  string // its i18n key is "map.region." + key; its figure's id "map-" + key
	view worldmap.View
}

// mapRegions lists the regions, drawn in this order. Together they hold
// every built-in partner institution (TestEveryPartnerIsOnTheMap); one
// outside them all is listed under "elsewhere", never lost.
func mapRegions() []mapRegion {
	return []mapRegion{
		{"europe", worldmap.View{West: -9, East: 24, South: 42, North: 61, Width: regionWidth}},
		{"asia", worldmap.View{West: 88, East: 156, South: -42, North: 46, Width: regionWidth}},
		{"americas", worldmap.View{West: -128, East: -60, South: -57, North: 47, Width: regionWidth}},
	}
}

var worldView = worldmap.View{West: -180, East: 180, South: -58, North: 84, Width: 1000}

const (
	// regionWidth is a regional map's width in its own units (its viewBox).
	regionWidth = 400
	// narrowestMap is the narrowest a regional map is ever drawn, in CSS
	// pixels: a 360 px phone less the page's side padding (1.25rem each,
	// site.css .wrap); the grid of maps (site.css "map") never goes below it.
	narrowestMap = 320
	// markerRadius, in map units, makes a marker 25.6 CSS px across on the
	// narrowest map: above the 24 px that WCAG 2.2 (2.5.8) asks of a target.
	markerRadius = 16
)

// mapMarker is one partner institution on a regional map.
type mapMarker struct {
	X, Y     float64 // where the marker is drawn
	AtX, AtY float64 // where the institution is; a line joins the two when they differ
	Moved    bool
	Label    string // "3", or "8b" for the second member of group 8
	Name     string // the institution, and its group, for the accessible name
	Href     string
	Tier     string // "primary", "prospective" or "": the marker's style
}

type mapHome struct {
	X, Y  float64
	Label string
}

type regionMapView struct {
	Key, Title    string
	Width, Height float64
	Path          string
	R             float64 // the markers' radius
	Markers       []mapMarker
	Home          *mapHome
	Entries       []mapEntry // the partners with a member in the region
}

// mapFrame is a region's outline on the world map, linking to its map.
type mapFrame struct {
	Key, Title     string
	Path           string
	LabelX, LabelY float64
}

type worldMapView struct {
	Width, Height float64
	Path          string
	Frames        []mapFrame
	Home          *mapHome
}

// mapEntry is a partner in the list of one region.
type mapEntry struct {
	Label   string // its number
	P       *partnerhub.PartnerView
	Tier    string
	Members []mapMember // a group's members in this region
}

type mapMember struct {
	Label, Name string
}

type mapData struct {
	World   worldMapView
	Regions []regionMapView
	// Elsewhere lists the partners with a member that no region holds,
	// or that has no place: it is empty for the built-in data.
	Elsewhere []mapEntry
	Home      string
}

// mapCache draws the outlines once, on first use: the world atlas is large
// and most requests never need it.
type mapCache struct {
	once    sync.Once
	err     error
	world   *worldmap.Map
	regions []*worldmap.Map // as mapRegions()
}

func (m *mapCache) get() (*worldmap.Map, []*worldmap.Map, error) {
	m.once.Do(func() {
		w, err := worldmap.Load()
		if err != nil {
			m.err = err
			return
		}
		m.world = w.Draw(worldView)
		for _, r := range mapRegions() {
			m.regions = append(m.regions, w.Draw(r.view))
		}
	})
	return m.world, m.regions, m.err
}

// memberLabel numbers partners from 1 in the order of the list, and letters
// the members of a group (8a, 8b…) so that each institution has a label of
// its own.
func memberLabel(number int, p *partnerhub.PartnerView, member int) string {
	s := strconv.Itoa(number)
	if p.Kind == partnerhub.PartnerGroup {
		s += string(rune('a' + member))
	}
	return s
}

func tierClass(p *partnerhub.PartnerView) string {
	if p.Tier == nil {
		return ""
	}
	return string(*p.Tier)
}

func (s *Server) mapPage(r *http.Request, v *view) (*page, error) {
	world, drawn, err := s.maps.get()
	if err != nil {
		return nil, err
	}
	regions := mapRegions()
	partners := v.X.Partners(partnerhub.PartnerFilter{})

	var home *partnerhub.Institution
	if h, ok := v.X.Institution(v.X.Catalog().Home.Institution); ok && h.Lat != nil && h.Lng != nil {
		home = h
	}
	homeOn := func(m *worldmap.Map) *mapHome {
		if home == nil || !m.Contains(*home.Lat, *home.Lng) {
			return nil
		}
		x, y := m.Project(*home.Lat, *home.Lng)
		return &mapHome{X: x, Y: y, Label: mustText(v, home.Name)}
	}

	// regionOf is the first region whose map holds the institution, or -1.
	regionOf := func(in partnerhub.Institution) int {
		if in.Lat == nil || in.Lng == nil {
			return -1
		}
		for i, m := range drawn {
			if m.Contains(*in.Lat, *in.Lng) {
				return i
			}
		}
		return -1
	}

	maps := make([]regionMapView, len(regions))
	var elsewhere []mapEntry
	for i, rg := range regions {
		title := v.P.T("map.region." + rg.key)
		maps[i] = regionMapView{Key: rg.key, Title: title, Width: drawn[i].Width, Height: drawn[i].Height,
			Path: drawn[i].Path, R: markerRadius, Home: homeOn(drawn[i])}
	}

	for n, p := range partners {
		number := n + 1
		href := v.L() + "/partners/" + p.Slug
		// A partner is listed once in each region that holds any of its
		// members; a group's entry names the members there.
		entries := map[int]*mapEntry{}
		entry := func(ri int) *mapEntry {
			if entries[ri] == nil {
				entries[ri] = &mapEntry{Label: strconv.Itoa(number), P: p, Tier: tierClass(p)}
			}
			return entries[ri]
		}
		for k, in := range p.Members {
			ri := regionOf(in)
			e := entry(ri)
			label := memberLabel(number, p, k)
			name := mustText(v, in.Name)
			if p.Kind == partnerhub.PartnerGroup {
				e.Members = append(e.Members, mapMember{Label: label, Name: name})
				name += v.P.T("label.paren", mustText(v, p.Name))
			}
			if ri < 0 {
				continue
			}
			x, y := drawn[ri].Project(*in.Lat, *in.Lng)
			maps[ri].Markers = append(maps[ri].Markers, mapMarker{X: x, Y: y, AtX: x, AtY: y,
				Label: label, Name: label + " " + name, Href: href, Tier: tierClass(p)})
		}
		if len(p.Members) == 0 {
			entry(-1)
		}
		for ri := range maps {
			if e := entries[ri]; e != nil {
				maps[ri].Entries = append(maps[ri].Entries, *e)
			}
		}
		if e := entries[-1]; e != nil {
			elsewhere = append(elsewhere, *e)
		}
	}

	// Markers close together are moved apart, each joined to its place by
	// a line; the star of the home institution takes part so that no
	// marker hides it.
	for i := range maps {
		m := &maps[i]
		pts := make([][2]float64, 0, len(m.Markers)+1)
		for _, mk := range m.Markers {
			pts = append(pts, [2]float64{mk.X, mk.Y})
		}
		if m.Home != nil {
			pts = append(pts, [2]float64{m.Home.X, m.Home.Y})
		}
		placed := worldmap.Place(pts, m.R, m.Width, m.Height)
		for j := range m.Markers {
			mk := &m.Markers[j]
			mk.X, mk.Y = round1(placed[j][0]), round1(placed[j][1])
			mk.AtX, mk.AtY = round1(mk.AtX), round1(mk.AtY)
			mk.Moved = math.Hypot(mk.X-mk.AtX, mk.Y-mk.AtY) > 1
		}
		if m.Home != nil {
			m.Home.X, m.Home.Y = round1(placed[len(placed)-1][0]), round1(placed[len(placed)-1][1])
		}
	}

	wv := worldMapView{Width: world.Width, Height: world.Height, Path: world.Path, Home: homeOn(world)}
	for i, rg := range regions {
		// The label sits above the frame's north-west corner.
		x, y := world.Project(rg.view.North, rg.view.West)
		wv.Frames = append(wv.Frames, mapFrame{Key: rg.key, Title: maps[i].Title, Path: world.Outline(rg.view),
			LabelX: round1(x), LabelY: round1(y - 8)})
	}
	d := &mapData{World: wv, Regions: maps, Elsewhere: elsewhere}
	if home != nil {
		d.Home = mustText(v, home.Name)
	}
	return &page{Template: "map", Title: v.P.T("page.map.title"), Description: v.P.T("page.map.description"), Data: d}, nil
}

// round1 keeps a tenth of a pixel: finer adds bytes to the page, not detail.
func round1(f float64) float64 { return math.Round(f*10) / 10 }
