package store_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"partnerhub"
	"partnerhub/store"
	"partnerhub/store/storetest"
)

// docFixture is the built-in programme with users of every kind, and a
// user of another home institution.
type docFixture struct {
	db                             *store.DB
	admin, coord, outsider, viewer *partnerhub.User
	other                          *partnerhub.User // kyoto's admin
	now                            time.Time
}

func newDocFixture(t *testing.T, e storetest.Engine) *docFixture {
	t.Helper()
	ctx := context.Background()
	db, _ := acctDB(t, e)
	c, err := db.Catalog(ctx, "utokyo")
	if err != nil {
		t.Fatal(err)
	}
	// A unit of pku's team in the current phase, and one that is not.
	cur := 0
	for _, p := range c.Phases {
		cur = max(cur, p.Number)
	}
	inTeam := map[string]bool{}
	for _, m := range c.Teams {
		if m.Partner == "pku" && m.Phase == cur {
			inTeam[m.Unit] = true
		}
	}
	var in, out string
	for _, u := range c.Units {
		if inTeam[u.Code] && in == "" {
			in = u.Code
		} else if !inTeam[u.Code] && out == "" {
			out = u.Code
		}
	}
	if in == "" || out == "" {
		t.Fatalf("pku's team in phase %d: %v", cur, inTeam)
	}
	f := &docFixture{db: db, now: time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC),
		admin:    transferUser(t, db, "admin@example.ac.jp", partnerhub.RoleAdmin),
		coord:    transferUser(t, db, "coord@example.ac.jp", partnerhub.RoleCoordinator, in),
		outsider: transferUser(t, db, "outsider@example.ac.jp", partnerhub.RoleCoordinator, out),
		viewer:   transferUser(t, db, "viewer@example.ac.jp", partnerhub.RoleViewer),
	}
	inst := func(slug string) partnerhub.Institution {
		return partnerhub.Institution{Slug: slug, Name: partnerhub.Text{Ja: slug + "大学", En: "University " + slug}, Country: "JP"}
	}
	storetest.AddHome(t, db, "kyoto", []partnerhub.Institution{inst("kyoto-uni"), inst("kyoto-a"), inst("kyoto-b")}, "kyoto-a", "kyoto-b")
	f.other = &partnerhub.User{Home: "kyoto", Email: "admin@kyoto.example.ac.jp", Name: "Kyoto", Role: partnerhub.RoleAdmin}
	if f.other.ID, err = db.InsertUserForTest(ctx, f.other); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *docFixture) add(t *testing.T, u *partnerhub.User, slug string, role partnerhub.DocumentRole, name string, data []byte) (partnerhub.AgreementDocument, error) {
	t.Helper()
	return f.db.AddDocument(context.Background(), u, "utokyo", slug, role, name, data, f.now)
}

