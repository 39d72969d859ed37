package store_test

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"testing"
	"time"

	"partnerhub"
	"partnerhub/authn"
	"partnerhub/i18n"
	"partnerhub/mail"
	"partnerhub/store"
	"partnerhub/store/storetest"
)

// inviteDB is a database with the built-in data, writing mail, with an
// administrator of utokyo.
func inviteDB(t *testing.T, e storetest.Engine) (*store.DB, *partnerhub.User) {
	t.Helper()
	db := e.OpenBuiltin(t)
	msgs, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	db.SetMail(&mail.Composer{Messages: msgs, BaseURL: "https://partners.example.ac.jp"})
	admin, err := db.CreateUser(context.Background(), "utokyo", &partnerhub.User{Email: "office@example.ac.jp", Name: "Hanako Office", Role: partnerhub.RoleAdmin}, "a long and secret passphrase")
	if err != nil {
		t.Fatal(err)
	}
	return db, admin
}

// claimAll takes every message waiting in the outbox.
func claimAll(t *testing.T, db *store.DB, now time.Time) []mail.Queued {
	t.Helper()
	qs, err := db.ClaimMail(context.Background(), now.Add(time.Minute), time.Minute, 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range qs {
		if err := db.MailSent(context.Background(), q.ID, now); err != nil {
			t.Fatal(err)
		}
	}
	return qs
}

// An invitation is mailed in the invitee's language with its link, opens
// once, makes a guest's account with the name and password given, runs
// the hooks with its grants, and is used up.
func TestInvitationLife(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		db, admin := inviteDB(t, e)
		var hooked []string
		db.AddAcceptHook(func(ctx context.Context, tx *sql.Tx, userID int64, grants []byte) error {
			var email string
			if err := tx.QueryRowContext(ctx, rebind(db, `SELECT email FROM users WHERE id = ?`), userID).Scan(&email); err != nil {
				return err
			}
			hooked = append(hooked, email+" "+string(grants))
			return nil
		})
		now := time.Now()
		inv, err := db.Invite(ctx, admin, "utokyo", partnerhub.InvitationSpec{Email: " Ann.Smith@Princeton.EDU ", Name: "Ann Smith",
			Lang: partnerhub.English, Note: partnerhub.Text{En: "To review proposals of the joint fund"}, Grants: []byte(`{"fund":"pu-2027","role":"reviewer"}`)}, now)
		if err != nil {
			t.Fatal(err)
		}
		if inv.Email != "ann.smith@princeton.edu" || inv.Role != partnerhub.RoleGuest || inv.State(now) != partnerhub.InvitationPending ||
			!inv.ExpiresAt.Equal(inv.CreatedAt.Add(7*24*time.Hour)) || inv.Token == "" {
			t.Fatalf("invitation: %+v", inv)
		}
		msgs := claimAll(t, db, now)
		if len(msgs) != 1 || msgs[0].To != inv.Email || msgs[0].Language != partnerhub.English ||
			!strings.Contains(msgs[0].Text, "https://partners.example.ac.jp/en/invitations/"+inv.Token) ||
			!strings.Contains(msgs[0].Text, "Hanako Office") || !strings.Contains(msgs[0].Text, "To review proposals") {
			t.Fatalf("mail: %+v", msgs)
		}
		list, err := db.Invitations(ctx, admin, "utokyo")
		if err != nil || len(list) != 1 || list[0].Token != "" || string(list[0].Grants) != `{"fund":"pu-2027","role":"reviewer"}` {
			t.Fatalf("list: %+v %v", list, err)
		}

		got, err := db.OpenInvitation(ctx, "utokyo", inv.Token, "192.0.2.1", now)
		if err != nil || got.ID != inv.ID || got.Inviter != "Hanako Office" {
			t.Fatalf("open: %+v %v", got, err)
		}
		// Bad input changes nothing.
		_, err = db.AcceptInvitation(ctx, "utokyo", inv.Token, partnerhub.Acceptance{Name: " ", Password: "short", IP: "192.0.2.1"}, now)
		wantFields(t, err, "name", "password")
		_, err = db.AcceptInvitation(ctx, "utokyo", inv.Token, partnerhub.Acceptance{Name: "Ann", Password: "password1234", IP: "192.0.2.1"}, now)
		wantFields(t, err, "password")
		if _, err := db.UserByEmail(ctx, inv.Email); partnerhub.ErrorCode(err) != partnerhub.ENotFound {
			t.Fatalf("a refused acceptance made an account: %v", err)
		}
		u, err := db.AcceptInvitation(ctx, "utokyo", inv.Token, partnerhub.Acceptance{Name: "Dr Ann Smith", Password: "a long and secret passphrase", IP: "192.0.2.1"}, now)
		if err != nil {
			t.Fatal(err)
		}
		if u.ID == 0 || u.Role != partnerhub.RoleGuest || u.Name != "Dr Ann Smith" || u.Home != "utokyo" {
			t.Fatalf("user: %+v", u)
		}
		if len(hooked) != 1 || hooked[0] != `ann.smith@princeton.edu {"fund":"pu-2027","role":"reviewer"}` {
			t.Fatalf("hook: %q", hooked)
		}
		if pu, _, err := db.PasswordUser(ctx, inv.Email); err != nil || pu.ID != u.ID {
			t.Fatalf("the account: %+v %v", pu, err)
		}
		if l, _, _ := db.MailLanguage(ctx, u.ID); l != partnerhub.English {
			t.Errorf("the account's mail language: %s", l)
		}
		// Used: gone, and nothing more happens.
		_, err = db.OpenInvitation(ctx, "utokyo", inv.Token, "192.0.2.1", now)
		wantCode(t, err, partnerhub.EGone)
		_, err = db.AcceptInvitation(ctx, "utokyo", inv.Token, partnerhub.Acceptance{Name: "Ann", Password: "another long passphrase", IP: "192.0.2.1"}, now)
		wantCode(t, err, partnerhub.EGone)
		if len(hooked) != 1 {
			t.Fatalf("the hook ran again: %q", hooked)
		}
		list, _ = db.Invitations(ctx, admin, "utokyo")
		if st := list[0].State(now); st != partnerhub.InvitationAccepted || list[0].UserID != u.ID {
			t.Fatalf("after acceptance: %s %+v", st, list[0])
		}
		// Audited: the invitation made and accepted, the account made.
		evs, err := db.Audit(ctx, "utokyo", partnerhub.AuditFilter{Entity: partnerhub.EntityInvitation})
		if err != nil || len(evs) != 2 {
			t.Fatalf("audit: %+v %v", evs, err)
		}
		if strings.Contains(string(evs[0].After)+string(evs[1].After), "pu-2027") {
			t.Error("the audit log shows the grants")
		}
	})
}

