package web

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"partnerhub"
	"partnerhub/authn"
	"partnerhub/i18n"
	"partnerhub/store/storetest"
)

// TestBrowserMembers: a network administrator, in a browser, reads the
// members page, sends the add form wrong and reads the fields' messages,
// uploads a bad workbook and reads every problem, then a good one and
// reads what it did; in both languages, with no serious axe violation and
// no sideways scrolling on a phone. PARTNERHUB_SCREENSHOTS=dir keeps
// pictures of each.
func TestBrowserMembers(t *testing.T) {
	t.Parallel() // in a browser context of its own; see browser
	ctx := browser(t)
	db := storetest.Engines()[0].OpenBuiltin(t)
	addKyotoMember(t, db)
	msgs, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	// No second factor held: a browser test signs in with the password.
	srv, err := NewServer(context.Background(), Deps{Source: db, Home: "utokyo", Messages: msgs, Accounts: db,
		Authenticator: authn.NewPasswords(db), Editor: db, Invitations: db, MemberAdmin: db, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	email := "network@example.ac.jp"
	if _, err := db.CreateUser(context.Background(), "utokyo", &partnerhub.User{Email: email, Name: "Network Office", Role: partnerhub.RoleAdmin}, testPassword); err != nil {
		t.Fatal(err)
	}
	if err := db.SetNetworkAdmin(context.Background(), "utokyo", email, true); err != nil {
		t.Fatal(err)
	}
	axe, err := os.ReadFile("testdata/axe-core/axe.min.js")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.xlsx")
	good := filepath.Join(dir, "kyoto.xlsx")
	if err := os.WriteFile(bad, storetest.Onboarding(t, map[string][][]string{
		"Units":    {{"eng", "工学", "", "工", "E", "faculty"}},
		"Phases":   {{"one", "2024", "2028", "", "", ""}},
		"Partners": {{"x-u", "X大学", "X University", "", "club", "", "", "", "", "", "", "", ""}},
		"Teams":    {{"x-u", "1", "eng", "maybe", ""}},
	}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(good, storetest.GoodOnboarding(t), 0o600); err != nil {
		t.Fatal(err)
	}
	do(t, ctx,
		chromedp.Navigate(ts.URL+"/en/signin"),
		chromedp.SetValue(chromedp.CSS(`input[name="email"]`), email),
		chromedp.SetValue(chromedp.CSS(`input[name="password"]`), testPassword),
		chromedp.Click(chromedp.CSS(`main form button[type="submit"]`)),
	)
	arrive(t, ctx, "/en/account")
	shots := os.Getenv("PARTNERHUB_SCREENSHOTS")
	shoot := func(name, lang string) {
		t.Helper()
		if v := runAxe(t, ctx, axe).serious(); len(v) > 0 {
			t.Errorf("%s %s: axe: %v", name, lang, v)
		}
		if shots == "" {
			return
		}
		png := get(t, ctx, chromedp.FullScreenshot(100))
		if err := os.WriteFile(filepath.Join(shots, "network-onboard-"+name+"-"+lang+".png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	phone := func(lang, path string) {
		t.Helper()
		do(t, ctx, chromedp.EmulateViewport(360, 800), chromedp.Navigate(ts.URL+"/"+lang+path), chromedp.WaitReady(chromedp.CSS("footer")))
		if overflow := get(t, ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth - document.documentElement.clientWidth`)); overflow > 0 {
			t.Errorf("%s%s scrolls sideways by %dpx at 360px", lang, path, overflow)
		}
		do(t, ctx, chromedp.EmulateViewport(1280, 900))
	}
	for _, lang := range []string{"en", "ja"} {
		base := ts.URL + "/" + lang + "/network/admin/members"
		do(t, ctx, chromedp.EmulateViewport(1280, 900), chromedp.Navigate(base), chromedp.WaitReady(chromedp.CSS("footer")))
		if rows := get(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll("table.network-members tbody tr").length`)); rows != 2 {
			t.Errorf("%s: %d members listed", lang, rows)
		}
		shoot("members", lang)
		phone(lang, "/network/admin/members")

		// The add form, sent wrong.
		do(t, ctx, chromedp.Navigate(base),
			chromedp.SetValue(chromedp.CSS(`#f-slug`), "network"),
			chromedp.Click(chromedp.CSS(`input[name="which"][value="new"]`)),
			chromedp.SetValue(chromedp.CSS(`#f-name_en`), "Somewhere University"),
			chromedp.SetValue(chromedp.CSS(`#f-host`), "not a host"),
			chromedp.Click(chromedp.CSS(`form.member-form button[type="submit"]`)),
			chromedp.WaitVisible(chromedp.CSS(`#e-slug`)))
		text := get(t, ctx, chromedp.Text(chromedp.CSS("form.member-form")))
		want := map[string][]string{"en": {"used by the site", "Enter a host name"}, "ja": {"#e-host"}}[lang]
		for _, w := range want {
			if !strings.HasPrefix(w, "#") && !strings.Contains(text, w) {
				t.Errorf("%s: the form does not say %q", lang, w)
			}
		}
		do(t, ctx, chromedp.ScrollIntoView(chromedp.CSS(`#add`)))
		shoot("add-errors", lang)

		// A bad workbook, then a good one, for a member of each language.
		member := map[string]string{"en": "kyoto-u", "ja": "osaka-u"}[lang]
		if lang == "ja" {
			do(t, ctx, chromedp.Navigate(base),
				chromedp.SetValue(chromedp.CSS(`#f-slug`), member),
				chromedp.Click(chromedp.CSS(`input[name="which"][value="new"]`)),
				chromedp.SetValue(chromedp.CSS(`#f-name_ja`), "大阪大学"),
				chromedp.SetValue(chromedp.CSS(`#f-name_en`), "Osaka University"),
				chromedp.SetValue(chromedp.CSS(`#f-programme_ja`), "大阪プログラム"),
				chromedp.SetValue(chromedp.CSS(`#f-programme_en`), "Osaka Programme"),
				chromedp.Click(chromedp.CSS(`form.member-form button[type="submit"]`)))
			arrive(t, ctx, "/ja/network/admin/members/osaka-u?done=added")
		}
		do(t, ctx, chromedp.Navigate(base+"/"+member),
			chromedp.SetUploadFiles(chromedp.CSS(`#f-file`), []string{bad}),
			chromedp.Click(chromedp.CSS(`.onboard-section form.edit-form button[type="submit"]`)),
			chromedp.WaitVisible(chromedp.CSS(".onboard-problems table")))
		if rows := get(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll(".onboard-problems tbody tr").length`)); rows < 5 {
			t.Errorf("%s: %d problems listed", lang, rows)
		}
		shoot("problems", lang)
		do(t, ctx, chromedp.SetUploadFiles(chromedp.CSS(`#f-file`), []string{good}),
			chromedp.Click(chromedp.CSS(`.onboard-section form.edit-form button[type="submit"]`)),
			chromedp.WaitVisible(chromedp.CSS(".onboard-result")))
		result := get(t, ctx, chromedp.Text(chromedp.CSS(".onboard-result")))
		if w := map[string]string{"en": "kyoto.xlsx was imported.", "ja": "kyoto.xlsx を取り込みました。"}[lang]; !strings.Contains(result, w) {
			t.Errorf("%s: the result %q lacks %q", lang, result, w)
		}
		shoot("result", lang)
		phone(lang, "/network/admin/members/"+member)
	}
}