func hexSum(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

// TestAgreementDocuments: versions by role, kept and downloadable; the type
// checked by content with nothing stored on a refusal; uploads audited;
// who may upload, who may read, and that another home's user, or nobody,
// finds no agreement at all.
func TestAgreementDocuments(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		f := newDocFixture(t, e)
		pdf1, pdf2, docx := storetest.PDF("Draft one"), storetest.PDF("Signed"), storetest.DOCX("第二草案")

		d1, err := f.add(t, f.admin, "pku-mou", partnerhub.DocumentDraft, "../協定案 v1.pdf", pdf1)
		if err != nil || d1.Version != 1 || d1.Filename != "協定案 v1.pdf" || d1.ContentType != partnerhub.ContentTypePDF ||
			d1.Size != int64(len(pdf1)) || d1.SHA256 != hexSum(pdf1) || d1.UploadedBy != f.admin.Name || !d1.UploadedAt.Equal(f.now) {
			t.Fatalf("first draft: %+v, %v", d1, err)
		}
		d2, err := f.add(t, f.coord, "pku-mou", partnerhub.DocumentDraft, "協定案 v2.docx", docx)
		if err != nil || d2.Version != 2 || d2.ContentType != partnerhub.ContentTypeDOCX {
			t.Fatalf("second draft, by a coordinator of pku's team: %+v, %v", d2, err)
		}
		s1, err := f.add(t, f.admin, "pku-mou", partnerhub.DocumentSigned, "signed.pdf", pdf2)
		if err != nil || s1.Version != 1 {
			t.Fatalf("signed copy: %+v, %v", s1, err)
		}
		// Another agreement's versions count on their own.
		if o, err := f.add(t, f.admin, "snu-mou", partnerhub.DocumentDraft, "snu.pdf", pdf1); err != nil || o.Version != 1 {
			t.Fatalf("snu's draft: %+v, %v", o, err)
		}

		// Refused: nothing stored, the field named.
		for _, c := range []struct {
			name, file string
			role       partnerhub.DocumentRole
			data       []byte
			field, key string
			who        *partnerhub.User
			code       string
		}{
			{"a PDF renamed .docx", "draft.docx", partnerhub.DocumentDraft, pdf1, "file", "document_not_docx", f.admin, partnerhub.EInvalid},
			{"a text file named .pdf", "draft.pdf", partnerhub.DocumentDraft, []byte("%PD not really\n"), "file", "document_not_pdf", f.admin, partnerhub.EInvalid},
			{"a signed copy in DOCX", "signed.docx", partnerhub.DocumentSigned, docx, "file", "document_signed_pdf", f.admin, partnerhub.EInvalid},
			{"a viewer's upload", "draft.pdf", partnerhub.DocumentDraft, pdf1, "", "", f.viewer, partnerhub.EForbidden},
			{"an upload by a coordinator outside the team", "draft.pdf", partnerhub.DocumentDraft, pdf1, "", "", f.outsider, partnerhub.EForbidden},
			{"another home's admin", "draft.pdf", partnerhub.DocumentDraft, pdf1, "", "", f.other, partnerhub.ENotFound},
			{"nobody", "draft.pdf", partnerhub.DocumentDraft, pdf1, "", "", nil, partnerhub.ENotFound},
		} {
			_, err := f.add(t, c.who, "pku-mou", c.role, c.file, c.data)
			e, _ := err.(*partnerhub.Error)
			if e == nil || e.Code != c.code || (c.field != "" && e.Fields[c.field].Key != c.key) {
				t.Errorf("%s: %v, want %s %s %s", c.name, err, c.code, c.field, c.key)
			}
		}
		if _, err := f.add(t, f.admin, "no-such-agreement", partnerhub.DocumentDraft, "x.pdf", pdf1); partnerhub.ErrorCode(err) != partnerhub.ENotFound {
			t.Errorf("an unknown agreement: %v", err)
		}

		// Listed by role, then version; every version downloadable.
		for _, who := range []*partnerhub.User{f.admin, f.viewer, f.outsider} {
			docs, err := f.db.Documents(ctx, who, "utokyo", "pku-mou")
			if err != nil || len(docs) != 3 || docs[0].ID != d1.ID || docs[1].ID != d2.ID || docs[2].ID != s1.ID {
				t.Fatalf("documents as %s: %+v, %v", who.Email, docs, err)
			}
			if docs[1] != d2 {
				t.Errorf("listed %+v, stored %+v", docs[1], d2)
			}
		}
		for _, c := range []struct {
			doc  partnerhub.AgreementDocument
			data []byte
		}{{d1, pdf1}, {d2, docx}, {s1, pdf2}} {
			got, data, err := f.db.Document(ctx, f.viewer, "utokyo", "pku-mou", c.doc.ID)
			if err != nil || got != c.doc || !bytes.Equal(data, c.data) {
				t.Errorf("document %d: %+v, %d bytes, %v", c.doc.ID, got, len(data), err)
			}
		}
		// An id under another agreement, or another home, or nobody: not found.
		if _, _, err := f.db.Document(ctx, f.admin, "utokyo", "snu-mou", d1.ID); partnerhub.ErrorCode(err) != partnerhub.ENotFound {
			t.Errorf("pku's document under snu's agreement: %v", err)
		}
		for _, who := range []*partnerhub.User{f.other, nil} {
			if _, _, err := f.db.Document(ctx, who, "utokyo", "pku-mou", d1.ID); partnerhub.ErrorCode(err) != partnerhub.ENotFound {
				t.Errorf("download by %v: %v", who, err)
			}
			if _, err := f.db.Documents(ctx, who, "utokyo", "pku-mou"); partnerhub.ErrorCode(err) != partnerhub.ENotFound {
				t.Errorf("list by %v: %v", who, err)
			}
		}
		// kyoto's admin sees kyoto's agreement, with none of utokyo's documents.
		if docs, err := f.db.Documents(ctx, f.other, "kyoto", "kyoto-agreement"); err != nil || len(docs) != 0 {
			t.Errorf("kyoto's own agreement: %+v, %v", docs, err)
		}

		// Each upload is in the agreement's history, with the document.
		evs, err := f.db.Audit(ctx, "utokyo", partnerhub.AuditFilter{Entity: partnerhub.EntityAgreement, Key: "pku-mou"})
		if err != nil || len(evs) != 3 {
			t.Fatalf("audit: %d events, %v", len(evs), err)
		}
		for i, want := range []string{"signed.pdf", "協定案 v2.docx", "協定案 v1.pdf"} { // newest first
			ev := evs[i]
			if ev.Action != partnerhub.ActionUpdate || ev.Before != nil || !strings.Contains(string(ev.After), `"document":`) ||
				!strings.Contains(string(ev.After), want) {
				t.Errorf("audit event %d: %s %s before %s after %s", i, ev.Action, ev.Actor, ev.Before, ev.After)
			}
		}
		if evs[1].Actor != f.coord.Email {
			t.Errorf("the coordinator's upload is audited as %s", evs[1].Actor)
		}

		// A binned agreement's documents are out of sight, and kept.
		rec, _, err := f.db.Record(ctx, "utokyo", partnerhub.EntityAgreement, "pku-mou")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.db.Apply(ctx, partnerhub.Delete(f.admin, "utokyo", partnerhub.EntityAgreement, "pku-mou", rec.RecordVersion())); err != nil {
			t.Fatal(err)
		}
		if _, err := f.db.Documents(ctx, f.admin, "utokyo", "pku-mou"); partnerhub.ErrorCode(err) != partnerhub.ENotFound {
			t.Errorf("documents of a binned agreement: %v", err)
		}
		if _, err := f.add(t, f.admin, "pku-mou", partnerhub.DocumentDraft, "x.pdf", pdf1); partnerhub.ErrorCode(err) != partnerhub.ENotFound {
			t.Errorf("an upload to a binned agreement: %v", err)
		}
		if _, err := f.db.Apply(ctx, partnerhub.Restore(f.admin, "utokyo", partnerhub.EntityAgreement, "pku-mou")); err != nil {
			t.Fatal(err)
		}
		if docs, err := f.db.Documents(ctx, f.admin, "utokyo", "pku-mou"); err != nil || len(docs) != 3 {
			t.Errorf("documents after the restore: %d, %v", len(docs), err)
		}

		// An export carries the bytes: imported elsewhere, every document
		// is there with the same sha256, and a new version follows on.
		dst := e.Open(t)
		if err := dst.Import(ctx, bytes.NewReader(xferExport(t, f.db))); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			doc  partnerhub.AgreementDocument
			data []byte
		}{{d1, pdf1}, {d2, docx}, {s1, pdf2}} {
			got, data, err := dst.Document(ctx, f.viewer, "utokyo", "pku-mou", c.doc.ID)
			if err != nil || hexSum(data) != c.doc.SHA256 || got.SHA256 != c.doc.SHA256 || got.Filename != c.doc.Filename {
				t.Errorf("imported document %d: %+v, %v", c.doc.ID, got, err)
			}
		}
		if d3, err := dst.AddDocument(ctx, f.admin, "utokyo", "pku-mou", partnerhub.DocumentDraft, "v3.pdf", pdf1, f.now); err != nil ||
			d3.Version != 3 || d3.ID <= s1.ID {
			t.Errorf("an upload after the import: %+v, %v", d3, err)
		}
	})
}

