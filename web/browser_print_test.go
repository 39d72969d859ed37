package web

import (
	"context"
	"regexp"
	"strconv"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"partnerhub"
	"partnerhub/store/storetest"
)

// pdfPages reads the page count of a PDF from its page tree.
var pdfPages = regexp.MustCompile(`/Type\s*/Pages\b[^>]*?/Count\s+(\d+)|/Count\s+(\d+)[^>]*?/Type\s*/Pages\b`)

// TestBrowserPrintsPartnersOnOnePage prints every partner page in both
// languages as the browser prints it (A4 from the page's CSS) and fails on
// a second page. The page's address and date are printed at its foot.
func TestBrowserPrintsPartnersOnOnePage(t *testing.T) {
	t.Parallel() // in a browser context of its own; see browser
	ts := newTestServer(t, storetest.Engines()[0])
	ctx := browser(t)
	print := func(ctx context.Context, tg *chromedp.Target) ([]byte, error) {
		res, err := cdp.Call(ctx, tg, cdppage.PrintToPDF, cdppage.PrintToPDFParams{PreferCSSPageSize: new(true)})
		return res.Data, err
	}
	for _, lang := range []string{"en", "ja"} {
		for _, p := range ts.srv.snap.Load().index.Partners(partnerhub.PartnerFilter{}) {
			path := "/" + lang + "/partners/" + p.Slug
			do(t, ctx, chromedp.Navigate(ts.URL+path), chromedp.WaitReady(chromedp.CSS("footer")))
			pdf := get(t, ctx, chromedp.Action[[]byte](print))
			m := pdfPages.FindSubmatch(pdf)
			if m == nil {
				t.Fatalf("%s: no page tree in the PDF", path)
			}
			n, _ := strconv.Atoi(string(m[1]) + string(m[2]))
			if n != 1 {
				t.Errorf("%s prints on %d pages", path, n)
			}
		}
	}
	footer := get(t, ctx, chromedp.Evaluate[string](`document.querySelector("footer .print-only").textContent`))
	if want := ts.srv.deps.BaseURL + "/ja/partners/"; !regexp.MustCompile(regexp.QuoteMeta(want) + `\S+ より印刷（\d{4}年\d{1,2}月\d{1,2}日時点の内容）`).MatchString(footer) {
		t.Errorf("printed footer %q", footer)
	}
}
