package store_test

import (
	"bytes"
	"context"
	"database/sql"
	"testing"
	"time"

	"partnerhub"
	"partnerhub/mail"
	"partnerhub/store"
	"partnerhub/store/storetest"
)

// transferMail puts a message in the outbox, with characters an export
// must keep.
func transferMail(t *testing.T, db *store.DB, u *partnerhub.User, now time.Time) {
	t.Helper()
	ctx := context.Background()
	m := mail.Message{To: u.Email, Language: partnerhub.Japanese, Subject: "パスワードが変更されました", Text: "一行目\n<二行目> & \"引用\"",
		HTML: "<p>一行目</p>\n<p>&lt;二行目&gt;</p>", Kind: mail.KindSecurity, MessageID: "0123456789abcdef@example.ac.jp"}
	if err := db.TxForTest(ctx, func(tx *sql.Tx) error { return db.EnqueueMail(ctx, tx, m, now) }); err != nil {
		t.Fatal(err)
	}
}

// An export of schema 8, before mail, imports: no outbox, and every user's
// mail in the default language, not chosen.
func TestImportBeforeMail(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		f := transferFixture(t, e)
		d := xferParse(t, xferExport(t, f.db))
		d["schema_version"] = 8
		delete(d.tables(), "mail_outbox")
		delete(d.tables(), "calendar_feeds")      // schema 11's
		delete(d.tables(), "agreement_documents") // schema 14's
		for _, r := range d.rows("users") {
			delete(r.(map[string]any), "language")
		}
		dst := e.Open(t)
		if err := dst.Import(ctx, bytes.NewReader(d.bytes(t))); err != nil {
			t.Fatal(err)
		}
		if es, err := dst.Outbox(ctx, 10); err != nil || len(es) != 0 {
			t.Fatalf("outbox after the import: %v %v", es, err)
		}
		if l, chosen, err := dst.MailLanguage(ctx, f.admin.ID); err != nil || l != partnerhub.Japanese || chosen {
			t.Fatalf("language after the import: %s %v %v", l, chosen, err)
		}
		// The export of this schema keeps the outbox.
		if es, err := f.db.Outbox(ctx, 10); err != nil || len(es) != 1 {
			t.Fatalf("fixture outbox: %v %v", es, err)
		}
	})
}
