package store_test

import (
	"context"
	"testing"

	"partnerhub"
	"partnerhub/store/storetest"
)

func netInst(slug string) partnerhub.Institution {
	return partnerhub.Institution{Slug: slug, Name: partnerhub.Text{Ja: slug + "大学", En: "University " + slug}, Country: "JP"}
}

// The network is read again whenever a member's data changes: a member
// imported whole (no audit event), a member disabled, a figure recorded.
func TestNetworkFollowsTheData(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		db := e.Open(t)
		storetest.AddHome(t, db, "kyoto", []partnerhub.Institution{netInst("kyoto-uni"), netInst("shared-x"), netInst("kyoto-only")}, "shared-x", "kyoto-only")
		n, err := db.Network(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(n.Members) != 1 || len(n.Institutions) != 2 {
			t.Fatalf("one member: %+v", n)
		}
		// The same answer while nothing changes.
		if again, err := db.Network(ctx); err != nil || again != n {
			t.Errorf("not cached: %v", err)
		}
		storetest.AddHome(t, db, "osaka", []partnerhub.Institution{netInst("osaka-uni"), netInst("shared-x"), netInst("osaka-only")}, "shared-x", "osaka-only")
		n, err = db.Network(ctx)
		if err != nil {
			t.Fatal(err)
		}
		in, ok := n.Institution("shared-x")
		if len(n.Members) != 2 || !ok || in.MemberCount() != 2 {
			t.Fatalf("two members: %+v", n)
		}
		// kyoto's partner and group both hold shared-x: two links, one member.
		if len(in.Links) != 4 || in.Links[0].Member != "kyoto" || in.Links[3].Member != "osaka" {
			t.Errorf("shared-x: %+v", in.Links)
		}
		if got, err := db.NetworkMembers(ctx); err != nil || got != 2 {
			t.Errorf("NetworkMembers: %d %v", got, err)
		}
		st, err := db.NetworkStats(ctx)
		if err != nil {
			t.Fatal(err)
		}
		// Each member's one published activity; no figure yet; neither shares.
		if st.Total != (partnerhub.NetworkFigures{Activities: 2}) || st.Withheld != 2 || len(st.Members) != 0 {
			t.Errorf("stats: %+v", st)
		}
		admin, err := db.CreateUser(ctx, "osaka", &partnerhub.User{Email: "a@osaka.example", Name: "A", Role: partnerhub.RoleAdmin}, "a long and secret passphrase")
		if err != nil {
			t.Fatal(err)
		}
		if err := db.PutMobility(ctx, admin, "osaka", partnerhub.Mobility{Partner: "osaka-partner", Year: 2024, Direction: partnerhub.Inbound,
			Category: partnerhub.Faculty, Programme: partnerhub.ExchangeProgramme, Count: 9}); err != nil {
			t.Fatal(err)
		}
		if err := db.SetMemberShareStatistics(ctx, nil, "osaka", true); err != nil {
			t.Fatal(err)
		}
		st, err = db.NetworkStats(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if st.Total.Inbound != 9 || st.Withheld != 1 || len(st.Members) != 1 || st.Members[0].Member != "osaka" || st.Members[0].Inbound != 9 {
			t.Errorf("stats after a figure: %+v", st)
		}
		if err := db.SetMemberDisabled(ctx, nil, "kyoto", true); err != nil {
			t.Fatal(err)
		}
		n, err = db.Network(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(n.Members) != 1 || n.Members[0].Slug != "osaka" {
			t.Errorf("after disabling kyoto: %+v", n.Members)
		}
		if _, ok := n.Institution("kyoto-only"); ok {
			t.Errorf("a disabled member's institution is listed")
		}
		if st, err = db.NetworkStats(ctx); err != nil || st.Total.Activities != 1 {
			t.Errorf("stats after disabling kyoto: %+v %v", st, err)
		}
		// A member decides whether it shares: its own admin may change it
		// (another member's may not: TestMemberSettingsAuthority).
		if err := db.SetMemberShareStatistics(ctx, admin, "osaka", false); err != nil {
			t.Errorf("osaka's admin stops sharing: %v", err)
		}
		if m, _ := db.Member(ctx, "osaka"); m == nil || m.ShareStatistics {
			t.Errorf("osaka still shares: %+v", m)
		}
	})
}
