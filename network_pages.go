package partnerhub

import (
	"cmp"
	"context"
	"slices"
)

// The network's own pages: who partners with whom across the members,
// from what each member has published (Catalog.Public's rules: no
// deleted partner, unit or institution, no draft activity), and nothing of
// a disabled member.

// NetworkService answers the network's pages. Every answer leaves out
// disabled members and what the public of a member would not see.
type NetworkService interface {
	// Network is the partnerships of every enabled member, by institution.
	Network(ctx context.Context) (*Network, error)
	// NetworkStats is mobility and activity across the enabled members.
	NetworkStats(ctx context.Context) (*NetworkStats, error)
	// NetworkMembers counts the enabled members: the network's pages
	// exist only when there are at least two.
	NetworkMembers(ctx context.Context) (int, error)
}

// MinNetworkMembers is how many enabled members a deployment needs before
// it has network pages: with one, the network would be that member again.
const MinNetworkMembers = 2

// Network is who partners with whom.
type Network struct {
	// Version is the data version it was read at.
	Version int64           `json:"-"`
	Members []NetworkMember `json:"members"`
	// Institutions are every institution a member partners with (as a
	// partner or a group's member), by slug.
	Institutions []NetworkInstitution `json:"institutions"`
}

// NetworkMember is an enabled member as the network shows it.
type NetworkMember struct {
	Slug            string `json:"slug"`
	Institution     string `json:"institution"`
	Name            Text   `json:"name"`
	Programme       Text   `json:"programme"`
	ShareStatistics bool   `json:"share_statistics"`
	Partners        int    `json:"partners"` // how many partners it has
}

// NetworkInstitution is an institution and the members that partner with it.
type NetworkInstitution struct {
	Slug    string   `json:"slug"`
	Name    Text     `json:"name"`
	Acronym string   `json:"acronym"`
	Country string   `json:"country"`
	City    Text     `json:"city"`
	Lat     *float64 `json:"lat"`
	Lng     *float64 `json:"lng"`
	// Links are the members' partners that hold it, in the members' order.
	Links []NetworkLink `json:"links"`
}

// NetworkLink is one member's partner that holds an institution.
type NetworkLink struct {
	Member      string      `json:"member"`
	Partner     string      `json:"partner"` // the partner's slug in the member's portal
	PartnerName Text        `json:"partner_name"`
	Kind        PartnerKind `json:"kind"`
	// Tier is the partner's standing in the member's current phase; nil
	// when it has none.
	Tier *Tier `json:"tier"`
	// Units are the partner's team in the member's current phase, its
	// lead marked.
	Units    []TeamUnit `json:"units"`
	Position int        `json:"-"` // the partner's place in the member's list
}

// Member is an enabled member by slug.
func (n *Network) Member(slug string) (*NetworkMember, bool) {
	i := slices.IndexFunc(n.Members, func(m NetworkMember) bool { return m.Slug == slug })
	if i < 0 {
		return nil, false
	}
	return &n.Members[i], true
}

// Institution is an institution some member partners with, by slug.
func (n *Network) Institution(slug string) (*NetworkInstitution, bool) {
	i, ok := slices.BinarySearchFunc(n.Institutions, slug, func(in NetworkInstitution, s string) int { return cmp.Compare(in.Slug, s) })
	if !ok {
		return nil, false
	}
	return &n.Institutions[i], true
}

// MemberCount is how many members partner with the institution (a member
// with two partners holding it counts once).
func (in *NetworkInstitution) MemberCount() int {
	seen := map[string]bool{}
	for _, l := range in.Links {
		seen[l.Member] = true
	}
	return len(seen)
}

// NetworkPartner is a member's partner with, for each of its
// institutions, the other members that partner with that institution.
type NetworkPartner struct {
	NetworkLink
	Institutions []NetworkShared `json:"institutions"`
}

// NetworkShared is an institution of a member's partner and the other
// members that partner with it.
type NetworkShared struct {
	Slug    string   `json:"slug"`
	Name    Text     `json:"name"`
	Country string   `json:"country"`
	Others  []string `json:"others"` // the other members' slugs, in the members' order
}

