package store_test

import (
	"bytes"
	"context"
	"strconv"
	"testing"

	"partnerhub"
	"partnerhub/store"
	"partnerhub/store/storetest"
	"partnerhub/transfer"
)

// addKyoto adds a second member, new to the registry, beside the built-in.
func addKyoto(t *testing.T, db *store.DB) {
	t.Helper()
	_, err := db.AddMember(context.Background(), nil, partnerhub.NewMember{
		Member:      partnerhub.Member{Slug: "kyoto-u", Programme: partnerhub.Text{Ja: "京都プログラム", En: "Kyoto Programme"}},
		Institution: &partnerhub.Institution{Slug: "kyoto-u", Name: partnerhub.Text{Ja: "京都大学", En: "Kyoto University"}, Country: "JP"}})
	if err != nil {
		t.Fatal(err)
	}
}

func readOnboarding(t *testing.T, b []byte) *transfer.Onboarding {
	t.Helper()
	o, errs := transfer.ReadOnboarding(bytes.NewReader(b))
	if len(errs) > 0 {
		t.Fatalf("the workbook: %+v", errs)
	}
	return o
}

// TestOnboard: a good workbook is written whole into the member (its
// units, phase, partners, teams), audited, the new institution added to
// the registry and the one it holds matched by ROR and left as it was; a
// second import changes nothing; a workbook the store refuses writes
// nothing and says why by sheet, row and column; only a network
// administrator (or the command line) onboards.
func TestOnboard(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		db := e.OpenBuiltin(t)
		addKyoto(t, db)

		// Refused by the store: an unknown unit in a team, a new
		// institution without a country, a unit's key that is not one.
		bad := readOnboarding(t, storetest.Onboarding(t, map[string][][]string{
			transfer.OnboardUnits:    {{"Bad Key", "工", "Eng", "工", "E", "graduate_school"}},
			transfer.OnboardPhases:   {{"1", "2024", "2028", "", "", ""}},
			transfer.OnboardPartners: {{"nowhere-u", "どこか大学", "Nowhere University", "", "institution", "", "", "", "", "", "", "", ""}},
			transfer.OnboardTeams:    {{"nowhere-u", "1", "mars", "yes", ""}},
		}))
		res, problems, err := db.Onboard(ctx, nil, "kyoto-u", bad)
		if err != nil || res != nil {
			t.Fatalf("bad: %v %v", res, err)
		}
		want := map[string]bool{"Units/2/code / コード/field.bad_slug": true, "Partners/2/country / 国/onboard.country_for_new": true,
			"Teams/2/partner / パートナー/field.unknown_partner": true}
		got := map[string]bool{}
		for _, p := range problems {
			got[p.Sheet+"/"+strconv.Itoa(p.Row)+"/"+p.Column+"/"+p.Key] = true
		}
		for k := range want {
			if !got[k] {
				t.Errorf("missing problem %s in %v", k, got)
			}
		}
		c, err := db.Catalog(ctx, "kyoto-u")
		if err != nil {
			t.Fatal(err)
		}
		if len(c.Units)+len(c.Partners)+len(c.Phases) != 0 {
			t.Fatalf("a refused workbook wrote: %d units, %d partners, %d phases", len(c.Units), len(c.Partners), len(c.Phases))
		}

		// Only a network administrator, not a home's.
		admin, err := db.CreateUser(ctx, "utokyo", &partnerhub.User{Email: "office-" + e.Name + "@example.ac.jp", Name: "Office", Role: partnerhub.RoleAdmin}, "a long enough passphrase 1")
		if err != nil {
			t.Fatal(err)
		}
		good := readOnboarding(t, storetest.GoodOnboarding(t))
		if _, _, err := db.Onboard(ctx, admin, "kyoto-u", good); partnerhub.ErrorCode(err) != partnerhub.EForbidden {
			t.Fatalf("a home's administrator onboarded: %v", err)
		}
		if err := db.SetNetworkAdmin(ctx, "utokyo", admin.Email, true); err != nil {
			t.Fatal(err)
		}
		admin.NetworkAdmin = true
		princeton := institution(t, db, "princeton")

		res, problems, err = db.Onboard(ctx, admin, "kyoto-u", good)
		if err != nil || len(problems) > 0 {
			t.Fatalf("good: %v %+v", err, problems)
		}
		if !res.Changed() || res.Created[transfer.OnboardUnits] != 2 || res.Created[transfer.OnboardPartners] != 2 ||
			res.Created[transfer.OnboardPhases] != 1 || res.Created[transfer.OnboardTeams] != 2 {
			t.Errorf("result: %+v", res)
		}
		if len(res.InstitutionsCreated) != 1 || res.InstitutionsCreated[0] != "example-tech" || len(res.InstitutionsMatched) != 1 || res.InstitutionsMatched[0] != "princeton" {
			t.Errorf("institutions: %+v", res)
		}
		c, err = db.Catalog(ctx, "kyoto-u")
		if err != nil {
			t.Fatal(err)
		}
		if len(c.Units) != 2 || len(c.Partners) != 2 || len(c.Phases) != 1 || len(c.Phases[0].Aims) != 2 {
			t.Fatalf("catalog: %d units, %d partners, %d phases", len(c.Units), len(c.Partners), len(c.Phases))
		}
		for _, p := range c.Partners {
			if p.Slug == "princeton-p" && (len(p.Members) != 1 || p.Members[0] != "princeton") {
				t.Errorf("princeton-p: %+v", p)
			}
		}
		if got := institution(t, db, "princeton"); got.Name != princeton.Name || got.Version != princeton.Version {
			t.Errorf("the registry's Princeton was changed: %+v", got)
		}
		team := 0
		for _, m := range c.Teams {
			if m.Partner == "example-tech" && m.Phase == 1 {
				team++
				if m.Lead != (m.Unit == "eng") {
					t.Errorf("lead: %+v", m)
				}
			}
		}
		if team != 2 {
			t.Errorf("example-tech's team: %d units", team)
		}
		events, err := db.Audit(ctx, "kyoto-u", partnerhub.AuditFilter{})
		if err != nil {
			t.Fatal(err)
		}
		byAdmin := 0
		for _, ev := range events {
			if ev.Actor == admin.Email {
				byAdmin++
			}
		}
		if byAdmin < 8 { // 2 units, 1 phase, 1 institution, 2 partners, 2 teams
			t.Errorf("audited %d changes by the administrator", byAdmin)
		}
		// Nothing of the member's in the first member's catalog.
		if _, err := partnerhub.NewIndex(must(db.Catalog(ctx, "utokyo"))).Partner("example-tech"); err == nil {
			t.Error("the partner landed in the other member")
		}

		// Twice: nothing changes.
		res, problems, err = db.Onboard(ctx, nil, "kyoto-u", readOnboarding(t, storetest.GoodOnboarding(t)))
		if err != nil || len(problems) > 0 || res.Changed() || res.Unchanged[transfer.OnboardTeams] != 2 || res.Unchanged[transfer.OnboardUnits] != 2 {
			t.Fatalf("second import: %+v %+v %v", res, problems, err)
		}
		after, _ := db.Audit(ctx, "kyoto-u", partnerhub.AuditFilter{})
		if len(after) != len(events) {
			t.Errorf("the second import audited %d changes", len(after)-len(events))
		}

		// A group naming an institution that a later row brings.
		res, problems, err = db.Onboard(ctx, nil, "kyoto-u", readOnboarding(t, storetest.Onboarding(t, map[string][][]string{
			transfer.OnboardPartners: {
				{"alliance", "連合", "Alliance", "", "group", "newcomer-u; princeton", "", "", "", "", "", "", ""},
				{"newcomer-u", "新大学", "Newcomer University", "", "institution", "", "", "DE", "", "", "", "", ""},
			},
		})))
		if err != nil || len(problems) > 0 || res.Created[transfer.OnboardPartners] != 2 || len(res.InstitutionsCreated) != 1 {
			t.Fatalf("a group: %+v %+v %v", res, problems, err)
		}
	})
}

func institution(t *testing.T, db *store.DB, slug string) partnerhub.Institution {
	t.Helper()
	c, err := db.Catalog(context.Background(), "utokyo")
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range c.Institutions {
		if in.Slug == slug {
			return in
		}
	}
	t.Fatalf("no institution %s", slug)
	return partnerhub.Institution{}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
