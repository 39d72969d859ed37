package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"partnerhub"
	"partnerhub/authn"
	"partnerhub/i18n"
	"partnerhub/mail"
	"partnerhub/mail/mailpittest"
	"partnerhub/store/storetest"
)

// newMailServer is an authServer whose store writes security notices and
// whose pages show the outbox and the language of mail.
func newMailServer(t *testing.T, e storetest.Engine) *authServer {
	t.Helper()
	db := e.OpenBuiltin(t)
	msgs, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	db.SetMail(&mail.Composer{Messages: msgs, BaseURL: "https://partners.example.ac.jp"})
	srv, err := NewServer(context.Background(), Deps{Source: db, Home: "utokyo", Messages: msgs, Accounts: db,
		Authenticator: authn.NewPasswords(db), Editor: db, Mobility: db, Mail: db})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return &authServer{Server: ts, db: db, srv: srv}
}

// Mail waits in the outbox without SMTP, and administrators (only) see it
// there in their language; a sender configured later delivers it, and the
// page then says so.
func TestOutboxPage(t *testing.T) {
	mp := mailpittest.Start(t)
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		ts := newMailServer(t, e)
		ctx := context.Background()
		admin := ts.addUser(t, "admin@example.ac.jp", partnerhub.RoleAdmin)
		viewer := ts.addUser(t, "viewer@example.ac.jp", partnerhub.RoleViewer)
		adminCk, viewerCk := ts.signIn(t, admin.Email), ts.signIn(t, viewer.Email)
		wantPage(t, ts.send(t, "GET", "/en/admin/outbox", nil, adminCk), http.StatusOK, "No mail yet.")
		if r := ts.send(t, "GET", "/en/admin/outbox", nil, viewerCk); r.status != http.StatusForbidden {
			t.Errorf("a viewer got the outbox: %d", r.status)
		}
		if err := ts.db.ChangePassword(ctx, viewer.ID, testPassword, "another long passphrase", "", time.Now()); err != nil {
			t.Fatal(err)
		}
		// The viewer signed in in English: their mail is in English.
		wantPage(t, ts.send(t, "GET", "/ja/admin/outbox", nil, adminCk), http.StatusOK,
			"<h1>送信メール</h1>", "SMTPサーバーが設定されていません", viewer.Email, "Your password was changed", "送信待ち", "サインインの安全")
		wantPage(t, ts.send(t, "GET", "/en/admin/outbox", nil, adminCk), http.StatusOK, "<h1>Outbox</h1>", "Waiting", "Sign-in security")
		if r := ts.send(t, "GET", "/en/admin/outbox", nil); r.status != http.StatusSeeOther {
			t.Errorf("a visitor got the outbox: %d", r.status)
		}

		c, err := mail.ParseSMTP(mp.SMTPURL())
		if err != nil {
			t.Fatal(err)
		}
		from, _ := mail.ParseFrom("noreply@example.ac.jp")
		if n, err := (&mail.Sender{Outbox: ts.db, SMTP: c, From: from}).Drain(ctx); err != nil || n != 1 {
			t.Fatalf("Drain: %d, %v", n, err)
		}
		wantPage(t, ts.send(t, "GET", "/en/admin/outbox", nil, adminCk), http.StatusOK, "Sent")
	})
}

// The account page sets the language of mail; a bad value changes
// nothing; a choice is kept over the language of later sign-ins, which
// only sets it when none was chosen.
func TestMailLanguageForm(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		ts := newMailServer(t, e)
		ctx := context.Background()
		u := ts.addUser(t, "kenji@example.ac.jp", partnerhub.RoleViewer)
		if l, chosen, err := ts.db.MailLanguage(ctx, u.ID); err != nil || l != partnerhub.Japanese || chosen {
			t.Fatalf("a new user: %s %v %v; want ja, not chosen", l, chosen, err)
		}
		ck := ts.signIn(t, u.Email) // in English
		if l, chosen, _ := ts.db.MailLanguage(ctx, u.ID); l != partnerhub.English || !chosen {
			t.Fatalf("after an English sign-in: %s %v", l, chosen)
		}
		wantPage(t, ts.send(t, "GET", "/ja/account", nil, ck), http.StatusOK, "メールの言語", `<option value="en" lang="en" selected>`)
		wantPage(t, ts.send(t, "POST", "/ja/account/language", url.Values{"language": {"fr"}}, ck), http.StatusBadRequest,
			`aria-invalid="true"`, "次のいずれかを指定してください")
		if l, _, _ := ts.db.MailLanguage(ctx, u.ID); l != partnerhub.English {
			t.Fatalf("a refused language changed it to %s", l)
		}
		wantPage(t, ts.send(t, "POST", "/ja/account/language", url.Values{"language": {"ja"}}, ck), http.StatusOK,
			"メールの言語を保存しました", `<option value="ja" lang="ja" selected>`)
		ts.signIn(t, u.Email)
		if l, _, _ := ts.db.MailLanguage(ctx, u.ID); l != partnerhub.Japanese {
			t.Fatalf("a later English sign-in overrode the choice: %s", l)
		}
		if r := ts.send(t, "POST", "/ja/account/language", url.Values{"language": {"en"}}); r.status != http.StatusSeeOther {
			t.Errorf("a visitor set a language: %d", r.status)
		}
	})
}
