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

// TestBrowserFundReview: a reviewer is told at the field, in both
// languages, when a score is off the scale; the review form and the
// ranking pass axe and do not scroll sideways on a phone.
// PARTNERHUB_SCREENSHOTS=dir keeps pictures of both in ja and en.
func TestBrowserFundReview(t *testing.T) {
	t.Parallel() // in a browser context of its own; see browser
	f := newReviewFixture(t, storetest.Engines()[0])
	ctx := browser(t)
	shots := os.Getenv("PARTNERHUB_SCREENSHOTS")
	shot := func(name string) {
		if shots == "" {
			return
		}
		png := get(t, ctx, chromedp.FullScreenshot(100))
		if err := os.WriteFile(filepath.Join(shots, name), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	signIn := func(email string) {
		do(t, ctx,
			chromedp.Navigate(f.URL+"/en/signin"),
			chromedp.SetValue(chromedp.CSS(`input[name="email"]`), email),
			chromedp.SetValue(chromedp.CSS(`input[name="password"]`), testPassword),
			chromedp.Click(chromedp.CSS(`main form button[type="submit"]`)),
		)
		arrive(t, ctx, "/en/account")
	}
	axe, err := os.ReadFile("testdata/axe-core/axe.min.js")
	if err != nil {
		t.Fatal(err)
	}
	check := func(path string) {
		do(t, ctx, chromedp.EmulateViewport(1280, 900), chromedp.Navigate(f.URL+path), chromedp.WaitReady(chromedp.CSS("footer")))
		for _, v := range runAxe(t, ctx, axe).serious() {
			t.Errorf("%s: %s", path, v)
		}
		for _, width := range []int64{390, 360} {
			do(t, ctx, chromedp.EmulateViewport(width, 900), chromedp.Navigate(f.URL+path), chromedp.WaitReady(chromedp.CSS("footer")))
			if overflow := get(t, ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth - document.documentElement.clientWidth`)); overflow > 0 {
				t.Errorf("%s scrolls sideways by %dpx at %dpx", path, overflow, width)
			}
		}
		do(t, ctx, chromedp.EmulateViewport(1280, 900))
	}

	signIn(f.reviewer.Email)
	for lang, want := range map[string]string{"en": "Give a score from 1 to 5.", "ja": "1"} {
		page := "/" + lang + "/proposals/" + idStr(f.y.ID) + "/review"
		check(page)
		do(t, ctx, chromedp.Navigate(f.URL+page), chromedp.WaitReady(chromedp.CSS("footer")),
			chromedp.SetValue(chromedp.CSS(`#f-scores-merit`), "9"),
			chromedp.SetValue(chromedp.CSS(`#f-scores-collab`), "4"),
			chromedp.SetValue(chromedp.CSS(`#f-for_committee`), "A careful plan; the budget for travel is high."),
			chromedp.Click(chromedp.CSS(`button[value="draft"]`)),
			chromedp.WaitVisible(chromedp.CSS(`#err-scores-merit`)),
		)
		if msg := get(t, ctx, chromedp.Text(chromedp.CSS(`#err-scores-merit`))); !strings.Contains(msg, want) {
			t.Errorf("%s: the refusal at the field: %q", lang, msg)
		}
		shot(fmt.Sprintf("review-form-%s-1280.png", lang))
	}
	signIn(f.chair.Email)
	for _, lang := range []string{"en", "ja"} {
		path := "/" + lang + "/calls/" + reviewFund + "/1/ranking"
		check(path)
		do(t, ctx, chromedp.Navigate(f.URL+path), chromedp.WaitReady(chromedp.CSS("footer")))
		shot(fmt.Sprintf("ranking-%s-1280.png", lang))
		do(t, ctx, chromedp.EmulateViewport(390, 900), chromedp.Navigate(f.URL+path), chromedp.WaitReady(chromedp.CSS("footer")))
		shot(fmt.Sprintf("ranking-%s-390.png", lang))
		do(t, ctx, chromedp.EmulateViewport(1280, 900))
		board := "/" + lang + "/calls/" + reviewFund + "/1/review"
		check(board)
		do(t, ctx, chromedp.Navigate(f.URL+board), chromedp.WaitReady(chromedp.CSS("footer")))
		shot(fmt.Sprintf("review-board-%s-1280.png", lang))
	}
}
