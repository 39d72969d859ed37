package web

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"

	"partnerhub"
	"partnerhub/authn"
	"partnerhub/i18n"
	"partnerhub/store/storetest"
)

// TestMemberSettingsPage: in a network, a member's admin, signed in at the
// member's portal, names the programme and shares its figures; an empty
// name is refused field by field in the page's language and changes
// nothing; the host field is a network administrator's only; a viewer and
// a single university have no such page.
func TestMemberSettingsPage(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		db := e.OpenBuiltin(t)
		storetest.AddHome(t, db, "kyoto", []partnerhub.Institution{testInst("kyoto-uni"), testInst("kyoto-a"), testInst("kyoto-b")}, "kyoto-a", "kyoto-b")
		for _, u := range []*partnerhub.User{
			{Email: "admin@kyoto.example.jp", Name: "Kyoto office", Role: partnerhub.RoleAdmin},
			{Email: "viewer@kyoto.example.jp", Name: "Kyoto viewer", Role: partnerhub.RoleViewer},
		} {
			if _, err := db.CreateUser(ctx, "kyoto", u, testPassword); err != nil {
				t.Fatal(err)
			}
		}
		msgs, err := i18n.Load()
		if err != nil {
			t.Fatal(err)
		}
		d, err := NewDeployment(ctx, Deps{Source: db, Messages: msgs, Accounts: db, Authenticator: authn.NewPasswords(db),
			Editor: db, Members: db, ContentHome: "utokyo", Logger: slog.New(slog.NewTextHandler(os.Stderr, nil))}, db, 0)
		if err != nil {
			t.Fatal(err)
		}
		hs := httptest.NewServer(d)
		t.Cleanup(hs.Close)
		client := func(email string) *http.Client {
			jar, _ := cookiejar.New(nil)
			c := &http.Client{Jar: jar}
			res, err := c.PostForm(hs.URL+"/kyoto/en/signin", signinForm(email, testPassword))
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.Request.URL.Path != "/kyoto/en/account" {
				t.Fatalf("sign-in of %s ended at %s", email, res.Request.URL)
			}
			return c
		}
		get := func(c *http.Client, method, path string, form url.Values) (int, string) {
			t.Helper()
			var res *http.Response
			var err error
			if method == "POST" {
				res, err = c.PostForm(hs.URL+path, form)
			} else {
				res, err = c.Get(hs.URL + path)
			}
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			b, _ := io.ReadAll(res.Body)
			return res.StatusCode, string(b)
		}
		admin := client("admin@kyoto.example.jp")
		code, body := get(admin, "GET", "/kyoto/en/admin/member", nil)
		if code != 200 || !strings.Contains(body, `action="/kyoto/en/admin/member"`) || strings.Contains(body, `name="host"`) ||
			!strings.Contains(body, `value="Programme of kyoto"`) {
			t.Fatalf("settings page: %d\n%s", code, body)
		}
		code, body = get(admin, "POST", "/kyoto/ja/admin/member", url.Values{"programme.ja": {" "}, "programme.en": {"Kyoto Partnerships"}, "share_statistics": {"on"}})
		if code != http.StatusBadRequest || !strings.Contains(body, `id="e-programme-ja"`) || !strings.Contains(body, "必須") {
			t.Fatalf("empty name: %d\n%s", code, body)
		}
		if m, _ := db.Member(ctx, "kyoto"); m.ShareStatistics || m.Programme.En != "Programme of kyoto" {
			t.Fatalf("a refused form changed the member: %+v", m)
		}
		// A host posted by a member's admin is not theirs to set: ignored.
		code, _ = get(admin, "POST", "/kyoto/en/admin/member", url.Values{"programme.ja": {"京都の提携"}, "programme.en": {"Kyoto Partnerships"},
			"share_statistics": {"on"}, "host": {"kyoto.example.jp"}})
		if code != 200 {
			t.Fatalf("save: %d", code)
		}
		m, _ := db.Member(ctx, "kyoto")
		if !m.ShareStatistics || m.Programme.Ja != "京都の提携" || m.Host != "" {
			t.Fatalf("after save: %+v", m)
		}
		// The portal's header now carries the new name.
		if _, body := get(admin, "GET", "/kyoto/en/", nil); !strings.Contains(body, "Kyoto Partnerships") {
			t.Errorf("the portal does not show the programme's new name")
		}
		if code, _ := get(client("viewer@kyoto.example.jp"), "GET", "/kyoto/en/admin/member", nil); code != http.StatusForbidden {
			t.Errorf("viewer: %d, want 403", code)
		}
		// Disabled, kyoto leaves a deployment of one: no network, no page.
		if err := db.SetMemberDisabled(ctx, nil, "kyoto", true); err != nil {
			t.Fatal(err)
		}
		if err := d.readMembers(ctx); err != nil {
			t.Fatal(err)
		}
		if code, _ := get(admin, "GET", "/kyoto/en/admin/member", nil); code != http.StatusNotFound {
			t.Errorf("a disabled member's page: %d, want 404", code)
		}
	})
}