// A link expires; a resend sends a new one that voids the old; a revoked
// invitation opens no more and is sent no more; an unknown token is
// counted, and too many from one address wait.
func TestInvitationExpireResendRevoke(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		db, admin := inviteDB(t, e)
		now := time.Now()
		inv, err := db.Invite(ctx, admin, "utokyo", partnerhub.InvitationSpec{Email: "taro@example.org", Name: "Taro", Lang: partnerhub.Japanese, ExpiresIn: 48 * time.Hour}, now)
		if err != nil {
			t.Fatal(err)
		}
		later := now.Add(49 * time.Hour)
		_, err = db.OpenInvitation(ctx, "utokyo", inv.Token, "192.0.2.2", later)
		wantCode(t, err, partnerhub.EGone)
		_, err = db.AcceptInvitation(ctx, "utokyo", inv.Token, partnerhub.Acceptance{Name: "Taro", Password: "a long and secret passphrase", IP: "192.0.2.2"}, later)
		wantCode(t, err, partnerhub.EGone)
		claimAll(t, db, now)

		again, err := db.ResendInvitation(ctx, admin, "utokyo", inv.ID, later)
		if err != nil {
			t.Fatal(err)
		}
		if again.Token == inv.Token || again.Sends != 2 || !again.ExpiresAt.Equal(dbRound(later.Add(48*time.Hour))) {
			t.Fatalf("resent: %+v", again)
		}
		msgs := claimAll(t, db, later)
		if len(msgs) != 1 || msgs[0].Language != partnerhub.Japanese || !strings.Contains(msgs[0].Text, "/ja/invitations/"+again.Token) {
			t.Fatalf("the mail of a resend: %+v", msgs)
		}
		_, err = db.OpenInvitation(ctx, "utokyo", inv.Token, "192.0.2.2", later)
		wantCode(t, err, partnerhub.ENotFound)
		if _, err := db.OpenInvitation(ctx, "utokyo", again.Token, "192.0.2.2", later); err != nil {
			t.Fatal(err)
		}

		if err := db.RevokeInvitation(ctx, admin, "utokyo", inv.ID, later); err != nil {
			t.Fatal(err)
		}
		_, err = db.OpenInvitation(ctx, "utokyo", again.Token, "192.0.2.2", later)
		wantCode(t, err, partnerhub.EGone)
		_, err = db.ResendInvitation(ctx, admin, "utokyo", inv.ID, later)
		wantCode(t, err, partnerhub.EConflict)
		if _, err := db.UserByEmail(ctx, "taro@example.org"); partnerhub.ErrorCode(err) != partnerhub.ENotFound {
			t.Fatalf("an account was made: %v", err)
		}

		// Guessing: the free failures, then a wait, for that address only.
		for i := 0; i < authn.FreeFailures+1; i++ {
			_, err = db.OpenInvitation(ctx, "utokyo", "phi_"+strings.Repeat("x", 43), "198.51.100.9", later)
			wantCode(t, err, partnerhub.ENotFound)
		}
		_, err = db.OpenInvitation(ctx, "utokyo", again.Token, "198.51.100.9", later)
		wantCode(t, err, partnerhub.ETooMany)
		var wait *authn.Wait
		if !errors.As(err, &wait) {
			t.Errorf("no wait: %v", err)
		}
		_, err = db.AcceptInvitation(ctx, "utokyo", "nonsense", partnerhub.Acceptance{Name: "x", Password: "y", IP: "198.51.100.9"}, later)
		wantCode(t, err, partnerhub.ETooMany)
		_, err = db.OpenInvitation(ctx, "utokyo", "nonsense", "192.0.2.77", later)
		wantCode(t, err, partnerhub.ENotFound)
	})
}

