package web

import (
	"context"
	"database/sql"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"partnerhub"
	"partnerhub/authn"
	"partnerhub/i18n"
	"partnerhub/mail"
	"partnerhub/store/storetest"
)

// newNoticeServer is an authServer with notifications and mail.
func newNoticeServer(t *testing.T, e storetest.Engine) *authServer {
	t.Helper()
	db := e.OpenBuiltin(t)
	msgs, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	db.SetMail(&mail.Composer{Messages: msgs, BaseURL: "https://partners.example.ac.jp"})
	srv, err := NewServer(context.Background(), Deps{Source: db, Home: "utokyo", Messages: msgs, Accounts: db,
		Authenticator: authn.NewPasswords(db), Editor: db, Mobility: db, Mail: db, Notices: db})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return &authServer{Server: ts, db: db, srv: srv}
}

func (ts *authServer) notify(t *testing.T, n partnerhub.Notice, users ...*partnerhub.User) {
	t.Helper()
	var ids []int64
	for _, u := range users {
		ids = append(ids, u.ID)
	}
	ctx := context.Background()
	if err := ts.db.WriteTx(ctx, func(tx *sql.Tx) error { return ts.db.Notify(ctx, tx, ids, n, time.Now()) }); err != nil {
		t.Fatal(err)
	}
}

func unread(t *testing.T, ts *authServer, u *partnerhub.User) int {
	t.Helper()
	n, err := ts.db.UnreadNotices(context.Background(), u.ID)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// The notifications page lists the user's own, newest first, in the
// page's language with links in it; the header counts the unread on
// every signed-in page; one or all are marked read, never another's.
func TestNotificationsPage(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		ts := newNoticeServer(t, e)
		u := ts.addUser(t, "coord@example.ac.jp", partnerhub.RoleCoordinator, "agr")
		other := ts.addUser(t, "other@example.ac.jp", partnerhub.RoleViewer)
		mou := partnerhub.Text{Ja: "プリンストン大学との覚書", En: "Memorandum with Princeton"}
		ts.notify(t, partnerhub.Notice{Kind: partnerhub.NoticeApproval, Entity: partnerhub.EntityAgreement, Key: "princeton-mou",
			Title: mou, Path: partnerhub.AgreementPath("princeton-mou"), NoticeDetails: partnerhub.NoticeDetails{Actor: "Sato <Ken>"}}, u, other)
		ts.notify(t, partnerhub.Notice{Kind: partnerhub.NoticeExpiring, Entity: partnerhub.EntityAgreement, Key: "princeton-mou",
			Title: mou, Path: partnerhub.AgreementPath("princeton-mou"), NoticeDetails: partnerhub.NoticeDetails{Days: 30, Date: "2027-01"}}, u)
		ck, otherCk := ts.signIn(t, u.Email), ts.signIn(t, other.Email)

		r := ts.send(t, "GET", "/en/notifications", nil, ck)
		wantPage(t, r, http.StatusOK, "<h1>Notifications</h1>", "Expiring soon: Memorandum with Princeton",
			"“Memorandum with Princeton” expires in 30 days, on 2027-01.", "Sato &lt;Ken&gt;", `href="/en/agreements/princeton-mou"`,
			"Mark all read", `<span class="visually-hidden"> (2 unread)</span>`)
		if strings.Index(r.body, "Expiring soon") > strings.Index(r.body, "Waiting for your approval") {
			t.Error("not newest first")
		}
		wantPage(t, ts.send(t, "GET", "/ja/notifications", nil, ck), http.StatusOK, "<h1>お知らせ</h1>",
			"「プリンストン大学との覚書」はあと30日（2027-01）で期限を迎えます。", `href="/ja/agreements/princeton-mou"`, "（未読2件）")
		// The link leads to the agreement.
		wantPage(t, ts.send(t, "GET", "/en/agreements/princeton-mou", nil, ck), http.StatusOK, "Princeton")
		// Any signed-in page shows the count; the other user has one.
		wantPage(t, ts.send(t, "GET", "/en/account", nil, ck), http.StatusOK, `<span class="notice-count" aria-hidden="true">2</span>`)
		wantPage(t, ts.send(t, "GET", "/en/account", nil, otherCk), http.StatusOK, `<span class="notice-count" aria-hidden="true">1</span>`)
		if r := ts.send(t, "GET", "/en/partners", nil); strings.Contains(r.body, "notice-count") || strings.Contains(r.body, "/en/notifications") {
			t.Error("a visitor's page shows notifications")
		}

		ns, err := ts.db.Notifications(context.Background(), u.ID, 10)
		if err != nil || len(ns) != 2 {
			t.Fatal(ns, err)
		}
		otherNs, _ := ts.db.Notifications(context.Background(), other.ID, 10)
		// Another's id: nothing of theirs changes.
		wantPage(t, ts.send(t, "POST", "/en/notifications/read", url.Values{"id": {strconv.FormatInt(otherNs[0].ID, 10)}}, ck), http.StatusOK)
		if unread(t, ts, other) != 1 || unread(t, ts, u) != 2 {
			t.Fatalf("another's id: %d and %d unread", unread(t, ts, other), unread(t, ts, u))
		}
		wantPage(t, ts.send(t, "POST", "/en/notifications/read", url.Values{"id": {"first"}}, ck), http.StatusBadRequest)
		r = ts.send(t, "POST", "/en/notifications/read", url.Values{"id": {strconv.FormatInt(ns[0].ID, 10)}}, ck)
		wantPage(t, r, http.StatusOK, "Marked read.", ` (1 unread)`)
		if unread(t, ts, u) != 1 {
			t.Fatalf("after marking one: %d unread", unread(t, ts, u))
		}
		r = ts.send(t, "POST", "/en/notifications/read", url.Values{}, ck)
		wantPage(t, r, http.StatusOK, "Marked read.")
		if unread(t, ts, u) != 0 || strings.Contains(r.body, "notice-count") || strings.Contains(r.body, "Mark all read") {
			t.Fatalf("after marking all: %d unread\n%s", unread(t, ts, u), r.body)
		}
		if unread(t, ts, other) != 1 {
			t.Error("marking all marked another's")
		}
		wantRedirect(t, ts.send(t, "GET", "/en/notifications", nil), "/en/signin?next=%2Fen%2Fnotifications")
		if r := ts.send(t, "POST", "/en/notifications/read", url.Values{}); r.status != http.StatusSeeOther {
			t.Errorf("a visitor marked notifications read: %d", r.status)
		}
	})
}

