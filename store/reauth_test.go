package store_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"partnerhub"
	"partnerhub/store/storetest"
)

// A session knows when its holder last proved their password: at the
// sign-in that opened it, then whenever they confirm it again; a wrong
// password changes nothing, counts as a failure and is throttled like a
// wrong current password on the change-password form.
func TestReauthenticate(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		db, _ := acctDB(t, e)
		u := acctUser(t, db, "reauth@example.ac.jp", partnerhub.RoleViewer)
		other := acctUser(t, db, "other@example.ac.jp", partnerhub.RoleViewer)
		opened := time.Now().Truncate(time.Second)
		spec := partnerhub.SessionSpec{TTL: 12 * time.Hour}
		token, err := db.CreateSession(ctx, u.ID, opened, spec)
		if err != nil {
			t.Fatal(err)
		}
		if at, err := db.SessionAuthAt(ctx, token, opened); err != nil || !at.Equal(opened) {
			t.Fatalf("a new session: proved at %v, %v; want %v", at, err, opened)
		}
		later := opened.Add(20 * time.Minute)

		if got := fieldKey(t, db.Reauthenticate(ctx, u.ID, token, "not my password", later), "password"); got != "password_wrong" {
			t.Fatalf("wrong password: %q", got)
		}
		if got := fieldKey(t, db.Reauthenticate(ctx, u.ID, token, "", later), "password"); got != "required" {
			t.Fatalf("no password: %q", got)
		}
		if at, _ := db.SessionAuthAt(ctx, token, later); !at.Equal(opened) {
			t.Fatalf("a refused confirmation moved the time to %v", at)
		}
		// Another user's password does not confirm this session, nor may
		// they confirm it with theirs.
		wantCode(t, db.Reauthenticate(ctx, other.ID, token, goodPassword, later), partnerhub.EUnauthorized)
		if err := db.Reauthenticate(ctx, u.ID, token, goodPassword, later); err != nil {
			t.Fatal(err)
		}
		if at, err := db.SessionAuthAt(ctx, token, later); err != nil || !at.Equal(later) {
			t.Fatalf("after confirming: %v, %v; want %v", at, err, later)
		}
		_, err = db.SessionAuthAt(ctx, "not-a-session-token", later)
		wantCode(t, err, partnerhub.EUnauthorized)

		// One wrong password above and four more make five: the right
		// one is then refused for the window.
		for range 4 {
			fieldKey(t, db.Reauthenticate(ctx, u.ID, token, "a wrong guess", later), "password")
		}
		wantCode(t, db.Reauthenticate(ctx, u.ID, token, goodPassword, later), partnerhub.ETooMany)
		if err := db.Reauthenticate(ctx, u.ID, token, goodPassword, later.Add(16*time.Minute)); err != nil {
			t.Fatalf("after the window: %v", err)
		}

		// The time travels with an export; an export of schema 8, before
		// it was kept, imports with none.
		src := db
		d := xferParse(t, xferExport(t, src))
		dst := e.Open(t)
		if err := dst.Import(ctx, bytes.NewReader(d.bytes(t))); err != nil {
			t.Fatal(err)
		}
		if at, err := dst.SessionAuthAt(ctx, token, later.Add(16*time.Minute)); err != nil || !at.Equal(later.Add(16*time.Minute)) {
			t.Fatalf("imported: %v, %v", at, err)
		}
		d["schema_version"] = 8
		delete(d.tables(), "mail_outbox")         // schema 10's
		delete(d.tables(), "calendar_feeds")      // schema 11's
		delete(d.tables(), "agreement_documents") // schema 14's
		for _, r := range d.rows("sessions") {
			delete(r.(map[string]any), "auth_at")
		}
		dst = e.Open(t)
		if err := dst.Import(ctx, bytes.NewReader(d.bytes(t))); err != nil {
			t.Fatal(err)
		}
		if at, err := dst.SessionAuthAt(ctx, token, later); err != nil || !at.IsZero() {
			t.Fatalf("imported from schema 8: %v, %v; want none", at, err)
		}
	})
}
