package web

import (
	"strconv"

	"partnerhub"
)

// The list pages offer, in each filter, only the options that find
// something on their own: a phase, unit or kind that no record has would
// lead the reader to an empty list. The option the reader chose stays
// offered even when it finds nothing, so that the form shows the filter in
// use.

// offered keeps the options for which finds reports results, and the
// selected one.
func offered[T any](opts []T, key func(T) string, selected string, finds func(T) bool) []T {
	var out []T
	for _, o := range opts {
		if key(o) == selected || finds(o) {
			out = append(out, o)
		}
	}
	return out
}

func (d *partnersData) offerOnlyResults(x *partnerhub.Index) {
	some := func(f partnerhub.PartnerFilter) bool { return len(x.Partners(f)) > 0 }
	d.Tiers = offered(d.Tiers, func(t partnerhub.Tier) string { return string(t) }, d.Filter["tier"],
		func(t partnerhub.Tier) bool { return some(partnerhub.PartnerFilter{Tier: t}) })
	d.Units = offered(d.Units, func(u partnerhub.Unit) string { return u.Code }, d.Filter["unit"],
		func(u partnerhub.Unit) bool { return some(partnerhub.PartnerFilter{Unit: u.Code}) })
	d.Countries = offered(d.Countries, func(c string) string { return c }, d.Filter["country"],
		func(c string) bool { return some(partnerhub.PartnerFilter{Country: c}) })
	d.Phases = offered(d.Phases, func(p partnerhub.Phase) string { return strconv.Itoa(p.Number) }, d.Filter["phase"],
		func(p partnerhub.Phase) bool { return some(partnerhub.PartnerFilter{Phase: p.Number}) })
}

func (d *activitiesData) offerOnlyResults(x *partnerhub.Index) {
	some := func(f partnerhub.ActivityFilter) bool { return len(x.Activities(f)) > 0 }
	d.Partners = offered(d.Partners, func(p *partnerhub.PartnerView) string { return p.Slug }, d.Filter["partner"],
		func(p *partnerhub.PartnerView) bool { return some(partnerhub.ActivityFilter{Partner: p.Slug}) })
	d.Units = offered(d.Units, func(u partnerhub.Unit) string { return u.Code }, d.Filter["unit"],
		func(u partnerhub.Unit) bool { return some(partnerhub.ActivityFilter{Unit: u.Code}) })
	d.Kinds = offered(d.Kinds, func(k partnerhub.ActivityKind) string { return string(k) }, d.Filter["kind"],
		func(k partnerhub.ActivityKind) bool { return some(partnerhub.ActivityFilter{Kind: k}) })
	// The years are taken from the activities' dates: each finds one.
}
