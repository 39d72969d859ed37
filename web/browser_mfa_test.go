package web

import (
	"context"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"

	"partnerhub"
	"partnerhub/store/storetest"
)

// TestBrowserPasskey registers a passkey in Chromium's virtual
// authenticator (the DevTools protocol's WebAuthn domain) on the account
// page, then signs in with the password and the passkey: mfa.js, the
// WebAuthn ceremonies and the relying party made from the base URL, end to
// end. The administrator is held at enrolment until the passkey exists.
func TestBrowserPasskey(t *testing.T) {
	t.Parallel() // in a browser context of its own; see browser
	ctx := browser(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	// WebAuthn takes a host name, not an address, for the relying party.
	base := "http://localhost:" + strings.TrimPrefix(ln.Addr().String(), "127.0.0.1:")
	ts := newMFAServer(t, storetest.Engines()[0], base, ln)
	admin := ts.addUser(t, "admin@example.ac.jp", partnerhub.RoleAdmin)

	if _, err := chromedp.Call(ctx, webauthn.Enable, webauthn.EnableParams{}); err != nil {
		t.Fatal(err)
	}
	auth, err := chromedp.Call(ctx, webauthn.AddVirtualAuthenticator, webauthn.AddVirtualAuthenticatorParams{Options: &webauthn.VirtualAuthenticatorOptions{
		Protocol: webauthn.AuthenticatorProtocolCtap2, Ctap2version: webauthn.Ctap2versionCtap21, Transport: webauthn.AuthenticatorTransportInternal,
		HasResidentKey: true, HasUserVerification: true, IsUserVerified: true, AutomaticPresenceSimulation: true}})
	if err != nil {
		t.Fatal(err)
	}

	axe, err := os.ReadFile("testdata/axe-core/axe.min.js")
	if err != nil {
		t.Fatal(err)
	}
	// audit checks pages with axe, and that they fit a phone's width.
	audit := func(paths ...string) {
		t.Helper()
		for _, path := range paths {
			do(t, ctx, chromedp.EmulateViewport(1280, 900), chromedp.Navigate(base+path), chromedp.WaitReady(chromedp.CSS("footer")))
			for _, v := range runAxe(t, ctx, axe).serious() {
				t.Errorf("%s: %s", path, v)
			}
			do(t, ctx, chromedp.EmulateViewport(360, 800), chromedp.Navigate(base+path), chromedp.WaitReady(chromedp.CSS("footer")))
			if overflow := get(t, ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth - document.documentElement.clientWidth`)); overflow > 0 {
				t.Errorf("%s scrolls sideways by %dpx at 360px", path, overflow)
			}
		}
		do(t, ctx, chromedp.EmulateViewport(1280, 900))
	}

	signIn := func() {
		t.Helper()
		do(t, ctx,
			chromedp.Navigate(base+"/en/signin"),
			chromedp.SetValue(chromedp.CSS(`input[name="email"]`), admin.Email),
			chromedp.SetValue(chromedp.CSS(`input[name="password"]`), testPassword),
			chromedp.Click(chromedp.CSS(`main form button[type="submit"]`)),
		)
	}
	// No factor yet: the password alone signs in, and the administrator is
	// sent to enrol.
	signIn()
	arrive(t, ctx, "/en/account/mfa")
	if msg := get(t, ctx, chromedp.Text(chromedp.CSS("main .alert"))); !strings.Contains(msg, "Administrators must") {
		t.Fatalf("no reason to be here: %q", msg)
	}
	do(t, ctx,
		chromedp.SetValue(chromedp.CSS(`#passkey-register input[name="name"]`), "Virtual key"),
		chromedp.Click(chromedp.CSS(`#passkey-register button`)),
	)
	arrive(t, ctx, "/en/account/mfa?done=passkey")
	if body := get(t, ctx, chromedp.Text(chromedp.CSS("main"))); !strings.Contains(body, "Virtual key") || !strings.Contains(body, "Your passkey is registered") {
		t.Fatalf("after registering: %s", body)
	}
	creds, err := chromedp.Call(ctx, webauthn.GetCredentials, webauthn.GetCredentialsParams(auth))
	if err != nil || len(creds.Credentials) != 1 {
		t.Fatalf("the authenticator holds %v (%v)", creds, err)
	}
	// With a TOTP enrolment under way too: the QR code and the secret.
	do(t, ctx, chromedp.Navigate(base+"/en/account/mfa"), chromedp.Click(chromedp.CSS(`form[action="/en/account/mfa/totp"] button`)))
	// The page is the same before and after the POST: wait for the image.
	do(t, ctx, chromedp.WaitReady(chromedp.CSS("img.mfa-qr")))
	for deadline := time.Now().Add(20 * time.Second); ; {
		if done, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector("img.mfa-qr").complete`)); err == nil && done {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the QR code does not finish loading")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if w := get(t, ctx, chromedp.Evaluate[int](`document.querySelector("img.mfa-qr").naturalWidth`)); w == 0 {
		t.Fatal("the QR code does not load")
	}
	audit("/en/account/mfa", "/ja/account/mfa")
	// The gate opens.
	do(t, ctx, chromedp.Navigate(base+"/en/admin/audit"))
	arrive(t, ctx, "/en/admin/audit")

	do(t, ctx, chromedp.Navigate(base+"/en/account"), chromedp.Click(chromedp.CSS(`form[action="/en/signout"] button`)))
	arrive(t, ctx, "/en/")

	// Now the password leads to the second step, and the passkey finishes.
	signIn()
	arrive(t, ctx, "/en/signin/factor")
	audit("/ja/signin/factor", "/en/signin/factor")
	do(t, ctx, chromedp.Click(chromedp.CSS(`#passkey-signin`)))
	arrive(t, ctx, "/en/account")
	if body := get(t, ctx, chromedp.Text(chromedp.CSS("main"))); !strings.Contains(body, admin.Email) {
		t.Fatalf("not signed in: %s", body)
	}
	f, err := ts.db.Factors(context.Background(), admin.ID)
	if err != nil || len(f.Passkeys) != 1 || f.Passkeys[0].LastUsedAt == nil {
		t.Fatalf("the passkey's use is not recorded: %+v %v", f.Passkeys, err)
	}
}
