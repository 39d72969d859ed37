package web

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"partnerhub/store/storetest"
)

// TestBrowserProposalForm: the proposal form, signed in as the lead
// applicant, in both languages, wide and narrow: no serious accessibility
// problem, no sideways scrolling; a budget over the ceiling is refused at
// the budget with everything typed kept. PARTNERHUB_SCREENSHOTS=dir keeps
// pictures of it.
func TestBrowserProposalForm(t *testing.T) {
	t.Parallel() // in a browser context of its own; see browser
	ps := newProposalServer(t, storetest.Engines()[0])
	ctx := browser(t)
	r := ps.send(t, "POST", "/en/calls/princeton-fund/10/proposals/new", proposalFormValues(ps, "12,000"), ps.cookie["applicant"])
	if r.status != 303 {
		t.Fatalf("create: %d", r.status)
	}
	page := strings.TrimSuffix(r.header.Get("Location"), "?saved=1")
	page = strings.TrimPrefix(page, "/en")
	mine := ps.mine(t)
	if _, err := ps.db.AddProposalFile(context.Background(), ps.applicant, "utokyo", mine[0].ID, "cv", "履歴書.pdf", storetest.PDF("CV"), ps.srv.deps.Now()); err != nil {
		t.Fatal(err)
	}
	do(t, ctx,
		chromedp.Navigate(ps.URL+"/en/signin"),
		chromedp.SetValue(chromedp.CSS(`input[name="email"]`), ps.applicant.Email),
		chromedp.SetValue(chromedp.CSS(`input[name="password"]`), testPassword),
		chromedp.Click(chromedp.CSS(`main form button[type="submit"]`)),
	)
	arrive(t, ctx, "/en/account")
	axe, err := os.ReadFile("testdata/axe-core/axe.min.js")
	if err != nil {
		t.Fatal(err)
	}
	shots := os.Getenv("PARTNERHUB_SCREENSHOTS")
	shoot := func(name string) {
		if shots == "" {
			return
		}
		png := get(t, ctx, chromedp.FullScreenshot(100))
		if err := os.WriteFile(filepath.Join(shots, name+".png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, lang := range []string{"en", "ja"} {
		path := "/" + lang + page
		do(t, ctx, chromedp.EmulateViewport(1280, 900), chromedp.Navigate(ps.URL+path), chromedp.WaitReady(chromedp.CSS("footer")))
		for _, v := range runAxe(t, ctx, axe).serious() {
			t.Errorf("%s: %s", path, v)
		}
		for _, width := range []int64{1280, 390, 360} {
			do(t, ctx, chromedp.EmulateViewport(width, 900), chromedp.Navigate(ps.URL+path), chromedp.WaitReady(chromedp.CSS("footer")))
			if overflow := get(t, ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth - document.documentElement.clientWidth`)); overflow > 0 {
				wide := get(t, ctx, chromedp.Evaluate[string](`[...document.querySelectorAll('main *')].filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1).slice(-3).map(e => e.tagName + '.' + e.className + '#' + e.id + ' ' + Math.round(e.getBoundingClientRect().right)).join(', ')`))
				t.Errorf("%s scrolls sideways by %dpx at %dpx: %s", path, overflow, width, wide)
			}
			if width != 360 {
				shoot("proposal-" + lang + "-" + strconv.FormatInt(width, 10))
			}
		}
		// The totals follow what is typed; over the ceiling is said at once,
		// and the save is refused at the budget, what was typed kept.
		do(t, ctx, chromedp.EmulateViewport(1280, 900), chromedp.Navigate(ps.URL+path), chromedp.WaitReady(chromedp.CSS("footer")),
			chromedp.SendKeys(chromedp.CSS(`input[name="budget.partner.1.personnel"]`), "20000"))
		if got := get(t, ctx, chromedp.Evaluate[string](`document.querySelector('table[data-side="partner"] [data-total="side"]').textContent + '|' + document.querySelector('table[data-side="partner"] [data-over]').hidden`)); got != "USD 32,000|false" {
			t.Errorf("%s: the partner's total as typed: %q", path, got)
		}
		do(t, ctx, chromedp.Click(chromedp.CSS(`button[name="action"][value="save"]`)),
			chromedp.WaitVisible(chromedp.CSS(`#e-budget`)))
		if v := get(t, ctx, chromedp.Evaluate[string](`document.querySelector('input[name="budget.partner.1.personnel"]').value`)); v != "20000" {
			t.Errorf("%s: the amount typed is lost: %q", path, v)
		}
		shoot("proposal-refused-" + lang + "-1280")
	}
}
