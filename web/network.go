package web

import (
	"context"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"partnerhub"
	"partnerhub/worldmap"
)

// The network's own pages (issue 13): who partners with whom across the
// members, a map and a matrix of their partner institutions, and their
// statistics. They show only what each member has published (the store's
// NetworkService keeps Catalog.Public's rules) and nothing of a disabled
// member.
//
// A deployment with fewer than two enabled members has no network: every
// network page and API answers 404 there, as if it did not exist, since
// the network of one member would be that member's own portal again.
//
// Their pages are not kept in the snapshot's page cache: that cache is of
// this member's data version, and these pages change with every member's.
// The store caches the network itself by the data version of them all.

// networkOn reports whether the deployment has a network: the service and
// at least two enabled members.
func (s *Server) networkOn(ctx context.Context) bool {
	if s.deps.Portals != nil {
		return s.deps.Portals.IsNetwork() // the deployment's members, as last read
	}
	if s.deps.Network == nil {
		return false
	}
	n, err := s.deps.Network.NetworkMembers(ctx)
	return err == nil && n >= partnerhub.MinNetworkMembers
}

// network is the network, or 404 when the deployment has none.
func (s *Server) network(ctx context.Context) (*partnerhub.Network, error) {
	if s.deps.Network == nil {
		return nil, partnerhub.Errorf(partnerhub.ENotFound, "error.not_found")
	}
	n, err := s.deps.Network.Network(ctx)
	if err != nil {
		return nil, err
	}
	if len(n.Members) < partnerhub.MinNetworkMembers {
		return nil, partnerhub.Errorf(partnerhub.ENotFound, "error.not_found")
	}
	return n, nil
}

// networkHandler is a network page's handler.
type networkHandler func(r *http.Request, v *view, n *partnerhub.Network) (*page, error)

// networkPage serves a network page to anyone; a signed-in user gets the
// header of their session, and the same published facts as the public.
func (s *Server) networkPage(lang partnerhub.Lang, h networkHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v, ok := s.liveView(w, r, lang, "")
		if !ok {
			return
		}
		s.answer(w, r, v, func(_ http.ResponseWriter, r *http.Request, v *view) (*page, error) {
			n, err := s.network(r.Context())
			if err != nil {
				return nil, err
			}
			p, err := h(r, v, n)
			if p != nil && p.Parents == nil && p.Template != "network_index" {
				p.Parents = []crumb{{Label: v.P.T("netpages.nav"), Href: v.L() + "/network"}}
			}
			return p, err
		})
	})
}

// networkNames are the members by slug, for templates naming a link's member.
func networkNames(n *partnerhub.Network) map[string]partnerhub.NetworkMember {
	out := make(map[string]partnerhub.NetworkMember, len(n.Members))
	for _, m := range n.Members {
		out[m.Slug] = m
	}
	return out
}

type networkIndexData struct {
	N            *partnerhub.Network
	Partners     int // partners of all members
	Institutions int // institutions partnered with
	Shared       int // institutions more than one member partners with
}

func (s *Server) networkIndexPage(r *http.Request, v *view, n *partnerhub.Network) (*page, error) {
	if err := noParams(r); err != nil {
		return nil, err
	}
	d := &networkIndexData{N: n, Institutions: len(n.Institutions)}
	for _, m := range n.Members {
		d.Partners += m.Partners
	}
	for i := range n.Institutions {
		if n.Institutions[i].MemberCount() > 1 {
			d.Shared++
		}
	}
	return &page{Template: "network_index", Title: v.P.T("netpages.index.title"), Description: v.P.T("netpages.index.description"),
		Data: d, Parents: []crumb{}}, nil
}

type networkMemberData struct {
	M        *partnerhub.NetworkMember
	Partners []partnerhub.NetworkPartner
	Shared   []partnerhub.NetworkShared
	Names    map[string]partnerhub.NetworkMember
}

func (s *Server) networkMemberPage(r *http.Request, v *view, n *partnerhub.Network) (*page, error) {
	if err := noParams(r); err != nil {
		return nil, err
	}
	slug := r.PathValue("slug")
	m, ok := n.Member(slug)
	if !ok {
		return nil, partnerhub.Errorf(partnerhub.ENotFound, "netpages.error.member_not_found", slug)
	}
	name := mustText(v, m.Name)
	return &page{Template: "network_member", Title: name, Description: v.P.T("netpages.member.description", name),
		Data: &networkMemberData{M: m, Partners: n.Partners(slug), Shared: n.Shared(slug), Names: networkNames(n)}}, nil
}

type networkInstitutionData struct {
	I     *partnerhub.NetworkInstitution
	Count int
	Names map[string]partnerhub.NetworkMember
}

func (s *Server) networkInstitutionPage(r *http.Request, v *view, n *partnerhub.Network) (*page, error) {
	if err := noParams(r); err != nil {
		return nil, err
	}
	slug := r.PathValue("slug")
	in, ok := n.Institution(slug)
	if !ok {
		return nil, partnerhub.Errorf(partnerhub.ENotFound, "netpages.error.institution_not_found", slug)
	}
	name := mustText(v, in.Name)
	return &page{Template: "network_institution", Title: name, Description: v.P.T("netpages.institution.description", name, in.MemberCount()),
		Data: &networkInstitutionData{I: in, Count: in.MemberCount(), Names: networkNames(n)}}, nil
}

type networkMatrixData struct {
	M     *partnerhub.NetworkMatrix
	Names map[string]partnerhub.NetworkMember
}

