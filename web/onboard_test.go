package web

import (
	"bytes"
	"context"
	"log/slog"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"partnerhub"
	"partnerhub/authn"
	"partnerhub/i18n"
	"partnerhub/mail"
	"partnerhub/mail/mailpittest"
	"partnerhub/store"
	"partnerhub/store/storetest"
	"partnerhub/transfer"
)

// newMemberServer serves one member of db (Deps.Home), with the members'
// administration, invitations and mail written with links to itself.
func newMemberServer(t *testing.T, db *store.DB, home string, clock *testClock) *authServer {
	t.Helper()
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
	now := time.Now
	if clock != nil {
		now = clock.Now
	}
	srv, err := NewServer(context.Background(), Deps{Source: db, Home: home, Messages: msgs, Accounts: db,
		Authenticator: authn.NewPasswords(db), Editor: db, Mobility: db, MFA: db, Mail: db, Invitations: db,
		MemberAdmin: db, BaseURL: base, Now: now, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewUnstartedServer(srv)
	ts.Listener.Close()
	ts.Listener = ln
	ts.Start()
	t.Cleanup(ts.Close)
	return &authServer{Server: ts, db: db, srv: srv}
}

// networkAdminSession is a network administrator of the first member,
// signed in with a second factor enrolled.
func networkAdminSession(t *testing.T, ts *authServer, name string) (*partnerhub.User, *http.Cookie) {
	t.Helper()
	u := ts.addUser(t, name, partnerhub.RoleAdmin)
	if err := ts.db.SetNetworkAdmin(context.Background(), "utokyo", u.Email, true); err != nil {
		t.Fatal(err)
	}
	u.NetworkAdmin = true
	s := ts.signIn(t, u.Email)
	ts.enrolTOTP(t, s, u)
	return u, s
}

func addKyotoMember(t *testing.T, db *store.DB) {
	t.Helper()
	_, err := db.AddMember(context.Background(), nil, partnerhub.NewMember{
		Member:      partnerhub.Member{Slug: "kyoto-u", Programme: partnerhub.Text{Ja: "京都プログラム", En: "Kyoto Programme"}},
		Institution: &partnerhub.Institution{Slug: "kyoto-u", Name: partnerhub.Text{Ja: "京都大学", En: "Kyoto University"}, Country: "JP"}})
	if err != nil {
		t.Fatal(err)
	}
}

// TestMembersPage: only a network administrator opens the members page
// (a home's administrator and a viewer are refused, someone signed out is
// sent to sign in); the add form tells each field's problem in the page's
// language and adds nothing, then adds the member; disabling and enabling
// ask for the password again once the sign-in is old.
func TestMembersPage(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		clock := newTestClock()
		db := e.OpenBuiltin(t)
		ts := newMemberServer(t, db, "utokyo", clock)
		_, session := networkAdminSession(t, ts, "network-"+e.Name+"@example.ac.jp")
		office := ts.addUser(t, "office-"+e.Name+"@example.ac.jp", partnerhub.RoleAdmin)
		os := ts.signIn(t, office.Email)
		ts.enrolTOTP(t, os, office)
		viewer := ts.addUser(t, "viewer-"+e.Name+"@example.ac.jp", partnerhub.RoleViewer)
		vs := ts.signIn(t, viewer.Email)

		wantPage(t, ts.send(t, "GET", "/en/network/admin/members", nil, session), http.StatusOK,
			"<h1>Members of the network</h1>", "<code>utokyo</code>", "Served", "Add a member", "/en/network/admin/members/template.xlsx")
		wantPage(t, ts.send(t, "GET", "/ja/network/admin/members", nil, session), http.StatusOK, "<h1>ネットワークの加盟校</h1>", "加盟校を追加")
		for _, c := range []*http.Cookie{os, vs} {
			for _, p := range []string{"/en/network/admin/members", "/en/network/admin/members/utokyo", "/en/network/admin/members/template.xlsx"} {
				if r := ts.send(t, "GET", p, nil, c); r.status != http.StatusForbidden {
					t.Errorf("%s: %d for someone not the network's administrator", p, r.status)
				}
			}
			if r := ts.send(t, "POST", "/en/network/admin/members", url.Values{"slug": {"x-u"}}, c); r.status != http.StatusForbidden {
				t.Errorf("add: %d for someone not the network's administrator", r.status)
			}
			if r := ts.send(t, "POST", "/en/network/admin/members/utokyo/disable", url.Values{}, c); r.status != http.StatusForbidden {
				t.Errorf("disable: %d for someone not the network's administrator", r.status)
			}
		}
		wantRedirect(t, ts.send(t, "GET", "/en/network/admin/members", nil), "/en/signin?next=%2Fen%2Fnetwork%2Fadmin%2Fmembers")

		// Errors, in either language: nothing is added.
		bad := url.Values{"slug": {"network"}, "which": {"new"}, "new_institution": {"Bad Slug"}, "name_ja": {""}, "name_en": {"Somewhere"},
			"country": {"J"}, "programme_ja": {""}, "programme_en": {"P"}, "host": {"not a host"}}
		wantPage(t, ts.send(t, "POST", "/en/network/admin/members", bad, session), http.StatusBadRequest,
			"The member was not added", `id="e-slug"`, "used by the site", `id="e-new_institution"`, `id="e-host"`, "Enter a host name",
			`id="e-programme_ja"`, `value="Somewhere"`)
		wantPage(t, ts.send(t, "POST", "/ja/network/admin/members", bad, session), http.StatusBadRequest,
			"加盟校は追加されていません", `id="e-slug"`, `id="e-host"`)
		wantPage(t, ts.send(t, "POST", "/en/network/admin/members", url.Values{"slug": {"kyoto-u"}, "which": {"existing"}, "institution": {"atlantis"},
			"programme_ja": {"P"}, "programme_en": {"P"}}, session), http.StatusBadRequest, `id="e-institution"`, "The registry has no institution atlantis")
		if list, _ := db.Members(ctx); len(list) != 1 {
			t.Fatalf("bad input added members: %+v", list)
		}

		// Success: a university new to the registry.
		r := ts.send(t, "POST", "/en/network/admin/members", url.Values{"slug": {"kyoto-u"}, "which": {"new"}, "name_ja": {"京都大学"},
			"name_en": {"Kyoto University"}, "country": {"jp"}, "website": {"https://www.kyoto-u.ac.jp"}, "programme_ja": {"京都プログラム"},
			"programme_en": {"Kyoto Programme"}, "share_statistics": {"1"}}, session)
		wantRedirect(t, r, "/en/network/admin/members/kyoto-u?done=added")
		wantPage(t, ts.send(t, "GET", "/en/network/admin/members/kyoto-u?done=added", nil, session), http.StatusOK,
			"The member kyoto-u was added", "Kyoto Programme", "Invite its administrators", "Onboarding from a workbook", "/kyoto-u/en/")
		m, err := db.Member(ctx, "kyoto-u")
		if err != nil || m.Name.En != "Kyoto University" || !m.ShareStatistics || m.Institution != "kyoto-u" {
			t.Fatalf("member: %+v %v", m, err)
		}
		// The same key again is refused at its field.
		wantPage(t, ts.send(t, "POST", "/ja/network/admin/members", url.Values{"slug": {"kyoto-u"}, "institution": {"kyoto-u"},
			"programme_ja": {"P"}, "programme_en": {"P"}}, session), http.StatusBadRequest, `id="e-slug"`)

		// Disabling, with a recent sign-in: done at once.
		wantRedirect(t, ts.send(t, "POST", "/en/network/admin/members/kyoto-u/disable", url.Values{}, session),
			"/en/network/admin/members?done=disabled&slug=kyoto-u")
		wantPage(t, ts.send(t, "GET", "/en/network/admin/members?done=disabled&slug=kyoto-u", nil, session), http.StatusOK,
			"The member kyoto-u was disabled", "Disabled", "Enable")
		if m, _ := db.Member(ctx, "kyoto-u"); !m.Disabled {
			t.Fatal("not disabled")
		}
		// A notice naming something that is no member is not shown.
		if r := ts.send(t, "GET", "/en/network/admin/members?done=disabled&slug=evil", nil, session); strings.Contains(r.body, "The member evil") {
			t.Error("the notice names what the link says")
		}
		// Later: the password first, then the user acts again.
		clock.Advance(reauthWindow + time.Minute)
		wantRedirect(t, ts.send(t, "POST", "/en/network/admin/members/kyoto-u/enable", url.Values{}, session),
			"/en/account/confirm?next=%2Fen%2Fnetwork%2Fadmin%2Fmembers")
		if m, _ := db.Member(ctx, "kyoto-u"); !m.Disabled {
			t.Fatal("enabled without the password")
		}
		wantRedirect(t, ts.send(t, "POST", "/en/account/confirm", url.Values{"password": {testPassword}, "next": {"/en/network/admin/members"}}, session),
			"/en/network/admin/members")
		wantRedirect(t, ts.send(t, "POST", "/ja/network/admin/members/kyoto-u/enable", url.Values{}, session),
			"/ja/network/admin/members?done=enabled&slug=kyoto-u")
		if m, _ := db.Member(ctx, "kyoto-u"); m.Disabled {
			t.Fatal("not enabled")
		}
		wantPage(t, ts.send(t, "GET", "/ja/network/admin/members?done=enabled&slug=kyoto-u", nil, session), http.StatusOK, "加盟校 kyoto-u を有効にしました")
	})
}