func dbRound(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// Who may invite, and what: bad input, an address that has an account,
// one of another home, and a second invitation of an address.
func TestInvitationRules(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		db, admin := inviteDB(t, e)
		now := time.Now()
		viewer, err := db.CreateUser(ctx, "utokyo", &partnerhub.User{Email: "viewer@example.ac.jp", Name: "Viewer", Role: partnerhub.RoleViewer}, "a long and secret passphrase")
		if err != nil {
			t.Fatal(err)
		}
		guest, err := db.CreateUser(ctx, "utokyo", &partnerhub.User{Email: "guest@example.org", Name: "Guest", Role: partnerhub.RoleGuest}, "a long and secret passphrase")
		if err != nil {
			t.Fatal(err)
		}
		spec := partnerhub.InvitationSpec{Email: "new@example.org", Name: "New", Lang: partnerhub.English}
		_, err = db.Invite(ctx, viewer, "utokyo", spec, now)
		wantCode(t, err, partnerhub.EForbidden)
		_, err = db.Invite(ctx, guest, "utokyo", partnerhub.InvitationSpec{Email: "new@example.org", Name: "New", Lang: partnerhub.English}, now)
		wantCode(t, err, partnerhub.EForbidden)
		// A guest (a fund's applicant) may invite a guest with a feature's grants.
		byGuest, err := db.Invite(ctx, guest, "utokyo", partnerhub.InvitationSpec{Email: "coapplicant@example.org", Name: "Co", Lang: partnerhub.English, Grants: []byte(`{"proposal":1}`)}, now)
		if err != nil {
			t.Fatal(err)
		}
		_, err = db.Invite(ctx, nil, "utokyo", spec, now)
		wantCode(t, err, partnerhub.EUnauthorized)
		// A feature that grants its own role may have a non-admin invite a guest.
		byViewer, err := db.Invite(ctx, viewer, "utokyo", partnerhub.InvitationSpec{Email: "new@example.org", Name: "New", Lang: partnerhub.English, Grants: []byte(`{"g":1}`)}, now)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Invite(ctx, viewer, "utokyo", partnerhub.InvitationSpec{Email: "x@example.org", Name: "X", Lang: partnerhub.English, Role: partnerhub.RoleViewer, Grants: []byte(`{}`)}, now); partnerhub.ErrorCode(err) != partnerhub.EForbidden {
			t.Errorf("a viewer invited a viewer: %v", err)
		}
		mine, err := db.Invitations(ctx, viewer, "utokyo")
		if err != nil || len(mine) != 1 || mine[0].ID != byViewer.ID {
			t.Fatalf("the viewer's own invitations: %+v %v", mine, err)
		}
		if list, err := db.Invitations(ctx, guest, "utokyo"); err != nil || len(list) != 1 || list[0].ID != byGuest.ID {
			t.Errorf("a guest's own invitations: %+v %v", list, err)
		}
		if _, err := db.ResendInvitation(ctx, guest, "utokyo", byViewer.ID, now); partnerhub.ErrorCode(err) != partnerhub.EForbidden {
			t.Errorf("a guest resent another's invitation: %v", err)
		}

		_, err = db.Invite(ctx, admin, "utokyo", partnerhub.InvitationSpec{Email: "not an address", Name: " ", Lang: "fr", Role: partnerhub.RoleAdmin,
			ExpiresIn: 31 * 24 * time.Hour, Note: partnerhub.Text{Ja: strings.Repeat("あ", 2001)}}, now)
		wantFields(t, err, "email", "name", "lang", "role", "expires_in", "note.ja")

		// An address with an account: no second account, the hook runs at
		// once, the mail says to sign in.
		var hooked []int64
		db.AddAcceptHook(func(ctx context.Context, tx *sql.Tx, userID int64, grants []byte) error {
			hooked = append(hooked, userID)
			return nil
		})
		claimAll(t, db, now)
		inv, err := db.Invite(ctx, admin, "utokyo", partnerhub.InvitationSpec{Email: "Guest@example.org", Name: "Guest", Lang: partnerhub.Japanese, Grants: []byte(`{}`)}, now)
		if err != nil {
			t.Fatal(err)
		}
		if !inv.ExistingAccount || inv.UserID != guest.ID || inv.State(now) != partnerhub.InvitationAccepted || inv.Token != "" {
			t.Fatalf("existing: %+v", inv)
		}
		if len(hooked) != 1 || hooked[0] != guest.ID {
			t.Fatalf("hook: %v", hooked)
		}
		msgs := claimAll(t, db, now)
		if len(msgs) != 1 || !strings.Contains(msgs[0].Text, "https://partners.example.ac.jp/ja/signin") || strings.Contains(msgs[0].Text, "/invitations/") {
			t.Fatalf("the mail to an existing account: %+v", msgs)
		}

		// Another home's account, a disabled one.
		inst := func(slug string) partnerhub.Institution {
			return partnerhub.Institution{Slug: slug, Name: partnerhub.Text{Ja: slug + "大学", En: "University " + slug}, Country: "JP"}
		}
		storetest.AddHome(t, db, "kyoto", []partnerhub.Institution{inst("kyoto-uni"), inst("kyoto-a"), inst("kyoto-b")}, "kyoto-a", "kyoto-b")
		other, err := db.CreateUser(ctx, "kyoto", &partnerhub.User{Email: "k@example.ac.jp", Name: "K", Role: partnerhub.RoleViewer}, "a long and secret passphrase")
		if err != nil {
			t.Fatal(err)
		}
		_, err = db.Invite(ctx, admin, "utokyo", partnerhub.InvitationSpec{Email: other.Email, Name: "K", Lang: partnerhub.Japanese}, now)
		wantFields(t, err, "email")
		if err := db.DisableUser(ctx, "utokyo", viewer.Email); err != nil {
			t.Fatal(err)
		}
		_, err = db.Invite(ctx, admin, "utokyo", partnerhub.InvitationSpec{Email: viewer.Email, Name: "V", Lang: partnerhub.Japanese}, now)
		wantFields(t, err, "email")
		// The disabled viewer can no longer resend their invitation.
		viewer.Disabled = true
		_, err = db.ResendInvitation(ctx, viewer, "utokyo", byViewer.ID, now)
		wantCode(t, err, partnerhub.EUnauthorized)

		// Two invitations of one address: the first link accepted takes both.
		hooked = nil
		second, err := db.Invite(ctx, admin, "utokyo", partnerhub.InvitationSpec{Email: "new@example.org", Name: "New", Lang: partnerhub.English, Grants: []byte(`{"g":2}`)}, now)
		if err != nil {
			t.Fatal(err)
		}
		u, err := db.AcceptInvitation(ctx, "utokyo", second.Token, partnerhub.Acceptance{Name: "New", Password: "a long and secret passphrase", IP: "192.0.2.3"}, now)
		if err != nil {
			t.Fatal(err)
		}
		if len(hooked) != 2 {
			t.Fatalf("hooks of both invitations: %v", hooked)
		}
		_, err = db.OpenInvitation(ctx, "utokyo", byViewer.Token, "192.0.2.3", now)
		wantCode(t, err, partnerhub.EGone)
		list, _ := db.Invitations(ctx, admin, "utokyo")
		for _, i := range list {
			if i.Email == "new@example.org" && i.UserID != u.ID {
				t.Errorf("invitation %d not accepted for the account: %+v", i.ID, i)
			}
		}
		// A hook that fails rolls the acceptance back.
		db.AddAcceptHook(func(ctx context.Context, tx *sql.Tx, userID int64, grants []byte) error {
			return errors.New("no such fund")
		})
		third, err := db.Invite(ctx, admin, "utokyo", partnerhub.InvitationSpec{Email: "third@example.org", Name: "Third", Lang: partnerhub.English}, now)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.AcceptInvitation(ctx, "utokyo", third.Token, partnerhub.Acceptance{Name: "Third", Password: "a long and secret passphrase", IP: "192.0.2.3"}, now); err == nil {
			t.Fatal("accepted despite the hook")
		}
		if _, err := db.UserByEmail(ctx, "third@example.org"); partnerhub.ErrorCode(err) != partnerhub.ENotFound {
			t.Fatalf("the account stayed: %v", err)
		}
		if _, err := db.OpenInvitation(ctx, "utokyo", third.Token, "192.0.2.3", now); err != nil {
			t.Fatalf("the invitation was used: %v", err)
		}
	})
}

