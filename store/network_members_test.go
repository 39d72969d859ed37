package store_test

import (
	"context"
	"testing"

	"partnerhub"
	"partnerhub/store/storetest"
)

// TestMemberSettingsAuthority: a member's own admins change its programme
// name and whether its figures are shown, never its host name, never
// another member's; a network administrator changes anything; every
// refused change leaves the member as it was.
func TestMemberSettingsAuthority(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		db := e.OpenBuiltin(t)
		if _, err := db.AddMember(ctx, nil, partnerhub.NewMember{
			Member:      partnerhub.Member{Slug: "tohoku", Programme: partnerhub.Text{Ja: "提携", En: "Partnerships"}},
			Institution: &partnerhub.Institution{Slug: "tohoku", Name: partnerhub.Text{Ja: "東北大学", En: "Tohoku University"}, Country: "JP"},
		}); err != nil {
			t.Fatal(err)
		}
		user := func(home, email string, role partnerhub.Role, network bool) *partnerhub.User {
			u, err := db.CreateUser(ctx, home, &partnerhub.User{Email: email, Name: email, Role: role, NetworkAdmin: network}, "a long and secret passphrase")
			if err != nil {
				t.Fatal(err)
			}
			return u
		}
		own := user("tohoku", "admin@tohoku.example.jp", partnerhub.RoleAdmin, false)
		viewer := user("tohoku", "viewer@tohoku.example.jp", partnerhub.RoleViewer, false)
		other := user("utokyo", "admin@utokyo.example.jp", partnerhub.RoleAdmin, false)
		network := user("utokyo", "net@utokyo.example.jp", partnerhub.RoleViewer, true)

		set := partnerhub.MemberSettings{Programme: partnerhub.Text{Ja: "戦略的提携", En: "Strategic Partnerships"}, ShareStatistics: true}
		m, err := db.UpdateMember(ctx, own, "tohoku", set)
		if err != nil || !m.ShareStatistics || m.Programme.En != "Strategic Partnerships" {
			t.Fatalf("own admin: %+v %v", m, err)
		}
		for _, c := range []struct {
			name string
			by   *partnerhub.User
			set  partnerhub.MemberSettings
			code string
		}{
			{"own admin, a host", own, partnerhub.MemberSettings{Programme: set.Programme, Host: "tohoku.example.jp"}, partnerhub.EForbidden},
			{"own viewer", viewer, partnerhub.MemberSettings{Programme: set.Programme}, partnerhub.EForbidden},
			{"another member's admin", other, partnerhub.MemberSettings{Programme: set.Programme}, partnerhub.EForbidden},
			{"an empty name", own, partnerhub.MemberSettings{Programme: partnerhub.Text{Ja: "", En: "x"}, ShareStatistics: true}, partnerhub.EInvalid},
		} {
			if _, err := db.UpdateMember(ctx, c.by, "tohoku", c.set); partnerhub.ErrorCode(err) != c.code {
				t.Errorf("%s: %v, want %s", c.name, err, c.code)
			}
		}
		if m, _ := db.Member(ctx, "tohoku"); m.Host != "" || !m.ShareStatistics || m.Programme.Ja != "戦略的提携" {
			t.Fatalf("a refused change changed the member: %+v", m)
		}
		if m, err := db.UpdateMember(ctx, network, "tohoku", partnerhub.MemberSettings{Programme: set.Programme, Host: "Tohoku.Example.JP"}); err != nil || m.Host != "tohoku.example.jp" {
			t.Fatalf("network admin, a host: %+v %v", m, err)
		}
		if err := db.SetMemberDisabled(ctx, own, "tohoku", true); partnerhub.ErrorCode(err) != partnerhub.EForbidden {
			t.Errorf("own admin disabled the member: %v", err)
		}
		if err := db.SetMemberDisabled(ctx, network, "tohoku", true); err != nil {
			t.Fatal(err)
		}
		evs, err := db.Audit(ctx, "tohoku", partnerhub.AuditFilter{Entity: partnerhub.EntityMember})
		if err != nil || len(evs) != 4 || evs[0].Actor != network.Email {
			t.Fatalf("audit: %v %+v", err, evs)
		}
	})
}
