package web

import (
	"net/url"
	"testing"

	"github.com/chromedp/chromedp"

	"partnerhub/store/storetest"
)

// TestBrowserSearchBox: on a phone-wide window, a reader types in the
// header's search box and lands on the results, a partner's link among
// them.
func TestBrowserSearchBox(t *testing.T) {
	t.Parallel() // in a browser context of its own; see browser
	ts := newTestServer(t, storetest.Engines()[0])
	ctx := browser(t)
	do(t, ctx,
		chromedp.EmulateViewport(390, 844),
		chromedp.Navigate(ts.URL+"/ja/partners"),
		chromedp.WaitVisible(chromedp.CSS(`#site-search-q`)),
		chromedp.SendKeys(chromedp.CSS(`#site-search-q`), "清華\r"),
	)
	arrive(t, ctx, "/ja/search?q="+url.QueryEscape("清華"))
	n := get(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll('main a[href="/ja/partners/tsinghua"]').length`))
	if n == 0 {
		t.Fatal("no link to Tsinghua among the results")
	}
	if overflow := get(t, ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth - document.documentElement.clientWidth`)); overflow > 0 {
		t.Errorf("the results scroll sideways by %dpx at 390px", overflow)
	}
}