// Migration 17 lets users be guests; on SQLite it builds the users table
// anew, and everything that refers to a user (sessions, tokens, units,
// second factors, the audit log) must come through unchanged.
func TestGuestMigrationKeepsAccounts(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		db, err := store.Open(ctx, e.URL(t))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		if err := db.MigrateToForTest(ctx, 16); err != nil {
			t.Fatal(err)
		}
		if err := db.ImportCatalog(ctx, builtin(t)); err != nil {
			t.Fatal(err)
		}
		now := time.Now()
		coord, err := db.CreateUser(ctx, "utokyo", &partnerhub.User{Email: "c@example.ac.jp", Name: "C", Role: partnerhub.RoleCoordinator, Units: []string{"agr"}}, "a long and secret passphrase")
		if err != nil {
			t.Fatal(err)
		}
		session, err := db.CreateSession(ctx, coord.ID, now, partnerhub.SessionSpec{TTL: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		token, _, err := db.CreateToken(ctx, coord.ID, partnerhub.TokenSpec{Name: "t", Scope: partnerhub.ScopeRead}, now)
		if err != nil {
			t.Fatal(err)
		}
		if err := db.SetMailLanguage(ctx, coord.ID, partnerhub.English, false); err != nil {
			t.Fatal(err)
		}
		_, err = db.CreateUser(ctx, "utokyo", &partnerhub.User{Email: "g@example.org", Name: "G", Role: partnerhub.RoleGuest}, "a long and secret passphrase")
		if err == nil {
			t.Fatal("a guest before the migration")
		}
		if err := db.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		if u, err := db.SessionUser(ctx, session, now); err != nil || u.ID != coord.ID || len(u.Units) != 1 {
			t.Fatalf("the session after the migration: %+v %v", u, err)
		}
		if u, _, err := db.TokenUser(ctx, token, now); err != nil || u.ID != coord.ID {
			t.Fatalf("the token after the migration: %+v %v", u, err)
		}
		if l, chosen, err := db.MailLanguage(ctx, coord.ID); err != nil || l != partnerhub.English || !chosen {
			t.Fatalf("the language of mail: %s %v %v", l, chosen, err)
		}
		if _, err := db.CreateUser(ctx, "utokyo", &partnerhub.User{Email: "g@example.org", Name: "G", Role: partnerhub.RoleGuest}, "a long and secret passphrase"); err != nil {
			t.Fatal(err)
		}
		// The role is still checked by the database.
		if _, err := db.InsertUserForTest(ctx, &partnerhub.User{Email: "x@example.org", Name: "X", Role: "boss", Home: "utokyo"}); err == nil {
			t.Fatal("the database took a role it does not know")
		}
		// And foreign keys are enforced again on the writer.
		if err := db.ExecForTest(ctx, `INSERT INTO user_units (user_id, unit_id) VALUES (999999, 999999)`); err == nil {
			t.Fatal("a unit granted to no user")
		}
	})
}

// A guest is never a network administrator, by flag or by command.
func TestGuestIsNoNetworkAdmin(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		db := e.OpenBuiltin(t)
		_, err := db.CreateUser(ctx, "utokyo", &partnerhub.User{Email: "g@example.org", Name: "G", Role: partnerhub.RoleGuest, NetworkAdmin: true}, "a long and secret passphrase")
		wantFields(t, err, "network_admin")
		if _, err := db.CreateUser(ctx, "utokyo", &partnerhub.User{Email: "g@example.org", Name: "G", Role: partnerhub.RoleGuest}, "a long and secret passphrase"); err != nil {
			t.Fatal(err)
		}
		wantFields(t, db.SetNetworkAdmin(ctx, "utokyo", "g@example.org", true), "network_admin")
		if u, _ := db.UserByEmail(ctx, "g@example.org"); u.NetworkAdmin {
			t.Fatal("a guest became a network administrator")
		}
	})
}