// TestMemberAdminInvitation: the network's administrator invites a new
// member's administrators by mail (read back from Mailpit); the link,
// accepted at that member's portal, makes an administrator of THAT member,
// who then signs in there (and not at the first member's). A home's own
// administrator still invites guests only.
func TestMemberAdminInvitation(t *testing.T) {
	mp := mailpittest.Start(t)
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		db := e.OpenBuiltin(t)
		addKyotoMember(t, db)
		ts := newMemberServer(t, db, "utokyo", nil)
		admin, session := networkAdminSession(t, ts, "network-"+e.Name+"@example.ac.jp")

		wantPage(t, ts.send(t, "POST", "/en/network/admin/members/kyoto-u/invite", url.Values{"emails": {"ok@example.org, not-an-address"}}, session),
			http.StatusBadRequest, `id="e-emails"`, "“not-an-address” is not an e-mail address")
		wantPage(t, ts.send(t, "POST", "/ja/network/admin/members/kyoto-u/invite", url.Values{"emails": {""}}, session),
			http.StatusBadRequest, "メールアドレスを1件以上入力してください")
		kyotoAdmin := "head-" + e.Name + "@kyoto.example.ac.jp"
		second := "deputy-" + e.Name + "@kyoto.example.ac.jp"
		wantRedirect(t, ts.send(t, "POST", "/en/network/admin/members/kyoto-u/invite", url.Values{"emails": {kyotoAdmin + "\n" + second}, "lang": {"ja"}}, session),
			"/en/network/admin/members/kyoto-u?done=invited")
		// An address of the first member's accounts is refused for another.
		wantPage(t, ts.send(t, "POST", "/en/network/admin/members/kyoto-u/invite", url.Values{"emails": {admin.Email}}, session),
			http.StatusBadRequest, admin.Email+": ")

		// A home's own administrator cannot invite an administrator.
		office := &partnerhub.User{ID: admin.ID, Email: admin.Email, Name: admin.Name, Role: partnerhub.RoleAdmin, Home: "utokyo"}
		if _, err := db.Invite(ctx, office, "utokyo", partnerhub.InvitationSpec{Email: "x-" + e.Name + "@example.org", Name: "X", Lang: "en", Role: partnerhub.RoleAdmin}, time.Now()); partnerhub.ErrorCode(err) != partnerhub.EInvalid {
			t.Fatalf("a home's administrator invited an administrator: %v", err)
		}

		c, err := mail.ParseSMTP(mp.SMTPURL())
		if err != nil {
			t.Fatal(err)
		}
		from, _ := mail.ParseFrom("noreply@example.ac.jp")
		if _, err := (&mail.Sender{Outbox: db, SMTP: c, From: from}).Drain(ctx); err != nil {
			t.Fatal(err)
		}
		var msg mailpittest.Message
		for _, s := range mp.Messages(t) {
			if len(s.To) == 1 && s.To[0].Address == kyotoAdmin {
				msg = mp.Message(t, s.ID)
			}
		}
		if msg.ID == "" {
			t.Fatal("no invitation in Mailpit")
		}
		m := invitationLink.FindStringSubmatch(msg.Text)
		if m == nil || m[1] != "ja" || !strings.Contains(msg.Text, "京都プログラム") {
			t.Fatalf("the mail: %q\n%s", msg.Subject, msg.Text)
		}

		// At the new member's portal.
		kyoto := newMemberServer(t, db, "kyoto-u", nil)
		wantPage(t, kyoto.send(t, "GET", "/ja/invitations/"+m[2], nil), http.StatusOK, "京都プログラム", kyotoAdmin)
		// Not a link of the first member's.
		if r := ts.send(t, "GET", "/ja/invitations/"+m[2], nil); r.status != http.StatusNotFound {
			t.Errorf("the first member opened the new member's invitation: %d", r.status)
		}
		r := kyoto.send(t, "POST", "/ja/invitations/"+m[2], url.Values{"name": {"Head of Office"}, "password": {testPassword}, "password_confirm": {testPassword}})
		wantRedirect(t, r, "/ja/account/mfa")
		u, err := db.UserByEmail(ctx, kyotoAdmin)
		if err != nil || u.Role != partnerhub.RoleAdmin || u.Home != "kyoto-u" || u.NetworkAdmin {
			t.Fatalf("the account: %+v %v", u, err)
		}
		_, _, codes := kyoto.enrolTOTP(t, r.cookie(), u)
		// Signs in at the member's portal, not at the first member's.
		step := kyoto.passwordStep(t, kyotoAdmin)
		r = kyoto.factorStep(t, step, codes[0])
		wantRedirect(t, r, "/en/account")
		wantPage(t, kyoto.send(t, "GET", "/en/account", nil, r.cookie()), http.StatusOK, kyotoAdmin, "Administrator")
		if r := ts.send(t, "POST", "/en/signin", signinForm(kyotoAdmin, testPassword)); r.cookie() != nil {
			t.Error("the member's administrator signed in at the first member")
		}
		// Guests are invited as before.
		if inv, err := db.Invite(ctx, u, "kyoto-u", partnerhub.InvitationSpec{Email: "guest-" + e.Name + "@example.org", Name: "G", Lang: "en"}, time.Now()); err != nil || inv.Role != partnerhub.RoleGuest {
			t.Fatalf("a guest: %+v %v", inv, err)
		}
	})
}

