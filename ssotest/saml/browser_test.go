package saml_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"partnerhub/sso"
	"partnerhub/store/storetest"
)

// chromium starts a headless Chromium of the test's own (this package has
// one browser test), or skips without one.
func chromium(t *testing.T) context.Context {
	t.Helper()
	if testing.Short() {
		t.Skip("go test -short leaves out the browser tests")
	}
	path := os.Getenv("PARTNERHUB_CHROMIUM")
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if path != "" {
			break
		}
		if p, err := exec.LookPath(name); err == nil {
			path = p
		}
	}
	if path == "" {
		t.Skip("SKIP-NO-CHROMIUM: install Debian's chromium (and fonts-noto-cjk) to run the SAML browser test")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1280, 900))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(func() { cancelTimeout(); cancel(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	return ctx
}

func run(t *testing.T, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatal(err)
	}
}

func get[T any](t *testing.T, ctx context.Context, a chromedp.Action[T]) T {
	t.Helper()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// waitPath waits until the browser shows a page at path.
func waitPath(t *testing.T, ctx context.Context, path string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		loc, err := chromedp.Run(ctx, chromedp.Evaluate[string](`location.pathname`))
		if err == nil && loc == path {
			break
		}
		if time.Now().After(deadline) {
			loc, _ := chromedp.Run(ctx, chromedp.Location())
			t.Fatalf("did not arrive at %s; at %s", path, loc)
		}
		time.Sleep(50 * time.Millisecond)
	}
	run(t, ctx, chromedp.WaitReady(chromedp.CSS("body")))
}

// A person signs in through the identity provider's own login form, in
// Chromium: the discovery page lists and finds the IdP in both languages,
// the IdP's form signs them in, its answer is posted back and accepted,
// and the discovery page remembers the choice. With
// PARTNERHUB_SCREENSHOTS=dir it also takes the README's screenshots.
func TestSAMLBrowserSignIn(t *testing.T) {
	ctx := chromium(t)
	haveSimpleSAMLphp(t)
	// One engine is enough in the browser: the protocol is the same on
	// both, and TestSAMLRefusals runs on both.
	// A federation's aggregate from a file, beside the IdP's own metadata:
	// a list to search.
	s := newSite(t, storetest.Engines()[0], sso.SAMLMetadataSource{MetadataFile: "testdata/federation.xml"})
	shots := os.Getenv("PARTNERHUB_SCREENSHOTS")

	for _, lang := range []string{"en", "ja"} {
		if shots != "" {
			for _, w := range []int64{1280, 390} {
				run(t, ctx, chromedp.EmulateViewport(w, 900), chromedp.Navigate(s.base+"/"+lang+"/signin/saml?next=/"+lang+"/account"),
					chromedp.WaitReady(chromedp.CSS("footer")))
				png := get(t, ctx, chromedp.FullScreenshot(100))
				if err := os.WriteFile(filepath.Join(shots, "saml-discovery-"+lang+"-"+strconv.FormatInt(w, 10)+".png"), png, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			run(t, ctx, chromedp.EmulateViewport(1280, 900))
		}
		run(t, ctx, chromedp.Navigate(s.base+"/"+lang+"/signin/saml?next=/"+lang+"/account"))
		waitPath(t, ctx, "/"+lang+"/signin/saml")
		names := get(t, ctx, chromedp.Text(chromedp.CSS(`#saml-idps`)))
		if !strings.Contains(names, "Example University") || !strings.Contains(names, "例示大学") {
			t.Fatalf("%s discovery page lists %q", lang, names)
		}
	}

	// The search narrows the list as one types, in either language.
	shown := func() string {
		return get(t, ctx, chromedp.Evaluate[string](`Array.from(document.querySelectorAll('#saml-idps li:not([hidden]) .saml-name')).map(e => e.textContent).join('|')`))
	}
	if got := shown(); got != "例示大学|北斗大学|海洋研究機構|港工業大学|ノースレイク大学|桜医科大学|ラインフェルト大学" {
		t.Fatalf("listed: %s", got)
	}
	run(t, ctx, chromedp.SendKeys(chromedp.CSS(`#saml-q`), "nowhere"))
	if got := shown(); got != "" || get(t, ctx, chromedp.Evaluate[bool](`document.getElementById('saml-none').hidden`)) {
		t.Fatalf("a search for nowhere lists %q, or does not say so", got)
	}
	for q, want := range map[string]string{"例示": "例示大学", "university": "例示大学|北斗大学|ノースレイク大学|桜医科大学|ラインフェルト大学", "minato-tech": "港工業大学"} {
		get(t, ctx, chromedp.Evaluate[bool](`document.getElementById('saml-q').value = ''; true`))
		run(t, ctx, chromedp.SendKeys(chromedp.CSS(`#saml-q`), q))
		if got := shown(); got != want {
			t.Fatalf("a search for %s lists %s, want %s", q, got, want)
		}
	}
	get(t, ctx, chromedp.Evaluate[bool](`document.getElementById('saml-q').value = ''; true`))
	run(t, ctx, chromedp.SendKeys(chromedp.CSS(`#saml-q`), "例示"))

	// Through the IdP's login form and back.
	run(t, ctx, chromedp.Click(chromedp.CSS(`#saml-idps a`)))
	waitPath(t, ctx, "/module.php/core/loginuserpass.php")
	run(t, ctx, chromedp.WaitVisible(chromedp.CSS(`#password`)), chromedp.SendKeys(chromedp.CSS(`#username`), "tanaka"),
		chromedp.SendKeys(chromedp.CSS(`#password`), "password"), chromedp.Submit(chromedp.CSS(`#password`)))
	deadline := time.Now().Add(30 * time.Second)
	for !s.logged(`"event":"saml_accepted"`, `"subject":"tanaka@example.ac.jp"`) {
		if time.Now().After(deadline) {
			loc, _ := chromedp.Run(ctx, chromedp.Location())
			body, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("body")))
			t.Fatalf("the IdP's answer was not accepted; at %s:\n%s\n%s", loc, body, tail(s.logs.String(), 2000))
		}
		time.Sleep(100 * time.Millisecond)
	}

	// The discovery page remembers the choice.
	run(t, ctx, chromedp.Navigate(s.base+"/ja/signin/saml"))
	waitPath(t, ctx, "/ja/signin/saml")
	last := get(t, ctx, chromedp.Text(chromedp.CSS(`.saml-last`)))
	if !strings.Contains(last, "前回選んだ機関") || !strings.Contains(last, "例示大学") {
		t.Fatalf("last choice: %q", last)
	}
}
