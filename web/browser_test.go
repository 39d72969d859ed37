package web

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"partnerhub/store/storetest"
)

// browser gives a test a tab of its own in the test binary's headless
// Chromium, in a browser context of its own (a fresh profile: cookies,
// storage, cache), so that browser tests can run side by side as the
// parallel tests they are. Without Chromium on the machine the browser
// tests are skipped; .ci/run installs it and fails on such a skip.
func browser(t *testing.T) context.Context {
	t.Helper()
	path := chromiumPath(t)
	bctx, err := sharedChromium.start(path)
	if err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	ctx, cancel := chromedp.NewContext(bctx, chromedp.WithNewBrowserContext())
	// A guard against a hang, not a measure: browser tests share the
	// machine with one another and with other packages' tests (CI gives
	// go test 25 minutes, so a hang still fails here, at its step).
	ctx, cancelTimeout := context.WithTimeout(ctx, 20*time.Minute)
	t.Cleanup(func() { cancelTimeout(); cancel() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("open a tab in Chromium: %v", err)
	}
	// Each tab is in a window of its own, and only one window has the
	// focus; the page behaves as the focused page of a browser of its own
	// (keyboard focus, :focus styles, focus events) whatever runs beside it.
	if _, err := chromedp.Call(ctx, emulation.SetFocusEmulationEnabled, emulation.SetFocusEmulationEnabledParams{Enabled: true}); err != nil {
		t.Fatalf("emulate focus: %v", err)
	}
	return ctx
}

// chromiumPath is the Chromium to run, or skips the test: under -short,
// or when the machine has none.
func chromiumPath(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("go test -short leaves out the browser tests; run without -short for them")
	}
	if path := os.Getenv("PARTNERHUB_CHROMIUM"); path != "" {
		return path
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("no Chromium: install Debian's chromium (and fonts-noto-cjk) to run the browser tests")
	return ""
}

// sharedChromium is the test binary's one Chromium, started by the first
// browser test and stopped by TestMain: starting Chromium for each test
// cost seconds of both CPUs each time, and the tests are isolated from
// one another by their browser contexts (see browser).
var sharedChromium = &chromium{}

type chromium struct {
	once sync.Once
	dir  string // its profile, removed when it stops
	ctx  context.Context
	stop func()
	err  error
}

// start starts Chromium at path once and returns the context of its first
// tab, from which each test's context derives.
func (c *chromium) start(path string) (context.Context, error) {
	c.once.Do(func() {
		if c.dir, c.err = os.MkdirTemp("", "partnerhub-chromium-"); c.err != nil {
			return
		}
		opts := append(chromedp.DefaultExecAllocatorOptions[:],
			chromedp.ExecPath(path),
			chromedp.NoSandbox,
			chromedp.DisableGPU,
			chromedp.Flag("disable-background-networking", true),
			chromedp.Flag("disable-component-update", true),
			chromedp.Flag("disable-sync", true),
			chromedp.Flag("disable-quic", true),
			chromedp.UserDataDir(c.dir),
			chromedp.WindowSize(1280, 1000), // each browser context's windows have it too
		)
		actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
		ctx, cancel := chromedp.NewContext(actx)
		c.ctx, c.stop = ctx, func() { cancel(); cancelAlloc() }
		c.err = chromedp.Do(ctx)
	})
	return c.ctx, c.err
}

// close stops Chromium, if a test started it, and removes its profile.
func (c *chromium) close() {
	c.once.Do(func() {}) // no test may start it now
	if c.stop != nil {
		c.stop()
	}
	if c.dir != "" {
		os.RemoveAll(c.dir)
	}
}

// do runs browser steps, failing the test on error.
func do(t *testing.T, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	err := chromedp.Do(ctx, steps...)
	if err != nil && strings.Contains(err.Error(), "No node with given id found") {
		// chromedp found the node in the document the page had a moment
		// before (a navigation had just replaced it), and Chromium no
		// longer knows it: nothing was done to it. The steps are
		// navigations, values set and clicks that failed before they
		// acted, so they are run once more on the page as it is now.
		// Several browser tests share the machine's CPUs, which makes
		// that moment longer.
		t.Logf("the page changed under a step (%v); once more", err)
		time.Sleep(200 * time.Millisecond)
		err = chromedp.Do(ctx, steps...)
	}
	if err != nil {
		t.Fatal(err)
	}
}

// get runs one browser action that returns a value.
func get[T any](t *testing.T, ctx context.Context, a chromedp.Action[T]) T {
	t.Helper()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// arrive waits until the browser shows path (and query, if given).
func arrive(t *testing.T, ctx context.Context, pathAndQuery string) {
	t.Helper()
	js := fmt.Sprintf(`location.pathname + location.search === %q`, pathAndQuery)
	if !strings.Contains(pathAndQuery, "?") {
		js = fmt.Sprintf(`location.pathname === %q`, pathAndQuery)
	}
	// Evaluate until true; while the page navigates, its JavaScript context
	// goes away and an evaluation fails, which only means "not yet".
	deadline := time.Now().Add(20 * time.Second)
	for {
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](js))
		if err == nil && ok {
			break
		}
		if time.Now().After(deadline) {
			loc, _ := chromedp.Run(ctx, chromedp.Location())
			t.Fatalf("did not arrive at %s; at %s (%v)", pathAndQuery, loc, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	do(t, ctx, chromedp.WaitReady(chromedp.CSS("footer")))
}

func TestBrowserJourney(t *testing.T) {
	t.Parallel() // in a browser context of its own; see browser
	ts := newTestServer(t, storetest.Engines()[0])
	ctx := browser(t)

	// Keyboard: the first Tab reaches the skip link.
	do(t, ctx, chromedp.Navigate(ts.URL+"/en/"), chromedp.KeyEvent("\t"))
	if active := get(t, ctx, chromedp.Evaluate[string](`document.activeElement.className`)); active != "skip" {
		t.Fatalf("first Tab focuses %q, want the skip link", active)
	}

	// Home → a partner → the same page in Japanese.
	do(t, ctx, chromedp.Click(chromedp.CSS(`main a[href="/en/partners/ntu"]`)))
	arrive(t, ctx, "/en/partners/ntu")
	if h1 := get(t, ctx, chromedp.Text(chromedp.CSS("h1"))); h1 != "National Taiwan University" {
		t.Fatalf("partner page h1 %q", h1)
	}
	do(t, ctx, chromedp.Click(chromedp.CSS(`header .lang-switch`)))
	arrive(t, ctx, "/ja/partners/ntu")
	if h1 := get(t, ctx, chromedp.Text(chromedp.CSS("h1"))); h1 != "国立台湾大学" {
		t.Fatalf("Japanese partner page h1 %q", h1)
	}

	// A filter, submitted as a reader would, lands in the URL.
	do(t, ctx,
		chromedp.Navigate(ts.URL+"/en/partners"),
		chromedp.SetValue(chromedp.CSS(`select[name="tier"]`), "prospective"),
		chromedp.SetValue(chromedp.CSS(`select[name="unit"]`), "eng"),
		chromedp.Click(chromedp.CSS(`form.filters button[type="submit"]`)),
	)
	arrive(t, ctx, "/en/partners?tier=prospective&unit=eng&country=&phase=")
	if n := get(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll("main .card").length`)); n != 6 {
		t.Fatalf("%d cards, want the 6 prospective partners with engineering", n)
	}
	// The language switch keeps the filter.
	do(t, ctx, chromedp.Click(chromedp.CSS(`header .lang-switch`)))
	arrive(t, ctx, "/ja/partners?tier=prospective&unit=eng&country=&phase=")
	if n := get(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll("main .card").length`)); n != 6 {
		t.Fatalf("after switching: %d cards", n)
	}

	// The map: clicking a point opens its partner.
	do(t, ctx,
		chromedp.Navigate(ts.URL+"/en/map"),
		chromedp.WaitVisible(chromedp.CSS(`svg.map`)),
		chromedp.Click(chromedp.CSS(`svg.map a[href="/en/partners/pku"] circle`)),
	)
	arrive(t, ctx, "/en/partners/pku")
	if h1 := get(t, ctx, chromedp.Text(chromedp.CSS("h1"))); h1 != "Peking University" {
		t.Fatalf("after clicking the map: h1 %q", h1)
	}
}

// runAxe runs axe-core on the page the browser shows.
func runAxe(t *testing.T, ctx context.Context, axe []byte) axeResult {
	t.Helper()
	get(t, ctx, chromedp.Evaluate[bool](string(axe)+"\n;true"))
	raw := get(t, ctx, chromedp.Evaluate[string](`axe.run(document, {resultTypes: ["violations"]}).then(r => JSON.stringify(r))`, chromedp.EvalAwaitPromise))
	var res axeResult
	if err := json.Unmarshal([]byte(raw), &res); err != nil {
		t.Fatal(err)
	}
	return res
}

// serious lists the serious and critical violations, for an error message.
func (r axeResult) serious() []string {
	var out []string
	for _, v := range r.Violations {
		if v.Impact == "serious" || v.Impact == "critical" {
			var targets []string
			for _, n := range v.Nodes[:min(3, len(v.Nodes))] {
				targets = append(targets, fmt.Sprint(n.Target...))
			}
			out = append(out, fmt.Sprintf("%s (%s): %s; e.g. %s", v.ID, v.Impact, v.Help, strings.Join(targets, " | ")))
		}
	}
	return out
}

type axeResult struct {
	Violations []axeViolation `json:"violations"`
}

type axeViolation struct {
	ID     string `json:"id"`
	Impact string `json:"impact"`
	Help   string `json:"help"`
	Nodes  []struct {
		Target []any `json:"target"`
	} `json:"nodes"`
}

// TestBrowserAccessibility runs axe-core (vendored for tests) on every page
// type in both languages and fails on serious or critical violations.
func TestBrowserAccessibility(t *testing.T) {
	t.Parallel() // in a browser context of its own; see browser
	axe, err := os.ReadFile("testdata/axe-core/axe.min.js")
	if err != nil {
		t.Fatal(err)
	}
	ts := newTestServer(t, storetest.Engines()[0])
	ctx := browser(t)
	check := func(url string, width int64) axeResult {
		t.Helper()
		do(t, ctx,
			chromedp.EmulateViewport(width, 900),
			chromedp.Navigate(url),
			chromedp.WaitReady(chromedp.CSS("body")),
		)
		return runAxe(t, ctx, axe)
	}
	// First a page with known faults, so the check cannot pass by not looking.
	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, `<!doctype html><html><head><title>x</title></head><body><img src="/a.png"><button></button></body></html>`)
	}))
	defer bad.Close()
	if res := check(bad.URL, 1280); !slices.ContainsFunc(res.Violations, func(v axeViolation) bool { return v.Impact == "critical" }) {
		t.Fatalf("axe found no critical violation on a page with an unlabelled image and button: %+v", res)
	}
	pages := append([]string{"/nope-404"}, pagesToCheck...)
	for _, lang := range []string{"en", "ja"} {
		for _, p := range pages {
			path := "/" + lang + p
			for _, width := range []int64{1280, 390} {
				for _, v := range check(ts.URL+path, width).serious() {
					t.Errorf("%s at %dpx: %s", path, width, v)
				}
			}
		}
	}
}

// TestBrowserNarrowLayout checks that no page scrolls sideways at 360 px:
// wide content (the matrix) scrolls inside its own box.
func TestBrowserNarrowLayout(t *testing.T) {
	t.Parallel() // in a browser context of its own; see browser
	ts := newTestServer(t, storetest.Engines()[0])
	ctx := browser(t)
	for _, lang := range []string{"en", "ja"} {
		for _, p := range pagesToCheck {
			do(t, ctx,
				chromedp.EmulateViewport(360, 800),
				chromedp.Navigate(ts.URL+"/"+lang+p),
				chromedp.WaitReady(chromedp.CSS("footer")),
			)
			overflow := get(t, ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth - document.documentElement.clientWidth`))
			if overflow > 0 {
				t.Errorf("/%s%s scrolls sideways by %dpx at 360px", lang, p, overflow)
			}
		}
	}
}