// onboardUpload posts a workbook to a member's onboarding.
func (ts *authServer) onboardUpload(t *testing.T, lang, slug, name string, data []byte, session *http.Cookie) reply {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("file", name)
	fw.Write(data)
	mw.Close()
	return ts.sendBody(t, "POST", "/"+lang+"/network/admin/members/"+slug+"/onboard", mw.FormDataContentType(), body.Bytes(), session)
}

// TestMemberOnboarding: the template has the four sheets with headers in
// both languages, an example row each and notes in both languages; a bad
// workbook lists every problem by sheet, row and column in the page's
// language and writes nothing; a good one is written, and the member's
// portal lists its partners and units; the same workbook again changes
// nothing.
func TestMemberOnboarding(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		db := e.OpenBuiltin(t)
		addKyotoMember(t, db)
		ts := newMemberServer(t, db, "utokyo", nil)
		_, session := networkAdminSession(t, ts, "network-"+e.Name+"@example.ac.jp")

		r := ts.send(t, "GET", "/ja/network/admin/members/template.xlsx", nil, session)
		if r.status != http.StatusOK || r.header.Get("Content-Type") != xlsxType || !strings.Contains(r.header.Get("Content-Disposition"), "onboarding-template-ja.xlsx") {
			t.Fatalf("template: %d %v", r.status, r.header)
		}
		f, err := excelize.OpenReader(strings.NewReader(r.body))
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(f.GetSheetList(), ","); got != "Units,Phases,Partners,Teams,Notes" {
			t.Errorf("sheets: %s", got)
		}
		for sheet, want := range map[string][]string{"Units": {"code / コード", "name_ja / 名称（日本語）", "kind / 種別"},
			"Partners": {"slug / キー", "ror / ROR"}, "Teams": {"partner / パートナー", "lead / 代表", "tier / 区分"}, "Phases": {"number / 期"}} {
			rows, err := f.GetRows(sheet)
			if err != nil || len(rows) != 2 {
				t.Fatalf("%s: %d rows %v", sheet, len(rows), err)
			}
			for _, h := range want {
				if !strings.Contains(strings.Join(rows[0], "|"), h) {
					t.Errorf("%s lacks the header %q: %v", sheet, h, rows[0])
				}
			}
		}
		notes, _ := f.GetRows("Notes")
		var all []string
		for _, row := range notes {
			all = append(all, strings.Join(row, " "))
		}
		text := strings.Join(all, "\n")
		if !strings.Contains(text, "登録用ワークブックの記入方法") || !strings.Contains(text, "How to fill in the onboarding workbook") ||
			strings.Index(text, "登録用ワークブック") > strings.Index(text, "How to fill in") {
			t.Errorf("notes (Japanese first):\n%s", text)
		}
		// The template as downloaded reads back without a problem.
		if _, errs := transfer.ReadOnboarding(strings.NewReader(r.body)); len(errs) > 0 {
			t.Errorf("the template does not read back: %+v", errs)
		}

		// A bad workbook: problems in several sheets, every one listed.
		bad := storetest.Onboarding(t, map[string][][]string{
			"Units":    {{"eng", "工学", "", "工", "E", "faculty"}},
			"Phases":   {{"one", "2024", "2028", "", "a\nb", "a"}},
			"Partners": {{"x-u", "X", "X", "", "club", "", "", "", "", "", "", "", ""}},
			"Teams":    {{"x-u", "1", "eng", "maybe", "top"}, {"x-u", "1", "eng", "yes", ""}},
		})
		r = ts.onboardUpload(t, "en", "kyoto-u", "bad.xlsx", bad, session)
		wantPage(t, r, http.StatusUnprocessableEntity, "bad.xlsx", "Nothing was imported", "Nothing was written",
			"name_en / 名称（英語）", "This cell must be filled in.", "“faculty” must be one of",
			"“one” is not a whole number.", "do not match line for line",
			"“club” must be one of", "“maybe” is neither yes nor no.", "“top” must be one of", "“eng” is already on row 2.")
		for _, sheet := range []string{">Units<", ">Phases<", ">Partners<", ">Teams<"} {
			if !strings.Contains(r.body, sheet) {
				t.Errorf("no problem of %s listed", sheet)
			}
		}
		wantPage(t, ts.onboardUpload(t, "ja", "kyoto-u", "bad.xlsx", bad, session), http.StatusUnprocessableEntity,
			"何も取り込んでいません", "部局", "このセルは必須です。", "「one」は整数ではありません。", "何も書き込んでいません")
		// Refused by the store: an unknown unit, a new university without a country.
		refused := storetest.Onboarding(t, map[string][][]string{
			"Units":    {{"eng", "工学", "Eng", "工", "E", "graduate_school"}},
			"Phases":   {{"1", "2024", "2028", "", "", ""}},
			"Partners": {{"x-u", "X大学", "X University", "", "institution", "", "", "", "", "", "", "", ""}},
			"Teams":    {{"x-u", "1", "mars", "", ""}},
		})
		wantPage(t, ts.onboardUpload(t, "en", "kyoto-u", "refused.xlsx", refused, session), http.StatusUnprocessableEntity,
			"The registry has no institution “x-u”: give its country", "country / 国")
		wantPage(t, ts.onboardUpload(t, "en", "kyoto-u", "notes.txt", []byte("hello"), session), http.StatusBadRequest, "is not an XLSX workbook")
		c, err := db.Catalog(ctx, "kyoto-u")
		if err != nil {
			t.Fatal(err)
		}
		if len(c.Units)+len(c.Partners)+len(c.Phases) != 0 {
			t.Fatalf("a refused workbook wrote %d units, %d partners", len(c.Units), len(c.Partners))
		}

		// A good one.
		good := storetest.GoodOnboarding(t)
		wantPage(t, ts.onboardUpload(t, "en", "kyoto-u", "kyoto.xlsx", good, session), http.StatusOK,
			"kyoto.xlsx was imported.", "Universities added to the registry:", "<code>example-tech</code>",
			"Universities found in the registry (left as they are):", "<code>princeton</code>")
		kyoto := newMemberServer(t, db, "kyoto-u", nil)
		public := func(path string, texts ...string) {
			t.Helper()
			r := kyoto.send(t, "GET", path, nil)
			if r.status != http.StatusOK {
				t.Fatalf("%s: %d", path, r.status)
			}
			for _, s := range texts {
				if !strings.Contains(r.body, s) {
					t.Errorf("%s lacks %q", path, s)
				}
			}
		}
		public("/en/partners", "Example Institute of Technology", "Princeton Renamed")
		public("/ja/units", "工学研究科", "理学研究科")
		public("/en/partners/example-tech", "Graduate School of Engineering")
		// The first member's portal has none of it.
		if r := ts.send(t, "GET", "/en/partners/example-tech", nil); r.status != http.StatusNotFound {
			t.Errorf("the first member shows the new member's partner: %d", r.status)
		}
		// Twice: nothing new.
		wantPage(t, ts.onboardUpload(t, "ja", "kyoto-u", "kyoto.xlsx", good, session), http.StatusOK, "新しい内容はありません")
		if r := ts.onboardUpload(t, "en", "kyoto-u", "kyoto.xlsx", good, nil); r.status != http.StatusSeeOther {
			t.Errorf("signed out: %d", r.status)
		}
	})
}
