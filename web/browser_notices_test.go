package web

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"partnerhub"
	"partnerhub/store/storetest"
)

// TestBrowserNotices: the notifications page and the account page's mail
// choices pass axe in both languages and do not scroll sideways on a
// phone; marking one read lowers the header's count.
func TestBrowserNotices(t *testing.T) {
	t.Parallel() // in a browser context of its own; see browser
	ts := newNoticeServer(t, storetest.Engines()[0])
	ctx := browser(t)
	u := ts.addUser(t, "coordinator@example.ac.jp", partnerhub.RoleCoordinator, "agr")
	mou := partnerhub.Text{Ja: "ソウル大学校との大学間学術交流協定", En: "Memorandum of understanding with Seoul National University"}
	ts.notify(t, partnerhub.Notice{Kind: partnerhub.NoticeImport, Entity: partnerhub.EntityMobility, Key: "K1",
		Title: partnerhub.Text{Ja: "mobility-2026.xlsx", En: "mobility-2026.xlsx"}, Path: "/mobility/import/K1",
		NoticeDetails: partnerhub.NoticeDetails{Count: 12}}, u)
	ts.notify(t, partnerhub.Notice{Kind: partnerhub.NoticeReturned, Entity: partnerhub.EntityAgreement, Key: "snu-mou", Title: mou,
		Path: partnerhub.AgreementPath("snu-mou"), NoticeDetails: partnerhub.NoticeDetails{Actor: "International Office",
			Comment: "The signatories' titles are missing on page 2; please add them and submit again."}}, u)
	ts.notify(t, partnerhub.Notice{Kind: partnerhub.NoticeExpiring, Entity: partnerhub.EntityAgreement, Key: "snu-mou", Title: mou,
		Path: partnerhub.AgreementPath("snu-mou"), NoticeDetails: partnerhub.NoticeDetails{Days: 90, Date: "2027-03-31"}}, u)
	do(t, ctx,
		chromedp.Navigate(ts.URL+"/en/signin"),
		chromedp.SetValue(chromedp.CSS(`input[name="email"]`), u.Email),
		chromedp.SetValue(chromedp.CSS(`input[name="password"]`), testPassword),
		chromedp.Click(chromedp.CSS(`main form button[type="submit"]`)),
	)
	arrive(t, ctx, "/en/account")

	// One read: the header's count goes from 3 to 2.
	do(t, ctx, chromedp.Navigate(ts.URL+"/en/notifications"), chromedp.WaitReady(chromedp.CSS("footer")))
	if n := get(t, ctx, chromedp.Text(chromedp.CSS(".notice-count"))); n != "3" {
		t.Fatalf("count %q, want 3", n)
	}
	do(t, ctx, chromedp.Click(chromedp.CSS(`ol.notices li:last-child form button`)), chromedp.WaitReady(chromedp.CSS(`p.note`)))
	if n := get(t, ctx, chromedp.Text(chromedp.CSS(".notice-count"))); n != "2" {
		t.Fatalf("count after marking one read %q, want 2", n)
	}

	axe, err := os.ReadFile("testdata/axe-core/axe.min.js")
	if err != nil {
		t.Fatal(err)
	}
	dir := os.Getenv("PARTNERHUB_SCREENSHOTS")
	for _, path := range []string{"/notifications", "/account"} {
		for _, lang := range []string{"en", "ja"} {
			for _, width := range []int64{1280, 360} {
				do(t, ctx, chromedp.EmulateViewport(width, 900), chromedp.Navigate(ts.URL+"/"+lang+path), chromedp.WaitReady(chromedp.CSS("footer")))
				if width == 1280 {
					for _, v := range runAxe(t, ctx, axe).serious() {
						t.Errorf("/%s%s: %s", lang, path, v)
					}
				} else if overflow := get(t, ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth - document.documentElement.clientWidth`)); overflow > 0 {
					t.Errorf("/%s%s scrolls sideways by %dpx at 360px", lang, path, overflow)
				}
				if dir != "" {
					png := get(t, ctx, chromedp.FullScreenshot(100))
					name := fmt.Sprintf("%s-%s-%d.png", strings.TrimPrefix(path, "/"), lang, width)
					if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
						t.Fatal(err)
					}
				}
			}
		}
	}
}
