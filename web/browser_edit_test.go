package web

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"partnerhub/store/storetest"
)

// TestBrowserEditing: a coordinator edits an activity of their unit, fails
// to edit another unit's, and reads the history; an admin deletes a
// partner and restores it from the bin.
func TestBrowserEditing(t *testing.T) {
	t.Parallel() // in a browser context of its own; see browser
	ed := newEditors(t, storetest.Engines()[0])
	ctx := browser(t)
	signIn := func(email string) {
		t.Helper()
		do(t, ctx,
			chromedp.Navigate(ed.URL+"/en/signin"),
			chromedp.SetValue(chromedp.CSS(`input[name="email"]`), email),
			chromedp.SetValue(chromedp.CSS(`input[name="password"]`), testPassword),
			chromedp.Click(chromedp.CSS(`main form button[type="submit"]`)),
		)
		arrive(t, ctx, "/en/account")
	}
	signOut := func() {
		t.Helper()
		do(t, ctx, chromedp.Click(chromedp.CSS(`form[action="/en/signout"] button`)))
		arrive(t, ctx, "/en/")
	}

	signIn("coordinator@example.ac.jp")
	do(t, ctx, chromedp.Navigate(ed.URL+"/en/activities/ntu-joint-conference-2019"),
		chromedp.Click(chromedp.CSS(`.edit-links a[href="/en/edit/activity/ntu-joint-conference-2019"]`)))
	arrive(t, ctx, "/en/edit/activity/ntu-joint-conference-2019")
	do(t, ctx,
		chromedp.SetValue(chromedp.CSS(`#f-venue\.en`), "National Taiwan University Sports Center"),
		chromedp.Click(chromedp.CSS(`form.edit-form button[type="submit"]`)),
	)
	arrive(t, ctx, "/en/activities/ntu-joint-conference-2019?saved=1")
	if body := get(t, ctx, chromedp.Text(chromedp.CSS("main"))); !strings.Contains(body, "National Taiwan University Sports Center") {
		t.Fatalf("the edit does not show: %s", body)
	}
	if saved := get(t, ctx, chromedp.Text(chromedp.CSS(".saved"))); saved != "Saved." {
		t.Fatalf("saved notice %q", saved)
	}
	// Another unit's activity: the form opens, saving is refused with the reason.
	do(t, ctx, chromedp.Navigate(ed.URL+"/en/edit/activity/cambridge-voices-education-covid-2020"),
		chromedp.Click(chromedp.CSS(`form.edit-form button[type="submit"]`)))
	arrive(t, ctx, "/en/edit/activity/cambridge-voices-education-covid-2020")
	if msg := get(t, ctx, chromedp.Text(chromedp.CSS("main .alert"))); !strings.Contains(msg, "one of your units") || !strings.Contains(msg, "cambridge") {
		t.Fatalf("refusal message %q", msg)
	}
	// The history of the record they changed.
	do(t, ctx, chromedp.Navigate(ed.URL+"/en/history/activity/ntu-joint-conference-2019"))
	if body := get(t, ctx, chromedp.Text(chromedp.CSS("main"))); !strings.Contains(body, "coordinator@example.ac.jp") || !strings.Contains(body, "Sports Center") {
		t.Fatalf("history: %s", body)
	}
	signOut()

	signIn("admin@example.ac.jp")
	// The editing pages pass axe in both languages.
	axe, err := os.ReadFile("testdata/axe-core/axe.min.js")
	if err != nil {
		t.Fatal(err)
	}
	signedIn := []string{"/en/edit/activity/ntu-joint-conference-2019", "/ja/edit/activity/new", "/ja/edit/partner/ntu",
		"/en/edit/team/ntu/3", "/ja/edit/agreement/snu-mou", "/en/edit/institution/tohoku", "/ja/edit/unit/iog",
		"/en/history/activity/ntu-joint-conference-2019", "/ja/admin/bin", "/en/admin/audit", "/ja/activities/ntu-joint-conference-2019",
		"/ja/mobility/import", "/en/mobility/import", "/en/edit/mobility/new", "/ja/edit/mobility/new"}
	for _, path := range signedIn {
		do(t, ctx, chromedp.EmulateViewport(1280, 900), chromedp.Navigate(ed.URL+path), chromedp.WaitReady(chromedp.CSS("footer")))
		for _, v := range runAxe(t, ctx, axe).serious() {
			t.Errorf("%s: %s", path, v)
		}
		// Nor do they scroll sideways on a phone.
		do(t, ctx, chromedp.EmulateViewport(360, 800), chromedp.Navigate(ed.URL+path), chromedp.WaitReady(chromedp.CSS("footer")))
		if overflow := get(t, ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth - document.documentElement.clientWidth`)); overflow > 0 {
			t.Errorf("%s scrolls sideways by %dpx at 360px", path, overflow)
		}
	}
	// PARTNERHUB_SCREENSHOTS=dir keeps pictures of the signed-in pages
	// (docs/screenshots.sh sets it): a headless browser alone cannot sign in.
	shoot := func(name, path string) {
		t.Helper()
		dir := os.Getenv("PARTNERHUB_SCREENSHOTS")
		if dir == "" {
			return
		}
		for _, lang := range []string{"en", "ja"} {
			for _, width := range []int64{1280, 390} {
				do(t, ctx, chromedp.EmulateViewport(width, 900), chromedp.Navigate(ed.URL+"/"+lang+path),
					chromedp.WaitReady(chromedp.CSS("footer")))
				png := get(t, ctx, chromedp.FullScreenshot(100))
				if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("%s-%s-%d.png", name, lang, width)), png, 0o644); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	shoot("mobility-import", "/mobility/import")
	shoot("activity-edit", "/edit/activity/ntu-joint-conference-2019")
	// A form sent wrong: the summary names the fields by their labels in
	// the reader's language and links to them; the date is kept as typed.
	for _, lang := range []string{"en", "ja"} {
		do(t, ctx, chromedp.EmulateViewport(1280, 900), chromedp.Navigate(ed.URL+"/"+lang+"/edit/activity/new"),
			chromedp.SetValue(chromedp.CSS(`#f-start`), "2015年13月"),
			chromedp.SetValue(chromedp.CSS(`#f-title\.ja`), "テスト"),
			chromedp.Click(chromedp.CSS(`form.edit-form button[type="submit"]`)),
			chromedp.WaitReady(chromedp.CSS(`.alert ul`)))
		summary := get(t, ctx, chromedp.Text(chromedp.CSS(".alert ul")))
		want := map[string][]string{"en": {"Title in English", "Start", "2015年13月"}, "ja": {"タイトル（英語）", "開始", "2015年13月"}}[lang]
		for _, w := range want {
			if !strings.Contains(summary, w) {
				t.Errorf("%s: error summary %q lacks %q", lang, summary, w)
			}
		}
		if dir := os.Getenv("PARTNERHUB_SCREENSHOTS"); dir != "" {
			png := get(t, ctx, chromedp.FullScreenshot(100))
			if err := os.WriteFile(filepath.Join(dir, "activity-errors-"+lang+"-1280.png"), png, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	do(t, ctx, chromedp.EmulateViewport(1280, 900))

	// An agreement's workflow: the office records that it lapsed, with a
	// reason, from its edit page; the history says so.
	shoot("agreement-edit", "/edit/agreement/snu-mou")
	do(t, ctx, chromedp.Navigate(ed.URL+"/ja/edit/agreement/snu-mou"),
		chromedp.SetValue(chromedp.CSS(`#f-comment`), "2025年3月に失効。更新を協議中。"),
		chromedp.Click(chromedp.CSS(`.workflow button[value="expire"]`)))
	arrive(t, ctx, "/ja/edit/agreement/snu-mou?saved=1")
	if n := get(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll('.workflow button[value="expire"]').length`)); n != 0 {
		t.Fatalf("an expired agreement still offers expire (%d buttons)", n)
	}
	do(t, ctx, chromedp.Navigate(ed.URL+"/ja/agreements/snu-mou"))
	if status := get(t, ctx, chromedp.Text(chromedp.CSS(`main .status`))); status != "期限切れ" {
		t.Fatalf("status after expire: %q", status)
	}
	do(t, ctx, chromedp.Navigate(ed.URL+"/ja/history/agreement/snu-mou"))
	if body := get(t, ctx, chromedp.Text(chromedp.CSS("main"))); !strings.Contains(body, "状態の変更") || !strings.Contains(body, "失効として記録する：「2025年3月に失効。更新を協議中。」") {
		t.Fatalf("history after expire: %s", body)
	}
	shoot("agreement-history", "/history/agreement/snu-mou")
	do(t, ctx, chromedp.EmulateViewport(1280, 900))
	do(t, ctx, chromedp.Navigate(ed.URL+"/en/edit/partner/ytu"),
		chromedp.Click(chromedp.CSS(`form.delete-form button`)))
	arrive(t, ctx, "/en/admin/bin?deleted=ytu")
	if body := get(t, ctx, chromedp.Text(chromedp.CSS("main"))); !strings.Contains(body, "Yangon Technological University") {
		t.Fatalf("bin: %s", body)
	}
	n := get(t, ctx, chromedp.Evaluate[int](`fetch("/api/v1/partners").then(r => r.json()).then(d => d.items.length)`, chromedp.EvalAwaitPromise))
	if n != 15 {
		t.Fatalf("%d partners after the delete", n)
	}
	do(t, ctx, chromedp.Click(chromedp.CSS(`form[action="/en/admin/bin/partner/ytu/restore"] button`)))
	arrive(t, ctx, "/en/admin/bin?restored=ytu")
	do(t, ctx, chromedp.Navigate(ed.URL+"/en/partners/ytu"))
	if h1 := get(t, ctx, chromedp.Text(chromedp.CSS("h1"))); h1 != "Yangon Technological University" {
		t.Fatalf("restored partner h1 %q", h1)
	}
	signOut()
}
