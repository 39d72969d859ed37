package web

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"partnerhub"
	"partnerhub/store/storetest"
)

// The public fund page and a project's page read well in both languages,
// on a wide screen and a phone's, with no serious axe violation.
// PARTNERHUB_SCREENSHOTS=dir keeps pictures of them.
func TestBrowserFundPages(t *testing.T) {
	t.Parallel() // in a browser context of its own; see browser
	as := newAuthServer(t, storetest.Engines()[0])
	ctx := browser(t)
	axe, err := os.ReadFile("testdata/axe-core/axe.min.js")
	if err != nil {
		t.Fatal(err)
	}
	f := newDecisionFixture(t, as)
	f.awardAndPublish(t)
	second := f.submit(t, "都市の水循環と気候適応", "Urban water cycles and climate adaptation", f.other, f.colead)
	f.proposal = second
	f.awardAndPublish(t)
	// Exchanges with Princeton by the project's unit since the award.
	for _, m := range []partnerhub.Mobility{
		{Partner: "princeton", Unit: "eng", Year: 2026, Direction: partnerhub.Outbound, Category: partnerhub.Graduate, Programme: partnerhub.ExchangeProgramme, Count: 4},
		{Partner: "princeton", Unit: "eng", Year: 2026, Direction: partnerhub.Inbound, Category: partnerhub.Faculty, Programme: partnerhub.ShortProgramme, Count: 2},
	} {
		if err := as.db.PutMobility(context.Background(), f.admin, "utokyo", m); err != nil {
			t.Fatal(err)
		}
	}
	shots := os.Getenv("PARTNERHUB_SCREENSHOTS")
	for _, page := range []struct{ name, path, want string }{
		{"fund", "/funds/princeton-fund", ".fund-projects li.project"},
		{"project", "/projects/" + strconv.FormatInt(second.ID, 10), ".project-activities"},
	} {
		for _, lang := range []string{"en", "ja"} {
			for _, width := range []int64{1280, 360} {
				do(t, ctx, chromedp.EmulateViewport(width, 900), chromedp.Navigate(as.URL+"/"+lang+page.path), chromedp.WaitVisible(chromedp.CSS(page.want)))
				text := get(t, ctx, chromedp.Text(chromedp.CSS("main")))
				want := map[string]string{"en": "Urban water cycles", "ja": "都市の水循環"}[lang]
				if !strings.Contains(text, want) {
					t.Errorf("%s %s: the page does not show %q", page.name, lang, want)
				}
				if width == 360 {
					if overflow := get(t, ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth - document.documentElement.clientWidth`)); overflow > 0 {
						t.Errorf("%s %s: the page scrolls sideways by %dpx at 360px", page.name, lang, overflow)
					}
				} else if v := runAxe(t, ctx, axe).serious(); len(v) > 0 {
					t.Errorf("%s %s: axe: %v", page.name, lang, v)
				}
				if shots != "" {
					png := get(t, ctx, chromedp.FullScreenshot(100))
					name := page.name + "-public-" + lang + "-" + strconv.Itoa(int(width)) + ".png"
					if err := os.WriteFile(filepath.Join(shots, name), png, 0o644); err != nil {
						t.Fatal(err)
					}
				}
			}
		}
	}
	// The decision form, refused with its field errors, and a project's
	// reports page, signed in.
	third := f.submit(t, "三つ目の申請", "A third proposal", f.other, f.colead)
	do(t, ctx, chromedp.EmulateViewport(1280, 900),
		chromedp.Navigate(as.URL+"/en/signin"),
		chromedp.SetValue(chromedp.CSS(`input[name="email"]`), f.chair.Email),
		chromedp.SetValue(chromedp.CSS(`input[name="password"]`), testPassword),
		chromedp.Click(chromedp.CSS(`main form button[type="submit"]`)),
	)
	arrive(t, ctx, "/en/account")
	for _, lang := range []string{"en", "ja"} {
		do(t, ctx, chromedp.Navigate(as.URL+"/"+lang+"/proposals/"+strconv.FormatInt(third.ID, 10)+"/decision"),
			chromedp.WaitVisible(chromedp.CSS(`form.decision-form`)),
			chromedp.Click(chromedp.CSS(`#f-outcome-award`)),
			chromedp.SetValue(chromedp.CSS(`#f-meeting`), "2026-12-01"),
			chromedp.Click(chromedp.CSS(`form.decision-form button[type="submit"]`)),
			chromedp.WaitVisible(chromedp.CSS(`.alert`)))
		if v := runAxe(t, ctx, axe).serious(); len(v) > 0 {
			t.Errorf("decision %s: axe: %v", lang, v)
		}
		if shots != "" {
			png := get(t, ctx, chromedp.FullScreenshot(100))
			if err := os.WriteFile(filepath.Join(shots, "decision-errors-"+lang+"-1280.png"), png, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}
