package web

import (
	"context"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"partnerhub"
	"partnerhub/authn"
	"partnerhub/i18n"
	"partnerhub/mail"
	"partnerhub/mail/mailpittest"
	"partnerhub/store/storetest"
)

// TestBrowserAgreementApproval: in a browser, on both engines, an
// agreement goes from draft through the built-in two-step chain to signed
// and in force. Each approver gets the request by mail (read back from a
// real SMTP server, Mailpit), in their own language, with a link that
// opens the agreement where they approve it.
func TestBrowserAgreementApproval(t *testing.T) {
	t.Parallel()    // in a browser context of its own; see browser
	chromiumPath(t) // skips without Chromium or under -short, before Mailpit starts
	mp := mailpittest.Start(t)
	axe, err := os.ReadFile("testdata/axe-core/axe.min.js")
	if err != nil {
		t.Fatal(err)
	}
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		ctx := browser(t) // one each: the engines run side by side
		bg := context.Background()
		db := e.OpenBuiltin(t)
		msgs, err := i18n.Load()
		if err != nil {
			t.Fatal(err)
		}
		srv, err := NewServer(bg, Deps{Source: db, Home: "utokyo", Messages: msgs, Accounts: db, Authenticator: authn.NewPasswords(db),
			Editor: db, Mobility: db, Mail: db, Notices: db, Chains: db})
		if err != nil {
			t.Fatal(err)
		}
		hs := httptest.NewServer(srv)
		t.Cleanup(hs.Close)
		db.SetMail(&mail.Composer{Messages: msgs, BaseURL: hs.URL})
		ts := &authServer{Server: hs, db: db, srv: srv}
		// Addresses of this engine only: the engines share one Mailpit.
		office := ts.addUser(t, "office-"+e.Name+"@example.ac.jp", partnerhub.RoleAdmin)
		coord := ts.addUser(t, "agr-"+e.Name+"@example.ac.jp", partnerhub.RoleCoordinator, "agr") // NTU's lead unit
		if err := db.SetMailLanguage(bg, office.ID, partnerhub.English, false); err != nil {
			t.Fatal(err)
		}
		if err := db.SetMailLanguage(bg, coord.ID, partnerhub.Japanese, false); err != nil {
			t.Fatal(err)
		}
		smtp, err := mail.ParseSMTP(mp.SMTPURL())
		if err != nil {
			t.Fatal(err)
		}
		from, _ := mail.ParseFrom("partnerships@example.ac.jp")
		sender := &mail.Sender{Outbox: db, SMTP: smtp, From: from}
		// mailTo sends the outbox and returns the one new message to addr.
		seen := map[string]bool{}
		mailTo := func(addr string) mailpittest.Message {
			t.Helper()
			if _, err := sender.Drain(bg); err != nil {
				t.Fatal(err)
			}
			var got []mailpittest.Message
			for _, s := range mp.Messages(t) {
				if seen[s.ID] || !slices.ContainsFunc(s.To, func(a struct{ Name, Address string }) bool { return a.Address == addr }) {
					continue
				}
				seen[s.ID] = true
				got = append(got, mp.Message(t, s.ID))
			}
			if len(got) != 1 {
				t.Fatalf("%d new messages to %s, want 1", len(got), addr)
			}
			return got[0]
		}
		signIn := func(email string) {
			t.Helper()
			do(t, ctx, chromedp.Navigate(hs.URL+"/en/signin"),
				chromedp.SetValue(chromedp.CSS(`input[name="email"]`), email),
				chromedp.SetValue(chromedp.CSS(`input[name="password"]`), testPassword),
				chromedp.Click(chromedp.CSS(`main form button[type="submit"]`)))
			arrive(t, ctx, "/en/account")
		}
		signOut := func(lang string) {
			t.Helper()
			do(t, ctx, chromedp.Click(chromedp.CSS(`form[action="/`+lang+`/signout"] button`)))
			arrive(t, ctx, "/"+lang+"/")
		}
		press := func(verb string) {
			t.Helper()
			do(t, ctx, chromedp.Click(chromedp.CSS(`button[name="verb"][value="`+verb+`"]`)))
		}
		status := func() string { return get(t, ctx, chromedp.Text(chromedp.CSS("main .status"))) }
		checkAxe := func(what string) {
			t.Helper()
			for _, v := range runAxe(t, ctx, axe).serious() {
				t.Errorf("%s: %s", what, v)
			}
		}

		// The office drafts the agreement and submits it.
		const slug = "ntu-exchange-2027"
		signIn(office.Email)
		do(t, ctx, chromedp.Navigate(hs.URL+"/en/edit/agreement/new?partner=ntu&kind=exchange&level=university"),
			chromedp.SetValue(chromedp.CSS(`#f-slug`), slug),
			chromedp.SetValue(chromedp.CSS(`#f-title\.ja`), "学生交流協定（国立台湾大学、2027年）"),
			chromedp.SetValue(chromedp.CSS(`#f-title\.en`), "Student exchange agreement with NTU (2027)"),
			chromedp.Click(chromedp.CSS(`form.edit-form button[type="submit"]`)))
		arrive(t, ctx, "/en/agreements/"+slug)
		if got := status(); got != "Draft" {
			t.Fatalf("new agreement: %q", got)
		}
		press("submit")
		arrive(t, ctx, "/en/agreements/"+slug+"?done=submit")
		checkAxe("/en/agreements/" + slug)
		signOut("en")

		// The coordinator of NTU's lead unit is asked, in Japanese, and
		// approves from the link.
		m := mailTo(coord.Email)
		link := hs.URL + "/ja/agreements/" + slug
		if !strings.HasPrefix(m.Subject, "承認依頼：学生交流協定（国立台湾大学、2027年）") || !strings.Contains(m.Text, link) || !strings.Contains(m.HTML, link) {
			t.Fatalf("the coordinator's mail: %q\n%s", m.Subject, m.Text)
		}
		signIn(coord.Email)
		do(t, ctx, chromedp.Navigate(link))
		if got := status(); got != "承認手続中" {
			t.Errorf("in review, in Japanese: %q", got)
		}
		checkAxe(link)
		do(t, ctx, chromedp.SetValue(chromedp.CSS(`#f-comment`), "部局として異論ありません。"))
		press("approve")
		arrive(t, ctx, "/ja/agreements/"+slug+"?done=approve")
		signOut("ja")

		// The office is asked next, in English.
		m = mailTo(office.Email)
		link = hs.URL + "/en/agreements/" + slug
		if !strings.HasPrefix(m.Subject, "Waiting for your approval: Student exchange agreement with NTU (2027)") || !strings.Contains(m.Text, link) {
			t.Fatalf("the office's mail: %q\n%s", m.Subject, m.Text)
		}
		signIn(office.Email)
		do(t, ctx, chromedp.Navigate(link))
		press("approve")
		arrive(t, ctx, "/en/agreements/"+slug+"?done=approve")
		if got := status(); got != "Approved" {
			t.Fatalf("after the chain: %q", got)
		}

		// Signing needs the date; the edit form gives it, as people write it.
		press("sign")
		if msg := get(t, ctx, chromedp.Text(chromedp.CSS("#err-signed"))); !strings.Contains(msg, "Enter the signing date") {
			t.Fatalf("sign without a date: %q", msg)
		}
		do(t, ctx, chromedp.Navigate(hs.URL+"/en/edit/agreement/"+slug),
			chromedp.SetValue(chromedp.CSS(`#f-signed`), "1 April 2027"),
			chromedp.SetValue(chromedp.CSS(`#f-expires`), "31 March 2032"),
			chromedp.Click(chromedp.CSS(`form.edit-form button[type="submit"]`)))
		arrive(t, ctx, "/en/agreements/"+slug)
		press("sign")
		arrive(t, ctx, "/en/agreements/"+slug+"?done=sign")
		today := partnerhub.Today(time.Now())
		want := "In force"
		if today.Before(time.Date(2027, 4, 1, 0, 0, 0, 0, time.UTC)) {
			want = "Signed, not yet in force"
		}
		if got := status(); got != want {
			t.Errorf("signed: %q, want %q", got, want)
		}
		history := get(t, ctx, chromedp.Text(chromedp.CSS(".agreement-history")))
		for _, step := range []string{"Submit for approval", "Approve", "部局として異論ありません。", "Record as signed", coord.Email} {
			if !strings.Contains(history, step) {
				t.Errorf("history lacks %q: %s", step, history)
			}
		}
		signOut("en")
	})
}
