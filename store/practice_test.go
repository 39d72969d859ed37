package store_test

import (
	"context"
	"database/sql"
	"strings"
	"testing"
	"time"

	"partnerhub"
	"partnerhub/i18n"
	"partnerhub/mail"
	"partnerhub/mail/mailpittest"
	"partnerhub/store"
	"partnerhub/store/storetest"
)

// practiceFixture is utokyo (the built-in data) and kyoto, with the
// people a note meets: utokyo's admin, coordinator, viewer and a guest,
// kyoto's admin, and a network editor of kyoto.
type practiceFixture struct {
	db                                 *store.DB
	admin, coord, viewer, guest, kyoto *partnerhub.User
	editor                             *partnerhub.User
	partner, activity, hiddenActivity  string
}

func newPracticeFixture(t *testing.T, e storetest.Engine) *practiceFixture {
	t.Helper()
	ctx := context.Background()
	db := e.OpenBuiltin(t)
	inst := func(slug string) partnerhub.Institution {
		return partnerhub.Institution{Slug: slug, Name: partnerhub.Text{Ja: slug + "大学", En: "University " + slug}, Country: "JP"}
	}
	storetest.AddHome(t, db, "kyoto", []partnerhub.Institution{inst("kyoto-uni"), inst("kyoto-a"), inst("kyoto-b")}, "kyoto-a", "kyoto-b")
	f := &practiceFixture{db: db}
	mk := func(home, email string, role partnerhub.Role, units ...string) *partnerhub.User {
		u, err := db.CreateUser(ctx, home, &partnerhub.User{Email: email, Name: "Name " + email, Role: role, Units: units}, "a long and secret passphrase")
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	f.admin = mk("utokyo", "admin@u-tokyo.example", partnerhub.RoleAdmin)
	f.coord = mk("utokyo", "coord@u-tokyo.example", partnerhub.RoleCoordinator, "agr")
	f.viewer = mk("utokyo", "viewer@u-tokyo.example", partnerhub.RoleViewer)
	f.guest = mk("utokyo", "guest@partner.example", partnerhub.RoleGuest)
	f.kyoto = mk("kyoto", "admin@kyoto.example", partnerhub.RoleAdmin)
	f.editor = mk("kyoto", "editor@kyoto.example", partnerhub.RoleViewer)
	if err := db.TxForTest(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, db.Rebind(`UPDATE users SET network_editor = ? WHERE id = ?`), true, f.editor.ID)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	f.editor.NetworkEditor = true
	c, err := db.Catalog(ctx, "utokyo")
	if err != nil {
		t.Fatal(err)
	}
	f.partner = c.Partners[0].Slug
	for _, a := range c.Activities {
		if a.Published && f.activity == "" {
			f.activity = a.Slug
		}
	}
	// An activity of utokyo's not published: its link is the office's only.
	f.hiddenActivity = c.Activities[len(c.Activities)-1].Slug
	if err := db.TxForTest(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, db.Rebind(`UPDATE activities SET published = ? WHERE slug = ? AND home_id = (SELECT id FROM home_institutions WHERE slug = 'utokyo')`), false, f.hiddenActivity)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *practiceFixture) note() partnerhub.Note {
	return partnerhub.Note{
		Title: partnerhub.Text{Ja: "共同ファンドの立ち上げ", En: "Starting a joint fund"},
		Body: partnerhub.Text{Ja: "最初の公募は小さく始めました。\n\n審査は両大学で行いました。",
			En: "We started the first call small.\n\nBoth universities reviewed together."},
		Topic:      partnerhub.TopicJointFunds,
		Tags:       []string{"Seed money", "seed money", " ＡＳＥＡＮ "},
		Partners:   []partnerhub.NoteLink{{Slug: f.partner}},
		Activities: []partnerhub.NoteLink{{Slug: f.activity}, {Slug: f.hiddenActivity}},
	}
}

func code(err error) string { return partnerhub.ErrorCode(err) }

// A note's life and who may move it: its member's admins and
// coordinators write and submit it; viewers, guests and other members may
// not; network editors publish, return and withdraw; nobody else does.
// Drafts are seen by the office only, submitted notes by the editors too,
// published ones by everyone; every change is audited with the version.
func TestPracticeNoteLife(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		f := newPracticeFixture(t, e)
		db := f.db
		for _, u := range []*partnerhub.User{nil, f.viewer, f.guest, f.editor} {
			if _, err := db.CreateNote(ctx, u, f.note()); err == nil {
				t.Fatalf("%v created a note of utokyo", u)
			}
		}
		bad := f.note()
		bad.Topic, bad.Title.En, bad.Partners = "gossip", "", []partnerhub.NoteLink{{Slug: "no-such-partner"}}
		_, err := db.CreateNote(ctx, f.coord, bad)
		if fe := fieldsOf(err); fe["topic"].Key != "one_of" || fe["title.en"].Key != "required" {
			t.Fatalf("bad note: %v %v", err, fe)
		}
		bad = f.note()
		bad.Partners = []partnerhub.NoteLink{{Slug: "kyoto-partner"}}
		if fe := fieldsOf(func() error { _, err := db.CreateNote(ctx, f.coord, bad); return err }()); fe["partners[0]"].Key != "practice_unknown_partner" {
			t.Fatalf("a link to another member's partner: %v", fe)
		}

		n, err := db.CreateNote(ctx, f.coord, f.note())
		if err != nil {
			t.Fatal(err)
		}
		if n.State != partnerhub.NoteDraft || n.Version != 1 || n.Home != "utokyo" || n.Author != f.coord.Name ||
			strings.Join(n.Tags, "|") != "Seed money|ASEAN" || len(n.Partners) != 1 || n.Partners[0].Name.En == "" || len(n.Activities) != 2 {
			t.Fatalf("created %+v", n)
		}
		// The draft: its office only.
		for _, u := range []*partnerhub.User{f.admin, f.coord, f.viewer} {
			if _, err := db.Note(ctx, u, n.ID); err != nil {
				t.Fatalf("%s cannot read the draft: %v", u.Email, err)
			}
		}
		for _, u := range []*partnerhub.User{nil, f.guest, f.kyoto, f.editor} {
			if _, err := db.Note(ctx, u, n.ID); code(err) != partnerhub.ENotFound {
				t.Fatalf("%v read a draft: %v", u, err)
			}
			if ns, _ := db.Notes(ctx, u, partnerhub.NoteFilter{Scope: partnerhub.NoteScopeVisible}); len(ns) != 0 {
				t.Fatalf("%v listed a draft", u)
			}
		}
		if _, err := db.Notes(ctx, f.guest, partnerhub.NoteFilter{Scope: partnerhub.NoteScopeMine}); code(err) != partnerhub.EForbidden {
			t.Fatalf("a guest listed the office's notes: %v", err)
		}
		// Writing: the office's admins and coordinators, at the version read.
		upd := *n
		upd.Title.En = "Starting a joint fund, small"
		for _, u := range []*partnerhub.User{f.viewer, f.guest, f.kyoto, f.editor} {
			if _, err := db.UpdateNote(ctx, u, upd); err == nil {
				t.Fatalf("%s edited the note", u.Email)
			}
		}
		if n, err = db.UpdateNote(ctx, f.admin, upd); err != nil || n.Version != 2 || n.Title.En != upd.Title.En {
			t.Fatalf("update: %+v %v", n, err)
		}
		if _, err := db.UpdateNote(ctx, f.coord, upd); code(err) != partnerhub.EConflict {
			t.Fatalf("a stale write: %v", err)
		}
		// Editors do not submit, writers do not publish.
		if _, err := db.TransitNote(ctx, f.editor, n.ID, n.Version, partnerhub.VerbSubmitNote, ""); code(err) != partnerhub.ENotFound {
			t.Fatalf("an editor submitted a draft: %v", err)
		}
		if _, err := db.TransitNote(ctx, f.coord, n.ID, n.Version, partnerhub.VerbPublishNote, ""); code(err) != partnerhub.EForbidden {
			t.Fatalf("a writer published: %v", err)
		}
		if _, err := db.TransitNote(ctx, f.viewer, n.ID, n.Version, partnerhub.VerbSubmitNote, ""); code(err) != partnerhub.EForbidden {
			t.Fatalf("a viewer submitted: %v", err)
		}
		if n, err = db.TransitNote(ctx, f.coord, n.ID, n.Version, partnerhub.VerbSubmitNote, ""); err != nil || n.State != partnerhub.NoteSubmitted {
			t.Fatalf("submit: %+v %v", n, err)
		}
		// Submitted: the editors see it (and its hidden link? no), the public does not.
		en, err := db.Note(ctx, f.editor, n.ID)
		if err != nil {
			t.Fatalf("the editor cannot read a submitted note: %v", err)
		}
		if len(en.Activities) != 1 || en.Activities[0].Slug != f.activity {
			t.Fatalf("the editor sees an unpublished activity's link: %+v", en.Activities)
		}
		if q, _ := db.Notes(ctx, f.editor, partnerhub.NoteFilter{Scope: partnerhub.NoteScopeReview}); len(q) != 1 {
			t.Fatalf("review queue: %d", len(q))
		}
		if _, err := db.Notes(ctx, f.admin, partnerhub.NoteFilter{Scope: partnerhub.NoteScopeReview}); code(err) != partnerhub.EForbidden {
			t.Fatalf("a member's admin read the review queue: %v", err)
		}
		for _, u := range []*partnerhub.User{nil, f.kyoto, f.guest} {
			if _, err := db.Note(ctx, u, n.ID); code(err) != partnerhub.ENotFound {
				t.Fatalf("%v read a submitted note: %v", u, err)
			}
		}
		if _, err := db.UpdateNote(ctx, f.coord, *n); code(err) != partnerhub.EConflict {
			t.Fatalf("a submitted note was edited: %v", err)
		}
		// Returned with a comment, edited (a draft again), submitted, published.
		if _, err := db.TransitNote(ctx, f.editor, n.ID, n.Version, partnerhub.VerbReturnNote, " "); fieldsOf(err)["comment"].Key != "practice_comment_required" {
			t.Fatalf("a return without a comment: %v", err)
		}
		if n, err = db.TransitNote(ctx, f.editor, n.ID, n.Version, partnerhub.VerbReturnNote, "Say what the fund cost."); err != nil ||
			n.State != partnerhub.NoteReturned || n.Comment != "Say what the fund cost." {
			t.Fatalf("return: %+v %v", n, err)
		}
		if n, err = db.Note(ctx, f.coord, n.ID); err != nil {
			t.Fatal(err)
		}
		upd = *n
		upd.Body.En += "\n\nIt cost 2 million yen a year."
		if n, err = db.UpdateNote(ctx, f.coord, upd); err != nil || n.State != partnerhub.NoteDraft {
			t.Fatalf("edit after return: %+v %v", n, err)
		}
		if n, err = db.TransitNote(ctx, f.coord, n.ID, n.Version, partnerhub.VerbSubmitNote, ""); err != nil {
			t.Fatal(err)
		}
		if _, err := db.TransitNote(ctx, f.editor, n.ID, n.Version-1, partnerhub.VerbPublishNote, ""); code(err) != partnerhub.EConflict {
			t.Fatalf("a stale publication: %v", err)
		}
		if n, err = db.TransitNote(ctx, f.editor, n.ID, n.Version, partnerhub.VerbPublishNote, ""); err != nil || n.State != partnerhub.NotePublished || n.PublishedAt == nil {
			t.Fatalf("publish: %+v %v", n, err)
		}
		// Published: everyone; the unpublished activity's link stays the office's.
		pub, err := db.Note(ctx, nil, n.ID)
		if err != nil || len(pub.Activities) != 1 {
			t.Fatalf("the public reads %+v %v", pub, err)
		}
		for _, q := range []partnerhub.NoteFilter{{}, {Topic: partnerhub.TopicJointFunds}, {Tag: "asean"}, {Q: "ＣＯＳＴ"}, {Q: "公募"}, {Q: "seed"}} {
			if ns, err := db.Notes(ctx, nil, q); err != nil || len(ns) != 1 {
				t.Fatalf("library %+v: %d %v", q, len(ns), err)
			}
		}
		for _, q := range []partnerhub.NoteFilter{{Topic: partnerhub.TopicOther}, {Tag: "seed"}, {Q: "nothing like it"}, {Q: "%"}} {
			if ns, err := db.Notes(ctx, nil, q); err != nil || len(ns) != 0 {
				t.Fatalf("library %+v: %d %v", q, len(ns), err)
			}
		}
		if tags, _ := db.NoteTags(ctx); strings.Join(tags, "|") != "ASEAN|Seed money" {
			t.Fatalf("tags %v", tags)
		}
		if _, err := db.UpdateNote(ctx, f.admin, *n); code(err) != partnerhub.EConflict {
			t.Fatalf("a published note was edited: %v", err)
		}
		if _, err := db.TransitNote(ctx, f.admin, n.ID, n.Version, partnerhub.VerbWithdrawNote, ""); code(err) != partnerhub.EForbidden {
			t.Fatalf("a member's admin withdrew: %v", err)
		}
		if n, err = db.TransitNote(ctx, f.editor, n.ID, n.Version, partnerhub.VerbWithdrawNote, ""); err != nil || n.State != partnerhub.NoteWithdrawn {
			t.Fatalf("withdraw: %+v %v", n, err)
		}
		if _, err := db.Note(ctx, nil, n.ID); code(err) != partnerhub.ENotFound {
			t.Fatalf("the public reads a withdrawn note: %v", err)
		}
		// Every change in utokyo's audit log, with its verb and version.
		evs, err := db.Audit(ctx, "utokyo", partnerhub.AuditFilter{Entity: partnerhub.EntityNote, Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		var verbs []string
		for i := len(evs) - 1; i >= 0; i-- {
			verbs = append(verbs, string(evs[i].Action)+":"+string(evs[i].Verb))
		}
		want := "create:|update:|transition:submit|transition:return|update:|transition:submit|transition:publish|transition:withdraw"
		if strings.Join(verbs, "|") != want {
			t.Fatalf("audit %s, want %s", strings.Join(verbs, "|"), want)
		}
		if evs[0].Version != n.Version || evs[0].Actor != f.editor.Email {
			t.Fatalf("last event %+v", evs[0])
		}
		if kev, _ := db.Audit(ctx, "kyoto", partnerhub.AuditFilter{Entity: partnerhub.EntityNote}); len(kev) != 0 {
			t.Fatalf("kyoto's audit log holds utokyo's note: %+v", kev)
		}
	})
}

// Attachments: typed by their content, only by the office while the note
// is editable, at the version read; read by whoever may read the note.
func TestPracticeNoteFiles(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		f := newPracticeFixture(t, e)
		db := f.db
		n, err := db.CreateNote(ctx, f.coord, f.note())
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			name string
			data []byte
			key  string
		}{
			{"page.html", []byte("<script>alert(1)</script>"), "practice_file_type"},
			{"pic.svg", []byte("<svg onload=alert(1)>"), "practice_file_type"},
			{"fake.pdf", []byte("<html>not a pdf</html>"), "practice_file_content"},
			{"fake.png", storetest.PDF("x"), "practice_file_content"},
			{"empty.pdf", nil, "document_empty"},
		} {
			if _, err := db.AddNoteFile(ctx, f.coord, n.ID, n.Version, tc.name, tc.data); fieldsOf(err)["file"].Key != tc.key {
				t.Errorf("%s: %v", tc.name, err)
			}
		}
		if _, err := db.AddNoteFile(ctx, f.kyoto, n.ID, n.Version, "a.pdf", storetest.PDF("A")); code(err) != partnerhub.ENotFound {
			t.Fatalf("another member attached: %v", err)
		}
		if _, err := db.AddNoteFile(ctx, f.viewer, n.ID, n.Version, "a.pdf", storetest.PDF("A")); code(err) != partnerhub.EForbidden {
			t.Fatalf("a viewer attached: %v", err)
		}
		file, err := db.AddNoteFile(ctx, f.coord, n.ID, n.Version, "報告.pdf", storetest.PDF("Report"))
		if err != nil || file.ContentType != partnerhub.ContentTypePDF {
			t.Fatalf("attach: %+v %v", file, err)
		}
		if _, err := db.AddNoteFile(ctx, f.coord, n.ID, n.Version, "b.docx", storetest.DOCX("B")); code(err) != partnerhub.EConflict {
			t.Fatalf("a stale attachment: %v", err)
		}
		png := []byte("\x89PNG\r\n\x1a\n rest of an image")
		if _, err := db.AddNoteFile(ctx, f.coord, n.ID, n.Version+1, "photo.png", png); err != nil {
			t.Fatal(err)
		}
		got, err := db.Note(ctx, f.coord, n.ID)
		if err != nil || len(got.Files) != 2 || got.Version != 3 {
			t.Fatalf("note after attaching: %+v %v", got, err)
		}
		if _, _, err := db.NoteFile(ctx, nil, n.ID, file.ID); code(err) != partnerhub.ENotFound {
			t.Fatalf("the public downloaded a draft's file: %v", err)
		}
		if _, data, err := db.NoteFile(ctx, f.viewer, n.ID, file.ID); err != nil || !strings.Contains(string(data), "Report") {
			t.Fatalf("the office's download: %v", err)
		}
		if _, _, err := db.NoteFile(ctx, f.viewer, n.ID, file.ID+100); code(err) != partnerhub.ENotFound {
			t.Fatalf("another file: %v", err)
		}
	})
}

