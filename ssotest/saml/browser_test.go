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

	"partnerhub"
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

// screenshots takes a page in both languages at 1280 and 390 px, when
// PARTNERHUB_SCREENSHOTS names a folder, for the README.
func screenshots(t *testing.T, ctx context.Context, name, base, path string) {
	t.Helper()
	dir := os.Getenv("PARTNERHUB_SCREENSHOTS")
	if dir == "" {
		return
	}
	for _, lang := range []string{"en", "ja"} {
		for _, w := range []int64{1280, 390} {
			run(t, ctx, chromedp.EmulateViewport(w, 900), chromedp.Navigate(base+"/"+lang+path), chromedp.WaitReady(chromedp.CSS("footer")))
			png := get(t, ctx, chromedp.FullScreenshot(100))
			if err := os.WriteFile(filepath.Join(dir, name+"-"+lang+"-"+strconv.FormatInt(w, 10)+".png"), png, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	run(t, ctx, chromedp.EmulateViewport(1280, 900))
}

// The journey in Chromium, through SimpleSAMLphp's own login form: the
// sign-in page offers the federation, the discovery page lists and finds
// institutions in both languages; a pre-authorised faculty member lands
// with their role, signs out here and at the IdP (single logout); the
// choice is remembered; an identity nobody let in signs in at the IdP and
// gets no access here beyond the public.
func TestSAMLBrowserSignIn(t *testing.T) {
	t.Parallel()
	ctx := chromium(t)
	haveSimpleSAMLphp(t)
	// One engine is enough in the browser: the protocol is the same on
	// both, and TestSAMLRefusals and TestSAMLRoles run on both. A
	// federation's aggregate from a file, beside the IdP's own metadata:
	// a list to search.
	s := newSite(t, storetest.Engines()[0], sso.SAMLMetadataSource{MetadataFile: "testdata/federation.xml"})
	s.preauthorise(t, "tanaka@example.ac.jp", partnerhub.RoleViewer)
	screenshots(t, ctx, "saml-signin", s.base, "/signin")
	screenshots(t, ctx, "saml-discovery", s.base, "/signin/saml")

	// The sign-in page offers the federation; the discovery page lists
	// every institution by its names in both languages.
	run(t, ctx, chromedp.Navigate(s.base+"/ja/signin?next=/ja/account"))
	waitPath(t, ctx, "/ja/signin")
	run(t, ctx, chromedp.Click(chromedp.CSS(`.sso-list a`)))
	waitPath(t, ctx, "/ja/signin/saml")
	run(t, ctx, chromedp.Navigate(s.base+"/en/signin?next=/en/account"))
	waitPath(t, ctx, "/en/signin")
	if choice := get(t, ctx, chromedp.Text(chromedp.CSS(`.sso-list a`))); choice != "Your university (GakuNin / eduGAIN)" {
		t.Fatalf("the sign-in page offers %q", choice)
	}
	run(t, ctx, chromedp.Click(chromedp.CSS(`.sso-list a`)))
	waitPath(t, ctx, "/en/signin/saml")
	shown := func() string {
		return get(t, ctx, chromedp.Evaluate[string](`Array.from(document.querySelectorAll('#saml-idps li:not([hidden]) .saml-name')).map(e => e.textContent).join('|')`))
	}
	if got := shown(); got != "Example University|Hokuto University|Kaiyo Research Organization|Minato Institute of Technology|Northlake University|Sakura Medical University|University of Rheinfeld" {
		t.Fatalf("listed: %s", got)
	}
	if other := get(t, ctx, chromedp.Text(chromedp.CSS(`#saml-idps li .saml-other`))); other != "例示大学" {
		t.Fatalf("the other language's name: %q", other)
	}

	// The search narrows the list as one types, in either language.
	search := func(q string) {
		get(t, ctx, chromedp.Evaluate[bool](`document.getElementById('saml-q').value = ''; true`))
		run(t, ctx, chromedp.SendKeys(chromedp.CSS(`#saml-q`), q))
	}
	search("nowhere")
	if got := shown(); got != "" || get(t, ctx, chromedp.Evaluate[bool](`document.getElementById('saml-none').hidden`)) {
		t.Fatalf("a search for nowhere lists %q, or does not say so", got)
	}
	for q, want := range map[string]string{"例示": "Example University", "university": "Example University|Hokuto University|Northlake University|Sakura Medical University|University of Rheinfeld", "minato-tech": "Minato Institute of Technology"} {
		search(q)
		if got := shown(); got != want {
			t.Fatalf("a search for %s lists %s, want %s", q, got, want)
		}
	}

	// A pre-authorised faculty member, through the IdP's login form, lands
	// on the page they asked for with the role they were given.
	search("例示")
	run(t, ctx, chromedp.Click(chromedp.CSS(`#saml-idps li:not([hidden]) a`)))
	idpLogin(t, ctx, "tanaka")
	waitPath(t, ctx, "/en/account")
	account := get(t, ctx, chromedp.Text(chromedp.CSS("main")))
	if !strings.Contains(account, "Viewer") || !strings.Contains(account, "tanaka.hanako@example.ac.jp") {
		t.Fatalf("the account page after SAML sign-in:\n%s", account)
	}
	if !s.logged(`"event":"saml_accepted"`, `"subject":"tanaka@example.ac.jp"`) || !s.logged(`"event":"signed_in"`, `"subject":"tanaka@example.ac.jp"`) {
		t.Fatalf("sign-in not logged:\n%s", tail(s.logs.String(), 2000))
	}

	// Signing out here offers the IdP's single logout, which ends the
	// session there and comes back.
	run(t, ctx, chromedp.Click(chromedp.CSS(`form[action$="/signout"] button`)))
	run(t, ctx, chromedp.WaitVisible(chromedp.CSS(`#saml-logout`)))
	if link := get(t, ctx, chromedp.Text(chromedp.CSS(`#saml-logout`))); link != "Sign out at Example University too" {
		t.Fatalf("single logout link %q", link)
	}
	run(t, ctx, chromedp.Click(chromedp.CSS(`#saml-logout`)))
	waitPath(t, ctx, "/en/")

	// The discovery page remembers the choice; the IdP asks for a password
	// again (its session ended); an identity nobody let in is told so,
	// and gets nothing beyond the public.
	run(t, ctx, chromedp.Navigate(s.base+"/ja/signin/saml"))
	waitPath(t, ctx, "/ja/signin/saml")
	last := get(t, ctx, chromedp.Text(chromedp.CSS(`.saml-last`)))
	if !strings.Contains(last, "前回選んだ機関") || !strings.Contains(last, "例示大学") {
		t.Fatalf("last choice: %q", last)
	}
	run(t, ctx, chromedp.Click(chromedp.CSS(`.saml-last a`)))
	idpLogin(t, ctx, "stranger")
	waitPath(t, ctx, "/saml/acs")
	page := get(t, ctx, chromedp.Text(chromedp.CSS("main")))
	if !strings.Contains(page, "No access here") || !strings.Contains(page, "A Stranger") {
		t.Fatalf("an unknown identity's page:\n%s", page)
	}
	run(t, ctx, chromedp.Navigate(s.base+"/en/account"))
	waitPath(t, ctx, "/en/signin")
}

// idpLogin fills SimpleSAMLphp's login form.
func idpLogin(t *testing.T, ctx context.Context, user string) {
	t.Helper()
	waitPath(t, ctx, "/module.php/core/loginuserpass.php")
	run(t, ctx, chromedp.WaitVisible(chromedp.CSS(`#password`)), chromedp.SendKeys(chromedp.CSS(`#username`), user),
		chromedp.SendKeys(chromedp.CSS(`#password`), "password"), chromedp.Submit(chromedp.CSS(`#password`)))
}