// Partners are a member's partners in its own order, each institution
// with the other members that share it.
func (n *Network) Partners(member string) []NetworkPartner {
	var out []NetworkPartner
	at := map[string]int{}
	for _, in := range n.Institutions {
		var others []string
		for _, l := range in.Links {
			if l.Member != member && !slices.Contains(others, l.Member) {
				others = append(others, l.Member)
			}
		}
		for _, l := range in.Links {
			if l.Member != member {
				continue
			}
			i, ok := at[l.Partner]
			if !ok {
				i = len(out)
				at[l.Partner] = i
				out = append(out, NetworkPartner{NetworkLink: l})
			}
			if !slices.ContainsFunc(out[i].Institutions, func(s NetworkShared) bool { return s.Slug == in.Slug }) {
				out[i].Institutions = append(out[i].Institutions, NetworkShared{Slug: in.Slug, Name: in.Name, Country: in.Country, Others: nonNil(others)})
			}
		}
	}
	slices.SortFunc(out, func(a, b NetworkPartner) int {
		return cmp.Or(cmp.Compare(a.Position, b.Position), cmp.Compare(a.Partner, b.Partner))
	})
	return nonNil(out)
}

// Shared are the institutions a member partners with that other members
// partner with too, by slug.
func (n *Network) Shared(member string) []NetworkShared {
	var out []NetworkShared
	for _, in := range n.Institutions {
		mine := false
		var others []string
		for _, l := range in.Links {
			if l.Member == member {
				mine = true
			} else if !slices.Contains(others, l.Member) {
				others = append(others, l.Member)
			}
		}
		if mine && len(others) > 0 {
			out = append(out, NetworkShared{Slug: in.Slug, Name: in.Name, Country: in.Country, Others: others})
		}
	}
	return nonNil(out)
}

// NetworkMatrix is members × partner countries: how many of each member's
// partner institutions are in each country.
type NetworkMatrix struct {
	Countries []string           `json:"countries"` // by how many institutions, then by code
	Rows      []NetworkMatrixRow `json:"rows"`      // in the members' order
	Totals    []int              `json:"totals"`    // the network's institutions in each country (each once)
	// Institutions is the network's partner institutions, each once.
	Institutions int `json:"institutions"`
}

// NetworkMatrixRow is one member's counts, in the order of Countries.
type NetworkMatrixRow struct {
	Member string `json:"member"`
	Counts []int  `json:"counts"`
	Total  int    `json:"total"`
}

// Matrix counts the members' partner institutions by country.
func (n *Network) Matrix() *NetworkMatrix {
	count := map[string]map[string]int{} // member → country → institutions
	total := map[string]int{}
	for _, in := range n.Institutions {
		total[in.Country]++
		seen := map[string]bool{}
		for _, l := range in.Links {
			if seen[l.Member] {
				continue
			}
			seen[l.Member] = true
			if count[l.Member] == nil {
				count[l.Member] = map[string]int{}
			}
			count[l.Member][in.Country]++
		}
	}
	m := &NetworkMatrix{Countries: []string{}, Rows: []NetworkMatrixRow{}, Totals: []int{}, Institutions: len(n.Institutions)}
	for c := range total {
		m.Countries = append(m.Countries, c)
	}
	slices.SortFunc(m.Countries, func(a, b string) int { return cmp.Or(total[b]-total[a], cmp.Compare(a, b)) })
	for _, c := range m.Countries {
		m.Totals = append(m.Totals, total[c])
	}
	for _, mem := range n.Members {
		row := NetworkMatrixRow{Member: mem.Slug, Counts: make([]int, len(m.Countries))}
		for i, c := range m.Countries {
			row.Counts[i] = count[mem.Slug][c]
			row.Total += row.Counts[i]
		}
		m.Rows = append(m.Rows, row)
	}
	return m
}

// NetworkStats is mobility and activity across the enabled members: the
// totals of them all, and each member's own only where it shares them.
type NetworkStats struct {
	Total NetworkFigures `json:"total"`
	Years []NetworkYear  `json:"years"` // the totals by year, oldest first
	// Members are the members that share their statistics, in the
	// members' order; the others count only in the totals.
	Members []NetworkMemberStats `json:"members"`
	// Withheld is how many enabled members count only in the totals.
	Withheld int `json:"withheld"`
}

// NetworkFigures are people moving each way and public activities.
type NetworkFigures struct {
	Outbound   int64 `json:"outbound"`
	Inbound    int64 `json:"inbound"`
	Activities int64 `json:"activities"`
}

// Add adds o to f.
func (f *NetworkFigures) Add(o NetworkFigures) {
	f.Outbound += o.Outbound
	f.Inbound += o.Inbound
	f.Activities += o.Activities
}

// NetworkYear is the figures of one year: the academic year of mobility,
// the calendar year an activity starts in.
type NetworkYear struct {
	Year int `json:"year"`
	NetworkFigures
}

// NetworkMemberStats is one member's figures.
type NetworkMemberStats struct {
	Member string `json:"member"`
	Name   Text   `json:"name"`
	NetworkFigures
	Years []NetworkYear `json:"years"`
}
