package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"partnerhub"
	"partnerhub/i18n"
	"partnerhub/mail"
	"partnerhub/store/storetest"
)

// A member's people are mailed links to their member's portal: the first
// member's to the site's root, another's to /{slug}/, a member with a host
// to that host; SetMailRoot moves the root.
func TestMailLinksToTheMembersPortal(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		db := e.OpenBuiltin(t)
		msgs, err := i18n.Load()
		if err != nil {
			t.Fatal(err)
		}
		db.SetMail(&mail.Composer{Messages: msgs, BaseURL: "https://network.example.org/"})
		storetest.AddHome(t, db, "kyoto", []partnerhub.Institution{{Slug: "kyoto-uni", Name: partnerhub.Text{Ja: "京都", En: "Kyoto"}, Country: "JP"},
			{Slug: "kyoto-other", Name: partnerhub.Text{Ja: "他", En: "Other"}, Country: "JP"}}, "kyoto-other", "kyoto-uni")
		nagoya := partnerhub.Institution{Slug: "nagoya-uni", Name: partnerhub.Text{Ja: "名古屋", En: "Nagoya"}, Country: "JP"}
		if _, err := db.AddMember(ctx, nil, partnerhub.NewMember{Member: partnerhub.Member{Slug: "nagoya", Host: "nagoya.example.org",
			Programme: partnerhub.Text{Ja: "名古屋", En: "Nagoya"}}, Institution: &nagoya}); err != nil {
			t.Fatal(err)
		}
		now := time.Now()
		// invite sends an invitation of home and returns its mail's text.
		invite := func(home, email string) string {
			t.Helper()
			admin, err := db.CreateUser(ctx, home, &partnerhub.User{Email: "admin-" + email, Name: "Admin", Role: partnerhub.RoleAdmin}, "a long and secret passphrase")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := db.Invite(ctx, admin, home, partnerhub.InvitationSpec{Email: email, Name: "Guest", Lang: partnerhub.English}, now); err != nil {
				t.Fatal(err)
			}
			for _, q := range claimAll(t, db, now) {
				if q.To == email {
					return q.Text
				}
			}
			t.Fatalf("no invitation mailed to %s", email)
			return ""
		}
		for home, want := range map[string]string{"utokyo": "https://network.example.org/en/invitations/",
			"kyoto": "https://network.example.org/kyoto/en/invitations/", "nagoya": "https://nagoya.example.org/en/invitations/"} {
			if body := invite(home, "guest-"+home+"@example.org"); !strings.Contains(body, want) {
				t.Errorf("%s's invitation does not link to %s:\n%s", home, want, body)
			}
		}
		// A security notice of kyoto's user leads to kyoto's account pages.
		u, err := db.CreateUser(ctx, "kyoto", &partnerhub.User{Email: "viewer@kyoto.example.org", Name: "Viewer", Role: partnerhub.RoleViewer}, "a long and secret passphrase")
		if err != nil {
			t.Fatal(err)
		}
		if err := db.ChangePassword(ctx, u.ID, "a long and secret passphrase", "another long and secret passphrase", "", now); err != nil {
			t.Fatal(err)
		}
		found := false
		for _, q := range claimAll(t, db, now) {
			if q.To == u.Email {
				found = true
				if !strings.Contains(q.Text, "https://network.example.org/kyoto/en/account/password") &&
					!strings.Contains(q.Text, "https://network.example.org/kyoto/ja/account/password") {
					t.Errorf("kyoto's security notice does not link to kyoto's portal:\n%s", q.Text)
				}
			}
		}
		if !found {
			t.Error("no security notice of the password change")
		}
		// With kyoto at the root, kyoto's mail links to the root and utokyo's to /utokyo/.
		db.SetMailRoot("kyoto")
		if body := invite("kyoto", "second-kyoto@example.org"); !strings.Contains(body, "https://network.example.org/en/invitations/") {
			t.Errorf("the root member's invitation:\n%s", body)
		}
		if body := invite("utokyo", "second-utokyo@example.org"); !strings.Contains(body, "https://network.example.org/utokyo/en/invitations/") {
			t.Errorf("utokyo's invitation with kyoto at the root:\n%s", body)
		}
	})
}