// TestImportBeforeDocuments: an export of schema 12, before documents,
// still imports, with none.
func TestImportBeforeDocuments(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		f := transferFixture(t, e)
		d := xferParse(t, xferExport(t, f.db))
		d["schema_version"] = 12
		for _, name := range store.OlderExportTables(12) {
			delete(d.tables(), name)
		}
		dst := e.Open(t)
		if err := dst.Import(ctx, bytes.NewReader(d.bytes(t))); err != nil {
			t.Fatal(err)
		}
		if docs, err := dst.Documents(ctx, f.admin, "utokyo", "pku-mou"); err != nil || len(docs) != 0 {
			t.Errorf("documents after the import: %+v, %v", docs, err)
		}
	})
}

// TestDocumentVersionsAtOnce: uploads to one agreement at the same time
// each get a version of their own, 1 to n, on either engine.
func TestDocumentVersionsAtOnce(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		f := newDocFixture(t, e)
		const n = 8
		pdf := storetest.PDF("At once")
		versions := make(chan int, n)
		errs := make(chan error, n)
		for i := 0; i < n; i++ {
			go func() {
				d, err := f.db.AddDocument(context.Background(), f.admin, "utokyo", "snu-mou", partnerhub.DocumentDraft, "draft.pdf", pdf, f.now)
				errs <- err
				versions <- d.Version
			}()
		}
		seen := map[int]bool{}
		for i := 0; i < n; i++ {
			if err := <-errs; err != nil {
				t.Fatal(err)
			}
			seen[<-versions] = true
		}
		for v := 1; v <= n; v++ {
			if !seen[v] {
				t.Errorf("no upload got version %d: %v", v, seen)
			}
		}
	})
}
