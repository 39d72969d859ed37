package web

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"partnerhub"
	"partnerhub/authn"
	"partnerhub/i18n"
	"partnerhub/mail"
	"partnerhub/mail/mailpittest"
	"partnerhub/store/storetest"
)

// newInviteServer is a server with second factors (held for
// administrators only, the zero setting), invitations and mail written
// with links to itself.
func newInviteServer(t *testing.T, e storetest.Engine) (*authServer, *logBuffer) {
	t.Helper()
	logs := &logBuffer{}
	db := e.OpenBuiltin(t)
	msgs, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	db.SetMail(&mail.Composer{Messages: msgs, BaseURL: base})
	srv, err := NewServer(context.Background(), Deps{Source: db, Home: "utokyo", Messages: msgs, Accounts: db,
		Authenticator: authn.NewPasswords(db), Editor: db, Mobility: db, MFA: db, Mail: db, Invitations: db, BaseURL: base,
		Logger: slog.New(slog.NewTextHandler(logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewUnstartedServer(srv)
	ts.Listener.Close()
	ts.Listener = ln
	ts.Start()
	t.Cleanup(ts.Close)
	return &authServer{Server: ts, db: db, srv: srv}, logs
}

var invitationLink = regexp.MustCompile(`http://[^\s"]+/(en|ja)/invitations/(phi_[A-Za-z0-9_-]{43})`)

// An administrator invites from their page; the mail reaches Mailpit in
// the invitee's language; its link opens the page that says who invites
// and why; bad input is told at its fields in either language and makes
// nothing; a good one makes a guest, signs them in and sends them to set
// up a second factor before anything else. The link then works no more,
// and says so in both languages.
func TestInvitationByMail(t *testing.T) {
	mp := mailpittest.Start(t)
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		ts, logs := newInviteServer(t, e)
		admin := ts.addUser(t, "office-"+e.Name+"@example.ac.jp", partnerhub.RoleAdmin)
		session := ts.signIn(t, admin.Email)
		ts.enrolTOTP(t, session, admin)
		viewer := ts.addUser(t, "viewer-"+e.Name+"@example.ac.jp", partnerhub.RoleViewer)
		vs := ts.signIn(t, viewer.Email)

		wantPage(t, ts.send(t, "GET", "/en/admin/invitations", nil, session), http.StatusOK, "<h1>Invitations</h1>", "No invitations yet.")
		wantPage(t, ts.send(t, "GET", "/ja/admin/invitations", nil, session), http.StatusOK, "<h1>招待</h1>", "まだ招待はありません。")
		if r := ts.send(t, "GET", "/en/admin/invitations", nil, vs); r.status != http.StatusForbidden {
			t.Errorf("a viewer opened the invitations: %d", r.status)
		}
		if r := ts.send(t, "POST", "/en/admin/invitations", url.Values{"email": {"x@example.org"}, "name": {"X"}, "lang": {"en"}}, vs); r.status != http.StatusForbidden {
			t.Errorf("a viewer invited: %d", r.status)
		}
		// Bad input, in both languages: nothing is sent.
		bad := url.Values{"email": {"not an address"}, "name": {" "}, "lang": {"fr"}, "role": {"admin"}, "days": {"45"}}
		wantPage(t, ts.send(t, "POST", "/en/admin/invitations", bad, session), http.StatusBadRequest,
			`id="err-email"`, "Enter an e-mail address", `id="err-name"`, `id="err-lang"`, `id="err-role"`, `id="err-days"`, "up to 30 days")
		wantPage(t, ts.send(t, "POST", "/ja/admin/invitations", bad, session), http.StatusBadRequest,
			"メールアドレスを入力してください", "1時間から30日までの間で選んでください")
		if list, _ := ts.db.Invitations(ctx, admin, "utokyo"); len(list) != 0 {
			t.Fatalf("bad input made %d invitations", len(list))
		}

		invitee := "ann-" + e.Name + "@princeton.example.edu"
		r := ts.send(t, "POST", "/en/admin/invitations", url.Values{"email": {invitee}, "name": {"Ann Smith"}, "lang": {"en"},
			"role": {"guest"}, "days": {"7"}, "note_en": {"To review proposals of the Princeton joint fund"}, "note_ja": {"共同基金の審査のお願い"}}, session)
		wantRedirect(t, r, "/en/admin/invitations?done=invited")
		wantPage(t, ts.send(t, "GET", "/en/admin/invitations?done=invited", nil, session), http.StatusOK,
			"The invitation is on its way.", invitee, "Waiting", "Send again", "Withdraw")

		// The mail, through SMTP to Mailpit.
		c, err := mail.ParseSMTP(mp.SMTPURL())
		if err != nil {
			t.Fatal(err)
		}
		from, _ := mail.ParseFrom("noreply@example.ac.jp")
		if _, err := (&mail.Sender{Outbox: ts.db, SMTP: c, From: from}).Drain(ctx); err != nil {
			t.Fatal(err)
		}
		var msg mailpittest.Message
		for _, s := range mp.Messages(t) {
			if len(s.To) == 1 && s.To[0].Address == invitee {
				msg = mp.Message(t, s.ID)
			}
		}
		if msg.ID == "" {
			t.Fatal("no invitation in Mailpit")
		}
		m := invitationLink.FindStringSubmatch(msg.Text)
		if m == nil || m[1] != "en" || !strings.Contains(msg.Subject, admin.Name) || !strings.Contains(msg.Text, "To review proposals") {
			t.Fatalf("the mail: %q\n%s", msg.Subject, msg.Text)
		}
		link := "/en/invitations/" + m[2]

		page := ts.send(t, "GET", link, nil)
		wantPage(t, page, http.StatusOK, "Accept your invitation", admin.Name, "To review proposals of the Princeton joint fund", invitee,
			"Guest", `name="password"`, `value="Ann Smith"`)
		if page.header.Get("X-Robots-Tag") != "noindex" {
			t.Error("the page of a link may be indexed")
		}
		// The page in Japanese shows the Japanese note.
		wantPage(t, ts.send(t, "GET", "/ja/invitations/"+m[2], nil), http.StatusOK, "招待を受ける", "共同基金の審査のお願い")

		// Bad input: field messages, in either language, and nothing made.
		for _, c := range []struct {
			lang  string
			form  url.Values
			texts []string
		}{
			{"en", url.Values{"name": {""}, "password": {"short"}, "password_confirm": {"short"}},
				[]string{`id="err-name"`, `id="err-password"`, "Use at least 12 characters", "No account has been made yet."}},
			{"en", url.Values{"name": {"Ann"}, "password": {"password1234"}, "password_confirm": {"password1234"}},
				[]string{`id="err-password"`, "lists of common passwords"}},
			{"ja", url.Values{"name": {""}, "password": {"short"}, "password_confirm": {"short"}},
				[]string{`id="err-name"`, `id="err-password"`, "12文字以上にしてください", "アカウントはまだ作成されていません"}},
			{"ja", url.Values{"name": {"Ann"}, "password": {testPassword}, "password_confirm": {"another thing"}},
				[]string{`id="err-password_confirm"`}},
		} {
			r := ts.send(t, "POST", "/"+c.lang+"/invitations/"+m[2], c.form)
			wantPage(t, r, http.StatusBadRequest, c.texts...)
			if strings.Contains(r.body, c.form.Get("password")) {
				t.Errorf("the password came back in the form")
			}
		}
		if _, err := ts.db.UserByEmail(ctx, invitee); partnerhub.ErrorCode(err) != partnerhub.ENotFound {
			t.Fatalf("bad input made an account: %v", err)
		}

		r = ts.send(t, "POST", link, url.Values{"name": {"Dr Ann Smith"}, "password": {testPassword}, "password_confirm": {testPassword}})
		wantRedirect(t, r, "/en/account/mfa")
		guest := r.cookie()
		if guest == nil {
			t.Fatal("not signed in")
		}
		u, err := ts.db.UserByEmail(ctx, invitee)
		if err != nil || u.Role != partnerhub.RoleGuest || u.Name != "Dr Ann Smith" {
			t.Fatalf("the account: %+v %v", u, err)
		}
		// Held until a second factor is set up, although only
		// administrators are held by this server's setting.
		for _, p := range []string{"/en/partners", "/en/account"} {
			wantRedirect(t, ts.send(t, "GET", p, nil, guest), "/en/account/mfa")
		}
		wantPage(t, ts.send(t, "GET", "/en/account/mfa", nil, guest), http.StatusOK, "Set up an authenticator app", "Everyone who joins from outside the office signs in in two steps")
		ts.enrolTOTP(t, guest, u)
		wantPage(t, ts.send(t, "GET", "/en/account", nil, guest), http.StatusOK, "Guest (from outside the office)")

		// The link is used: a page in both languages, nothing changes.
		for _, lang := range []string{"en", "ja"} {
			r := ts.send(t, "GET", "/"+lang+"/invitations/"+m[2], nil)
			wantPage(t, r, http.StatusGone, "already been used", "すでに使われ")
			r = ts.send(t, "POST", "/"+lang+"/invitations/"+m[2], url.Values{"name": {"Mallory"}, "password": {"another long passphrase"}, "password_confirm": {"another long passphrase"}})
			wantPage(t, r, http.StatusGone, "already been used", "すでに使われ")
		}
		if u2, _ := ts.db.UserByEmail(ctx, invitee); u2.Name != "Dr Ann Smith" {
			t.Errorf("a used link changed the account: %+v", u2)
		}
		wantPage(t, ts.send(t, "GET", "/en/invitations/phi_"+strings.Repeat("A", 43), nil), http.StatusNotFound, "not known", "見つかりません")
		wantPage(t, ts.send(t, "GET", "/en/admin/invitations", nil, session), http.StatusOK, "Accepted", invitee)

		// Resend and revoke from the page.
		r = ts.send(t, "POST", "/en/admin/invitations", url.Values{"email": {"bob-" + e.Name + "@example.org"}, "name": {"Bob"}, "lang": {"ja"}, "days": {"1"}}, session)
		wantRedirect(t, r, "/en/admin/invitations?done=invited")
		list, err := ts.db.Invitations(ctx, admin, "utokyo")
		if err != nil || len(list) != 2 {
			t.Fatalf("invitations: %+v %v", list, err)
		}
		bob := list[0]
		wantRedirect(t, ts.send(t, "POST", fmt.Sprintf("/ja/admin/invitations/%d/resend", bob.ID), url.Values{}, session), "/ja/admin/invitations?done=resent")
		wantRedirect(t, ts.send(t, "POST", fmt.Sprintf("/ja/admin/invitations/%d/revoke", bob.ID), url.Values{}, session), "/ja/admin/invitations?done=revoked")
		wantPage(t, ts.send(t, "GET", "/ja/admin/invitations?done=revoked", nil, session), http.StatusOK, "招待を取り消しました", "取り消し済み")
		if r := ts.send(t, "POST", fmt.Sprintf("/en/admin/invitations/%d/resend", bob.ID), url.Values{}, session); r.status != http.StatusConflict {
			t.Errorf("a revoked invitation was sent again: %d", r.status)
		}
		// An address with an account: told to sign in, no second account.
		r = ts.send(t, "POST", "/en/admin/invitations", url.Values{"email": {viewer.Email}, "name": {"Viewer"}, "lang": {"en"}}, session)
		wantRedirect(t, r, "/en/admin/invitations?done=existing")
		wantPage(t, ts.send(t, "GET", "/en/admin/audit", nil, session), http.StatusOK, "Invitation")
		if l := logs.String(); !strings.Contains(l, "invitation_accepted") || strings.Contains(l, m[2]) {
			t.Errorf("the log lacks the acceptance, or holds the token:\n%s", l)
		}
	})
}

// A guest sees no draft anywhere a viewer sees one: pages, lists, exports,
// the API (by session and by token), documents, history, edit forms and
// the administrators' pages; they have their own account pages, and write
// nothing.
func TestGuestSeesOnlyThePublic(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		ed := newEditors(t, e)
		guest := ed.addUser(t, "guest@example.org", partnerhub.RoleGuest)
		raw, _, err := ed.db.CreateToken(ctx, guest.ID, partnerhub.TokenSpec{Name: "guest", Scope: partnerhub.ScopeWrite}, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		ed.token["guest"], ed.cookie["guest"] = raw, ed.signIn(t, guest.Email)
		admin, err := ed.db.UserByEmail(ctx, "admin@example.ac.jp")
		if err != nil {
			t.Fatal(err)
		}
		const title = "Unpublished guest check"
		for _, c := range []partnerhub.Change{
			{Entity: partnerhub.EntityActivity, Record: &partnerhub.Activity{Slug: "guest-draft-workshop", Kind: partnerhub.Workshop,
				Title: partnerhub.Text{Ja: title + " 会合", En: title + " workshop"}, Start: partnerhub.MustPartialDate("2027-06"),
				Partners: []string{"ntu"}, Units: []string{"agr"}, Published: false}},
			{Entity: partnerhub.EntityAgreement, Record: &partnerhub.Agreement{Slug: "guest-draft-agreement", Partner: "ntu",
				Kind: partnerhub.Exchange, Level: partnerhub.UniversityLevel, Title: partnerhub.Text{Ja: title + " 協定", En: title + " agreement"},
				Units: []string{"agr"}, Stage: partnerhub.StageDraft}},
		} {
			c.Actor, c.Home, c.Action = admin, "utokyo", partnerhub.ActionCreate
			if _, err := ed.db.Apply(ctx, c); err != nil {
				t.Fatal(err)
			}
		}
		if err := ed.srv.Reload(ctx); err != nil {
			t.Fatal(err)
		}
		// Where a viewer reads the draft (or its history), a guest gets
		// the public's answer: without it, or refused.
		for _, p := range []string{
			"/en/activities", "/ja/activities", "/en/activities/guest-draft-workshop", "/en/partners/ntu",
			"/en/agreements", "/en/agreements/guest-draft-agreement", "/en/agreements/guest-draft-agreement/documents",
			"/en/export/activities?format=csv", "/en/export/agreements?format=csv",
			"/en/history/activity/guest-draft-workshop", "/en/edit/activity/guest-draft-workshop", "/en/edit/agreement/guest-draft-agreement",
			"/en/admin/audit", "/en/admin/bin",
			"/api/v1/activities", "/api/v1/activities/guest-draft-workshop", "/api/v1/agreements/guest-draft-agreement",
			"/api/v1/partners/ntu", "/api/v1/activities/guest-draft-workshop/history", "/api/v1/audit",
		} {
			viewerSees := false
			for _, hdr := range [][]any{{ed.cookie["viewer"]}, {"Authorization", "Bearer " + ed.token["viewer"]}} {
				if r := ed.send(t, "GET", p, nil, hdr...); r.status == http.StatusOK && strings.Contains(r.body, title) {
					viewerSees = true
				}
			}
			if !viewerSees && !strings.HasPrefix(p, "/en/admin/") && !strings.HasPrefix(p, "/api/v1/audit") {
				t.Errorf("%s: the viewer does not see the draft either: the check checks nothing", p)
			}
			for _, hdr := range [][]any{{ed.cookie["guest"]}, {"Authorization", "Bearer " + ed.token["guest"]}} {
				r := ed.send(t, "GET", p, nil, hdr...)
				if strings.Contains(r.body, title) || strings.Contains(r.body, "guest-draft-") && r.status == http.StatusOK && !strings.Contains(p, "guest-draft-") {
					t.Errorf("%s (%v): a guest sees the draft: %d", p, hdr[0], r.status)
				}
				if r.status == http.StatusOK && strings.Contains(p, "guest-draft-") {
					t.Errorf("%s (%v): a guest got %d", p, hdr[0], r.status)
				}
				if r.status >= 500 {
					t.Errorf("%s: %d", p, r.status)
				}
			}
		}
		// A draft's documents, by page and API: not there for a guest.
		for _, p := range []string{"/en/agreements/guest-draft-agreement/documents", "/api/v1/agreements/guest-draft-agreement/documents"} {
			if r := ed.send(t, "GET", p, nil, ed.cookie["viewer"], "Authorization", "Bearer "+ed.token["viewer"]); r.status != http.StatusOK {
				t.Errorf("%s: the viewer got %d", p, r.status)
			}
			for _, hdr := range [][]any{{ed.cookie["guest"]}, {"Authorization", "Bearer " + ed.token["guest"]}} {
				if r := ed.send(t, "GET", p, nil, hdr...); r.status != http.StatusNotFound && r.status != http.StatusForbidden {
					t.Errorf("%s: a guest got %d", p, r.status)
				}
			}
		}
		// Their own account: no work bar of edits, their role said.
		r := ed.send(t, "GET", "/en/account", nil, ed.cookie["guest"])
		wantPage(t, r, http.StatusOK, "Guest (from outside the office)", guest.Email)
		if strings.Contains(r.body, "/edit/activity/new") || strings.Contains(r.body, "/mobility/import") {
			t.Error("a guest's page offers edits")
		}
		wantPage(t, ed.send(t, "GET", "/ja/account", nil, ed.cookie["guest"]), http.StatusOK, "ゲスト（学外の方）")
		// Public pages are the public's, with no edit links.
		if r := ed.send(t, "GET", "/en/partners/ntu", nil, ed.cookie["guest"]); r.status != http.StatusOK || strings.Contains(r.body, "/edit/partner/") {
			t.Errorf("a guest's partner page: %d, edit links: %v", r.status, strings.Contains(r.body, "/edit/partner/"))
		}
		// Writes are refused.
		if r := ed.call(t, "guest", "POST", "/api/v1/activities", map[string]any{"slug": "guest-write", "kind": "workshop",
			"title": map[string]any{"ja": "x", "en": "x"}, "partners": []string{"ntu"}, "published": true}); r.status != http.StatusForbidden {
			t.Errorf("a guest wrote: %d %s", r.status, r.body)
		}
		if r := ed.send(t, "POST", "/en/edit/activity/new", url.Values{"slug": {"guest-write"}}, ed.cookie["guest"]); r.status != http.StatusForbidden {
			t.Errorf("a guest's form: %d", r.status)
		}
	})
}
