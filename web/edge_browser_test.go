package web

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"partnerhub"
	"partnerhub/store/storetest"
)

// cspWatch makes every document the browser opens record the violations
// of its Content-Security-Policy in window.__csp. The script comes through
// DevTools, which the policy does not govern.
func cspWatch() chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, cdppage.AddScriptToEvaluateOnNewDocument, cdppage.AddScriptToEvaluateOnNewDocumentParams{Source: `
			window.__csp = [];
			document.addEventListener('securitypolicyviolation', e => {
				window.__csp.push(e.violatedDirective + ' ' + (e.blockedURI || 'inline') + ' ' + (e.sourceFile || '') + ':' + e.lineNumber + ' ' + (e.sample || ''));
			});`})
		return err
	})
}

// No page breaks the Content-Security-Policy: no inline script, style
// attribute or event handler on the public pages, the charts and maps, the
// sign-in and account pages, or the editing pages.
func TestBrowserNoCSPViolations(t *testing.T) {
	t.Parallel() // in a browser context of its own; see browser
	ts := newAuthServer(t, storetest.Engines()[0])
	ctx := browser(t)
	u := ts.addUser(t, "admin@example.ac.jp", partnerhub.RoleAdmin)
	// A mobility figure, so that the statistics pages draw their charts.
	form := map[string][]string{"partner": {"ntu"}, "unit": {"agr"}, "year": {"2023"}, "direction": {"inbound"}, "category": {"faculty"},
		"programme": {"visit"}, "count": {"3"}}
	if r := ts.send(t, "POST", "/en/edit/mobility/new", form, ts.signIn(t, u.Email)); r.status != 303 {
		t.Fatalf("mobility figure: %d %s", r.status, r.body)
	}
	do(t, ctx, cspWatch())
	check := func(path string) {
		t.Helper()
		do(t, ctx, chromedp.Navigate(ts.URL+path), chromedp.WaitReady(chromedp.CSS("footer")))
		// The policy's header arrived, so the browser enforces it.
		got := get(t, ctx, chromedp.Evaluate[[]string](`window.__csp`))
		if len(got) > 0 {
			t.Errorf("%s: Content-Security-Policy violations:\n%s", path, strings.Join(got, "\n"))
		}
	}
	for _, p := range []string{"/en/", "/ja/", "/en/partners", "/ja/partners/ntu", "/en/units", "/en/matrix", "/en/map", "/ja/map",
		"/en/phases", "/en/activities", "/en/agreements", "/en/stats", "/ja/stats", "/en/privacy", "/en/nowhere", "/nowhere", "/en/signin"} {
		check(p)
	}
	// The charts' sizing moved from a style attribute to the style sheet.
	check("/en/stats")
	if n := get(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll('svg.chart').length`)); n == 0 {
		t.Fatal("no chart on the statistics page")
	}
	if mw := get(t, ctx, chromedp.Evaluate[string](`getComputedStyle(document.querySelector('svg.chart')).maxWidth`)); mw != "100%" {
		t.Errorf("svg.chart max-width %q", mw)
	}
	do(t, ctx,
		chromedp.Navigate(ts.URL+"/en/signin"),
		chromedp.SendKeys(chromedp.CSS(`input[name="email"]`), u.Email),
		chromedp.SendKeys(chromedp.CSS(`input[name="password"]`), testPassword),
		chromedp.Click(chromedp.CSS(`main form button[type="submit"]`)),
	)
	arrive(t, ctx, "/en/account")
	for _, p := range []string{"/en/account", "/en/partners/ntu", "/en/edit/partner/ntu", "/en/edit/activity/new", "/en/admin/audit",
		"/en/admin/bin", "/en/mobility/import", "/en/stats"} {
		check(p)
	}
	// The token form answers with the token in code.token, which had a
	// style attribute.
	do(t, ctx,
		chromedp.Navigate(ts.URL+"/en/account"),
		chromedp.SendKeys(chromedp.CSS(`input[name="name"]`), "csp"),
		chromedp.Click(chromedp.CSS(`form.filters button[type="submit"]`)),
	)
	arrive(t, ctx, "/en/account/tokens")
	if got := get(t, ctx, chromedp.Evaluate[[]string](`window.__csp`)); len(got) > 0 {
		t.Errorf("token page: %s", strings.Join(got, "\n"))
	}
	if wrap := get(t, ctx, chromedp.Evaluate[string](`getComputedStyle(document.querySelector('code.token')).overflowWrap`)); wrap != "anywhere" {
		t.Errorf("code.token overflow-wrap %q: the style sheet does not do what the attribute did", wrap)
	}
}