// The account page offers, per kind, at once / weekly digest / none, with
// the approvals always on and not offered; a bad value is refused by
// field, in the page's language, and nothing is changed.
func TestNoticePreferencesForm(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		ts := newNoticeServer(t, e)
		ctx := context.Background()
		u := ts.addUser(t, "pref@example.ac.jp", partnerhub.RoleViewer)
		ck := ts.signIn(t, u.Email)
		r := ts.send(t, "GET", "/en/account", nil, ck)
		wantPage(t, r, http.StatusOK, "Mail of your notifications", "Always mailed at once",
			`<input type="radio" name="delivery_expiring" value="immediate" checked>`, "Weekly digest")
		if strings.Contains(r.body, `name="delivery_approval"`) {
			t.Error("the approvals can be chosen")
		}
		wantPage(t, ts.send(t, "POST", "/en/account/notifications", url.Values{"delivery_expiring": {"digest"}, "delivery_import": {"none"}}, ck),
			http.StatusOK, "Your mail choices were saved.", `<input type="radio" name="delivery_expiring" value="digest" checked>`)
		prefs, err := ts.db.MailPreferences(ctx, u.ID)
		if err != nil || prefs[partnerhub.NoticeExpiring] != partnerhub.DeliverDigest || prefs[partnerhub.NoticeImport] != partnerhub.DeliverNone {
			t.Fatalf("after saving: %v %v", prefs, err)
		}
		for _, tc := range []struct {
			lang string
			form url.Values
			want []string
		}{
			{"en", url.Values{"delivery_import": {"weekly"}, "delivery_expiring": {"none"}}, []string{`aria-describedby="err-delivery_import"`, "Must be one of: immediate, digest, none."}},
			{"ja", url.Values{"delivery_import": {"weekly"}}, []string{`aria-describedby="err-delivery_import"`, "次のいずれかを指定してください"}},
			{"en", url.Values{"delivery_approval": {"none"}}, []string{`id="err-delivery_approval"`, "This mail is always sent at once and cannot be turned off."}},
			{"ja", url.Values{"delivery_approval": {"none"}}, []string{"このメールは常にすぐに送信され、停止できません。"}},
		} {
			wantPage(t, ts.send(t, "POST", "/"+tc.lang+"/account/notifications", tc.form, ck), http.StatusBadRequest, tc.want...)
			if after, _ := ts.db.MailPreferences(ctx, u.ID); after[partnerhub.NoticeExpiring] != partnerhub.DeliverDigest ||
				after[partnerhub.NoticeImport] != partnerhub.DeliverNone || after[partnerhub.NoticeApproval] != partnerhub.DeliverImmediately {
				t.Fatalf("%v changed the choices: %v", tc.form, after)
			}
		}
		if r := ts.send(t, "POST", "/en/account/notifications", url.Values{"delivery_import": {"digest"}}); r.status != http.StatusSeeOther {
			t.Errorf("a visitor saved choices: %d", r.status)
		}
	})
}
