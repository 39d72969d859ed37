package storetest

import (
	"context"
	"testing"

	"partnerhub"
	"partnerhub/store"
)

// AddHome imports a small home institution, slug, beside those already in
// db, for tests of what homes share and what they do not. Its own records'
// keys start with slug ("kyoto-unit", "kyoto-partner", "kyoto-group",
// "kyoto-agreement", "kyoto-activity"), so that no other home has them. Its
// records use the institutions of the registry named by uses (at least two),
// taken as they are from insts, which must also hold slug+"-uni", the home's
// own institution. Between them they refer to an institution every way the
// schema can: a partner's member (uses[0]), a group's members (uses[0] and
// uses[1]), an agreement's institution (uses[1]), an activity's host
// (uses[2]) and an activity's other institutions (uses[3]), cycling through
// uses when fewer are given.
func AddHome(t testing.TB, db *store.DB, slug string, insts []partnerhub.Institution, uses ...string) *partnerhub.Catalog {
	t.Helper()
	use := func(i int) string { return uses[i%len(uses)] }
	text := func(s string) partnerhub.Text { return partnerhub.Text{Ja: s + "（日本語）", En: s} }
	c := &partnerhub.Catalog{
		Home:         partnerhub.HomeInstitution{Slug: slug, Institution: slug + "-uni", Programme: text("Programme of " + slug)},
		Institutions: insts,
		Units: []partnerhub.Unit{{Code: slug + "-unit", Name: text("Unit of " + slug), Abbr: text(slug),
			Kind: partnerhub.GraduateSchool}},
		Phases: []partnerhub.Phase{{Number: 1, StartYear: 2020, EndYear: 2024, Declared: partnerhub.PartnerCount{Total: 2}}},
		Partners: []partnerhub.Partner{
			{Slug: slug + "-partner", Name: text("Partner of " + slug), Kind: partnerhub.PartnerInstitution, Members: []string{use(0)}},
			{Slug: slug + "-group", Name: text("Group of " + slug), Kind: partnerhub.PartnerGroup, Members: []string{use(0), use(1)}},
		},
		Standings: []partnerhub.Standing{{Partner: slug + "-partner", Phase: 1, Tier: partnerhub.Primary}},
		Teams:     []partnerhub.TeamMembership{{Partner: slug + "-partner", Unit: slug + "-unit", Phase: 1, Lead: true}},
		Agreements: []partnerhub.Agreement{{Slug: slug + "-agreement", Partner: slug + "-group", Institution: use(1),
			Kind: partnerhub.Exchange, Level: partnerhub.UniversityLevel, Title: text("Agreement of " + slug),
			Units: []string{slug + "-unit"}, Stage: partnerhub.StageSigned, Status: partnerhub.Active, Published: true}},
		Activities: []partnerhub.Activity{{Slug: slug + "-activity", Kind: partnerhub.Workshop, Title: text("Activity of " + slug),
			Host: use(2), Partners: []string{slug + "-partner"}, Units: []string{slug + "-unit"}, Institutions: []string{use(3)},
			Published: true}},
	}
	if err := db.ImportCatalog(context.Background(), c); err != nil {
		t.Fatalf("home %s: %v", slug, err)
	}
	return c
}