func (s *Server) networkMatrixPage(r *http.Request, v *view, n *partnerhub.Network) (*page, error) {
	if err := noParams(r); err != nil {
		return nil, err
	}
	return &page{Template: "network_matrix", Title: v.P.T("netpages.matrix.title"), Description: v.P.T("netpages.matrix.description"),
		Data: &networkMatrixData{M: n.Matrix(), Names: networkNames(n)}}, nil
}

type networkStatsData struct {
	S     *partnerhub.NetworkStats
	Names map[string]partnerhub.NetworkMember
}

func (s *Server) networkStatsPage(r *http.Request, v *view, n *partnerhub.Network) (*page, error) {
	if err := noParams(r); err != nil {
		return nil, err
	}
	st, err := s.deps.Network.NetworkStats(r.Context())
	if err != nil {
		return nil, err
	}
	return &page{Template: "network_stats", Title: v.P.T("netpages.stats.title"), Description: v.P.T("netpages.stats.description"),
		Data: &networkStatsData{S: st, Names: networkNames(n)}}, nil
}

// The network's map: the regions of the partners' map (map.go), on which
// each partner institution of any member is one marker that says how many
// members partner there and links to the institution's page.

type networkMapEntry struct {
	Label string // the number of members
	I     *partnerhub.NetworkInstitution
}

type networkRegion struct {
	regionMapView
	List []networkMapEntry
}

// networkMapMax is the most institutions the network's map shows.
const networkMapMax = 300

type networkMapData struct {
	Total, Shown int // institutions in all, and on the map
	World        worldMapView
	Regions      []networkRegion
	Elsewhere    []networkMapEntry
}

func (s *Server) networkMapPage(r *http.Request, v *view, n *partnerhub.Network) (*page, error) {
	if err := noParams(r); err != nil {
		return nil, err
	}
	world, drawn, err := s.maps.get()
	if err != nil {
		return nil, err
	}
	regions := mapRegions()
	d := &networkMapData{Total: len(n.Institutions)}
	// A network of many members partners with thousands of institutions:
	// more markers than a map can show apart (and moving them apart costs
	// the square of their number). The map then shows the institutions
	// the most members share; every institution stays on its members'
	// pages and in the matrix.
	shown := make([]*partnerhub.NetworkInstitution, len(n.Institutions))
	for i := range n.Institutions {
		shown[i] = &n.Institutions[i]
	}
	if len(shown) > networkMapMax {
		counts := make(map[string]int, len(shown))
		for _, in := range shown {
			counts[in.Slug] = in.MemberCount()
		}
		slices.SortStableFunc(shown, func(a, b *partnerhub.NetworkInstitution) int { return counts[b.Slug] - counts[a.Slug] })
		shown = shown[:networkMapMax]
		slices.SortFunc(shown, func(a, b *partnerhub.NetworkInstitution) int { return strings.Compare(a.Slug, b.Slug) })
	}
	d.Shown = len(shown)
	for i, rg := range regions {
		d.Regions = append(d.Regions, networkRegion{regionMapView: regionMapView{Key: rg.key, Title: v.P.T("map.region." + rg.key),
			Width: drawn[i].Width, Height: drawn[i].Height, Path: drawn[i].Path, R: markerRadius}})
	}
	for _, in := range shown {
		count := in.MemberCount()
		e := networkMapEntry{Label: strconv.Itoa(count), I: in}
		ri := -1
		if in.Lat != nil && in.Lng != nil {
			for j, m := range drawn {
				if m.Contains(*in.Lat, *in.Lng) {
					ri = j
					break
				}
			}
		}
		if ri < 0 {
			d.Elsewhere = append(d.Elsewhere, e)
			continue
		}
		rg := &d.Regions[ri]
		x, y := drawn[ri].Project(*in.Lat, *in.Lng)
		// More members, the stronger the marker: "primary" is the map's
		// darker style, so that shared institutions stand out.
		style := "prospective"
		if count > 1 {
			style = "primary"
		}
		rg.Markers = append(rg.Markers, mapMarker{X: x, Y: y, AtX: x, AtY: y, Label: e.Label,
			// The accessible name starts with the number the marker shows.
			Name: e.Label + " " + v.P.T("netpages.map.marker", mustText(v, in.Name), count),
			Href: v.L() + "/network/institutions/" + in.Slug, Tier: style})
		rg.List = append(rg.List, e)
	}
	for i := range d.Regions {
		m := &d.Regions[i]
		pts := make([][2]float64, len(m.Markers))
		for j, mk := range m.Markers {
			pts[j] = [2]float64{mk.X, mk.Y}
		}
		placed := worldmap.Place(pts, m.R, m.Width, m.Height)
		for j := range m.Markers {
			mk := &m.Markers[j]
			mk.X, mk.Y = round1(placed[j][0]), round1(placed[j][1])
			mk.AtX, mk.AtY = round1(mk.AtX), round1(mk.AtY)
			mk.Moved = math.Hypot(mk.X-mk.AtX, mk.Y-mk.AtY) > 1
		}
	}
	d.World = worldMapView{Width: world.Width, Height: world.Height, Path: world.Path}
	for i, rg := range regions {
		x, y := world.Project(rg.view.North, rg.view.West)
		d.World.Frames = append(d.World.Frames, mapFrame{Key: rg.key, Title: d.Regions[i].Title, Path: world.Outline(rg.view),
			LabelX: round1(x), LabelY: round1(y - 8)})
	}
	return &page{Template: "network_map", Title: v.P.T("netpages.map.title"), Description: v.P.T("netpages.map.description"), Data: d}, nil
}