// The mail of a note's life, read back from Mailpit: the network's
// editors are told of a submission, in their language; the writer of the
// publication and of a return, with the comment.
func TestPracticeNoteMail(t *testing.T) {
	mp := mailpittest.Start(t)
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		f := newPracticeFixture(t, e)
		db := f.db
		cat, err := i18n.Load()
		if err != nil {
			t.Fatal(err)
		}
		db.SetMail(&mail.Composer{Messages: cat, BaseURL: mailBase})
		if err := db.SetMailLanguage(ctx, f.editor.ID, partnerhub.Japanese, false); err != nil {
			t.Fatal(err)
		}
		if err := db.SetMailLanguage(ctx, f.coord.ID, partnerhub.English, false); err != nil {
			t.Fatal(err)
		}
		claimAll(t, db, time.Now())
		n, err := db.CreateNote(ctx, f.coord, f.note())
		if err != nil {
			t.Fatal(err)
		}
		if n, err = db.TransitNote(ctx, f.coord, n.ID, n.Version, partnerhub.VerbSubmitNote, ""); err != nil {
			t.Fatal(err)
		}
		if n, err = db.TransitNote(ctx, f.editor, n.ID, n.Version, partnerhub.VerbReturnNote, "Add the budget."); err != nil {
			t.Fatal(err)
		}
		if n, err = db.TransitNote(ctx, f.coord, n.ID, n.Version, partnerhub.VerbSubmitNote, ""); err != nil {
			t.Fatal(err)
		}
		if _, err = db.TransitNote(ctx, f.editor, n.ID, n.Version, partnerhub.VerbPublishNote, ""); err != nil {
			t.Fatal(err)
		}
		ids := map[string]string{}
		for _, m := range outbox(t, db) {
			if m.Kind == mail.KindPracticeNote {
				ids[m.MessageID] = m.To
			}
		}
		if len(ids) != 4 {
			t.Fatalf("%d mails, want 4 (two submissions, a return, a publication)", len(ids))
		}
		if _, err := sender(t, db, mp.SMTPURL()).Drain(ctx); err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, s := range mp.Messages(t) {
			to, ours := ids[s.MessageID]
			if !ours {
				continue
			}
			m := mp.Message(t, s.ID)
			got = append(got, to+" "+m.Subject)
			switch {
			case to == f.editor.Email:
				if !strings.Contains(m.Subject, "審査待ちの事例：共同ファンドの立ち上げ") || !strings.Contains(m.Text, mailBase+"/ja/network/practice/review") {
					t.Errorf("editor's mail: %s\n%s", m.Subject, m.Text)
				}
			case to == f.coord.Email && strings.Contains(m.Subject, "returned"):
				if !strings.Contains(m.Text, "Add the budget.") || !strings.Contains(m.Text, mailBase+"/en"+partnerhub.NotePath(n.ID)) {
					t.Errorf("return mail: %s", m.Text)
				}
			case to == f.coord.Email && strings.Contains(m.Subject, "published"):
			default:
				t.Errorf("unexpected mail to %s: %s", to, m.Subject)
			}
		}
		if len(got) != 4 {
			t.Fatalf("mailpit has %d of ours: %v", len(got), got)
		}
	})
}
