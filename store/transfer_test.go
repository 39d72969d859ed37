package store_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"partnerhub"
	"partnerhub/dataset"
	"partnerhub/store"
	"partnerhub/store/storetest"
)

// The description of what is exported matches the schema on every engine,
// so that a migration cannot silently leave a table or column out.
func TestTransferSchema(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		db := e.Open(t)
		problems, err := db.TransferSchemaProblemsForTest(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range problems {
			t.Error(p)
		}
	})
}

// transferData is a database with rows in every table: the built-in data,
// users, sessions, tokens (one revoked), a failed sign-in, and edits (an
// update, a deletion, a deletion restored, a draft activity and a draft
// agreement) with their audit events.
type transferData struct {
	db      *store.DB
	admin   *partnerhub.User
	session string
	token   string
}

func transferFixture(t *testing.T, e storetest.Engine) *transferData {
	t.Helper()
	ctx := context.Background()
	db := transferLoaded(t, e)
	admin := transferUser(t, db, "admin@example.ac.jp", partnerhub.RoleAdmin)
	transferUser(t, db, "agr@example.ac.jp", partnerhub.RoleCoordinator, "agr", "eng")
	apply := func(c partnerhub.Change) {
		t.Helper()
		c.Actor, c.Home = admin, "utokyo"
		if _, err := db.Apply(ctx, c); err != nil {
			t.Fatalf("%s %s %s: %v", c.Action, c.Entity, c.Key, err)
		}
	}
	a, v := transferActivity(t, db, "ntu-joint-conference-2019")
	a.Title.En += " (edited)"
	apply(partnerhub.Change{Entity: partnerhub.EntityActivity, Action: partnerhub.ActionUpdate, Key: a.Slug, Version: v, Record: a})
	apply(partnerhub.Change{Entity: partnerhub.EntityPartner, Action: partnerhub.ActionDelete, Key: "paris", Version: 1})
	_, v = transferActivity(t, db, "tsinghua-language-exchange-2021-03")
	apply(partnerhub.Change{Entity: partnerhub.EntityActivity, Action: partnerhub.ActionDelete, Key: "tsinghua-language-exchange-2021-03", Version: v})
	apply(partnerhub.Change{Entity: partnerhub.EntityActivity, Action: partnerhub.ActionRestore, Key: "tsinghua-language-exchange-2021-03"})
	apply(partnerhub.Change{Entity: partnerhub.EntityActivity, Action: partnerhub.ActionCreate, Record: &partnerhub.Activity{
		Slug: "transfer-draft-workshop", Kind: partnerhub.Workshop, Title: partnerhub.Text{Ja: "下書きの\"ワークショップ\"\n<二行目>", En: "Draft workshop\t\\ & co"},
		Partners: []string{"ntu"}, Units: []string{"agr", "eng"}, Host: "ntu", Published: false}})
	apply(partnerhub.Change{Entity: partnerhub.EntityAgreement, Action: partnerhub.ActionCreate, Record: &partnerhub.Agreement{
		Slug: "transfer-unit-agreement", Partner: "ntu", Kind: partnerhub.Exchange, Level: partnerhub.UnitLevel,
		Title: partnerhub.Text{Ja: "部局間交流協定", En: "Unit exchange agreement"}, Units: []string{"agr"}, Status: partnerhub.Active}})

	// An assertion accepted by the SAML service provider, not yet expired.
	if fresh, err := db.ConsumeSAMLAssertion(ctx, "_transfer-assertion", time.Now().Add(time.Hour), time.Now()); err != nil || !fresh {
		t.Fatalf("SAML assertion: %v %v", fresh, err)
	}

	figure := partnerhub.Mobility{Partner: "ntu", Unit: "agr", Year: 2021, Direction: partnerhub.Outbound,
		Category: partnerhub.Graduate, Programme: partnerhub.ExchangeProgramme, Count: 12}
	other := figure
	other.Direction, other.Count = partnerhub.Inbound, 7
	if _, err := db.ImportMobility(ctx, admin, "utokyo", func(yield func(int, partnerhub.Mobility) bool) {
		_ = yield(2, figure) && yield(3, other)
	}, func() bool { return false }, nil); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteMobility(ctx, admin, "utokyo", other); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	session, err := db.CreateSession(ctx, admin.ID, now, partnerhub.SessionSpec{TTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	token, _, err := db.CreateToken(ctx, admin.ID, partnerhub.TokenSpec{Name: "kept", Scope: partnerhub.ScopeWrite}, now)
	if err != nil {
		t.Fatal(err)
	}
	_, revoked, err := db.CreateToken(ctx, admin.ID, partnerhub.TokenSpec{Name: "revoked", Scope: partnerhub.ScopeWrite}, now)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.RevokeToken(ctx, admin.ID, revoked.ID, now); err != nil {
		t.Fatal(err)
	}
	if _, err := signIn(ctx, db, "admin@example.ac.jp", "wrong", "192.0.2.1", now); partnerhub.ErrorCode(err) != partnerhub.EUnauthorized {
		t.Fatalf("failed sign-in: %v", err)
	}
	transferMFA(t, db, admin.ID, now)
	transferMail(t, db, admin, now)
	// A document, whose bytes (not UTF-8: a PDF's binary comment) the
	// export must carry exactly.
	if _, err := db.AddDocument(ctx, admin, "utokyo", "pku-mou", partnerhub.DocumentSigned, "署名済み.pdf", storetest.PDF("Signed"), now); err != nil {
		t.Fatal(err)
	}
	if _, err := db.CreateCalendarFeed(ctx, admin.ID, now); err != nil {
		t.Fatal(err)
	}
	chain := partnerhub.ApprovalChain{Kind: partnerhub.MoU, Steps: []partnerhub.ApprovalStep{
		{Approver: partnerhub.ApproverCoordinator}, {Approver: partnerhub.ApproverOffice}, {Approver: partnerhub.ApproverPerson, Email: "agr@example.ac.jp"}}}
	if err := db.SetApprovalChain(ctx, admin, "utokyo", chain); err != nil {
		t.Fatal(err)
	}
	transferNotices(t, db, admin, apply, now)
	transferFund(t, db, admin, now)
	// An invitation pending, with a feature's grants, and one accepted.
	if _, err := db.Invite(ctx, admin, "utokyo", partnerhub.InvitationSpec{Email: "pending@example.org", Name: "Pending",
		Lang: partnerhub.English, Note: partnerhub.Text{Ja: "審査のお願い", En: "To review"}, Grants: []byte(`{"fund":1}`)}, now); err != nil {
		t.Fatal(err)
	}
	inv, err := db.Invite(ctx, admin, "utokyo", partnerhub.InvitationSpec{Email: "guest@example.org", Name: "Guest", Lang: partnerhub.Japanese}, now)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.AcceptInvitation(ctx, "utokyo", inv.Token, partnerhub.Acceptance{Name: "Guest", Password: "a long and secret passphrase", IP: "192.0.2.1"}, now); err != nil {
		t.Fatal(err)
	}
	// A good-practice note with tags, links and an attachment.
	note, err := db.CreateNote(ctx, admin, partnerhub.Note{Title: partnerhub.Text{Ja: "事例", En: "A \"case\" note"},
		Body: partnerhub.Text{Ja: "本文\n\n二段落目", En: "Body"}, Topic: partnerhub.TopicJointResearch, Tags: []string{"Tag", "タグ"},
		Partners: []partnerhub.NoteLink{{Slug: "ntu"}}, Activities: []partnerhub.NoteLink{{Slug: "transfer-draft-workshop"}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.AddNoteFile(ctx, admin, note.ID, note.Version, "note.pdf", storetest.PDF("Note")); err != nil {
		t.Fatal(err)
	}
	transferEvents(t, db, admin, now)
	transferSSO(t, db, admin, now)
	return &transferData{db: db, admin: admin, session: session, token: token}
}

// transferMFA gives a user one row of every second-factor table.
func transferMFA(t *testing.T, db *store.DB, userID int64, now time.Time) {
	t.Helper()
	ctx := context.Background()
	if err := db.StartTOTP(ctx, userID, "JBSWY3DPEHPK3PXP", now); err != nil {
		t.Fatal(err)
	}
	if ok, err := db.CheckTOTP(ctx, userID, true, now, func(string) (int64, bool) { return 1, true }); err != nil || !ok {
		t.Fatalf("confirm totp: %v %v", ok, err)
	}
	if err := db.SetRecoveryCodes(ctx, userID, []string{"hash-1", "hash-2"}, now); err != nil {
		t.Fatal(err)
	}
	if _, err := db.AddPasskey(ctx, partnerhub.Passkey{UserID: userID, Name: "key", CredentialID: []byte{1, 2, 3},
		Credential: []byte(`{"id":"AQID"}`), CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.CreateChallenge(ctx, userID, partnerhub.ChallengeSignin, "", now, time.Hour); err != nil {
		t.Fatal(err)
	}
}

func transferLoaded(t *testing.T, e storetest.Engine) *store.DB {
	t.Helper()
	db := e.Open(t)
	c, err := dataset.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	if err := db.ImportCatalog(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	return db
}

func transferUser(t *testing.T, db *store.DB, email string, role partnerhub.Role, units ...string) *partnerhub.User {
	t.Helper()
	u := &partnerhub.User{Home: "utokyo", Email: email, Name: email, Role: role, Units: units}
	id, err := db.InsertUserForTest(context.Background(), u)
	if err != nil {
		t.Fatal(err)
	}
	u.ID = id
	return u
}

func transferActivity(t *testing.T, db *store.DB, slug string) (*partnerhub.Activity, int) {
	t.Helper()
	rec, _, err := db.Record(context.Background(), "utokyo", partnerhub.EntityActivity, slug)
	if err != nil {
		t.Fatal(err)
	}
	return rec.(*partnerhub.Activity), rec.RecordVersion()
}

func xferExport(t *testing.T, db *store.DB) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := db.Export(context.Background(), &b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// xferDoc is an export as generic JSON, numbers kept as they are written.
type xferDoc map[string]any

func xferParse(t *testing.T, b []byte) xferDoc {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var doc xferDoc
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("export is not JSON: %v", err)
	}
	return doc
}

func (d xferDoc) tables() map[string]any { return d["tables"].(map[string]any) }

func (d xferDoc) rows(table string) []any { return d.tables()[table].([]any) }

func (d xferDoc) row(table string, i int) map[string]any { return d.rows(table)[i].(map[string]any) }

func (d xferDoc) bytes(t *testing.T) []byte {
	t.Helper()
	b, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func xferCatalog(t *testing.T, db *store.DB) string {
	t.Helper()
	c, err := db.Catalog(context.Background(), "utokyo")
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func xferWantEmpty(t *testing.T, db *store.DB) {
	t.Helper()
	if err := db.CheckEmpty(context.Background()); err != nil {
		t.Fatalf("something was stored: %v", err)
	}
}

func TestExportImportRoundTrip(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		src := transferFixture(t, e)
		first := xferExport(t, src.db)
		if !bytes.HasPrefix(first, []byte("{\n  \"format\": \"partnerhub-export\",\n  \"format_version\": 1,\n  \"schema_version\": ")) {
			t.Fatalf("header: %.120s", first)
		}
		doc := xferParse(t, first)
		for name, rows := range doc.tables() {
			if len(rows.([]any)) == 0 {
				t.Errorf("table %s has no rows: the fixture does not cover it", name)
			}
		}
		// Values are in the engine-independent form.
		paris := xferRow(t, doc, "partners", "slug", "paris")
		if _, err := time.Parse(time.RFC3339Nano, paris["deleted_at"].(string)); err != nil || !strings.HasSuffix(paris["deleted_at"].(string), "Z") {
			t.Errorf("deleted_at %v", paris["deleted_at"])
		}
		draft := xferRow(t, doc, "activities", "slug", "transfer-draft-workshop")
		if draft["published"] != false || draft["fiscal_year"] != false || draft["deleted_at"] != nil || draft["participants"] != nil {
			t.Errorf("draft %v", draft)
		}
		if lead := doc.row("team_memberships", 0)["lead"]; lead != true && lead != false {
			t.Errorf("lead %v", lead)
		}
		if again := xferExport(t, src.db); !bytes.Equal(first, again) {
			t.Fatalf("two exports of the same data differ at %s", xferDiff(first, again))
		}

		dst := e.Open(t)
		if err := dst.Import(ctx, bytes.NewReader(first)); err != nil {
			t.Fatal(err)
		}
		second := xferExport(t, dst)
		if !bytes.Equal(first, second) {
			t.Fatalf("export → import → export differs at %s", xferDiff(first, second))
		}
		if xferCatalog(t, src.db) != xferCatalog(t, dst) {
			t.Fatal("the catalog differs after import")
		}
		// The imported database works: the session and token sign in, the
		// audit log is there, and new rows get new ids.
		if u, err := dst.SessionUser(ctx, src.session, time.Now()); err != nil || u.Email != src.admin.Email {
			t.Fatalf("session after import: %v %v", u, err)
		}
		if u, _, err := dst.TokenUser(ctx, src.token, time.Now()); err != nil || u.Email != src.admin.Email {
			t.Fatalf("token after import: %v %v", u, err)
		}
		srcEvents, _ := src.db.Audit(ctx, "utokyo", partnerhub.AuditFilter{})
		dstEvents, err := dst.Audit(ctx, "utokyo", partnerhub.AuditFilter{})
		if err != nil || len(dstEvents) != len(srcEvents) || len(dstEvents) < 5 {
			t.Fatalf("audit after import: %d events (want %d), %v", len(dstEvents), len(srcEvents), err)
		}
		if _, err := dst.InsertUserForTest(ctx, &partnerhub.User{Home: "utokyo", Email: "new@example.ac.jp", Name: "New", Role: partnerhub.RoleViewer}); err != nil {
			t.Fatalf("a new user after import: %v", err)
		}
		if _, err := dst.Apply(ctx, partnerhub.Change{Actor: src.admin, Home: "utokyo", Entity: partnerhub.EntityActivity, Action: partnerhub.ActionCreate,
			Record: &partnerhub.Activity{Slug: "after-import", Kind: partnerhub.Seminar, Title: partnerhub.Text{Ja: "後", En: "After"}, Partners: []string{"ntu"}, Published: true}}); err != nil {
			t.Fatalf("a new activity after import: %v", err)
		}
		if _, err := dst.Apply(ctx, partnerhub.Change{Actor: src.admin, Home: "utokyo", Entity: partnerhub.EntityPartner, Action: partnerhub.ActionRestore, Key: "paris"}); err != nil {
			t.Fatalf("restore a deleted partner after import: %v", err)
		}
	})
}

func xferRow(t *testing.T, doc xferDoc, table, col string, value any) map[string]any {
	t.Helper()
	for _, r := range doc.rows(table) {
		if r.(map[string]any)[col] == value {
			return r.(map[string]any)
		}
	}
	t.Fatalf("no row of %s with %s = %v", table, col, value)
	return nil
}

func xferDiff(a, b []byte) string {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	from := max(0, i-80)
	return string(a[from:min(len(a), i+80)]) + "\n---\n" + string(b[from:min(len(b), i+80)])
}

func TestImportIntoNonEmptyDatabase(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		db := transferLoaded(t, e)
		before := xferExport(t, db)
		err := db.Import(context.Background(), bytes.NewReader(before))
		var pe *partnerhub.Error
		if !errors.As(err, &pe) || pe.Code != partnerhub.EConflict || pe.Message != "error.import_not_empty" {
			t.Fatalf("import into a database with data: %v", err)
		}
		if after := xferExport(t, db); !bytes.Equal(before, after) {
			t.Fatalf("the refused import changed the database at %s", xferDiff(before, after))
		}
	})
}

func TestImportRefusesBrokenDocuments(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		src := transferLoaded(t, e)
		transferUser(t, src, "admin@example.ac.jp", partnerhub.RoleAdmin)
		good := xferExport(t, src)
		edit := func(fn func(d xferDoc)) []byte {
			d := xferParse(t, good)
			fn(d)
			return d.bytes(t)
		}
		for _, tc := range []struct {
			name    string
			doc     []byte
			message string // the error's key
			field   string // a field that must be in error, "" for none
			key     string // its problem
		}{
			{"empty", nil, "error.import_truncated", "", ""},
			{"truncated", good[:len(good)/2], "error.import_truncated", "", ""},
			{"not JSON", []byte("{\"format\": partnerhub}"), "error.import_bad_json", "", ""},
			{"not an export", []byte(`{"partners": []}`), "error.import_not_export", "", ""},
			{"a list", []byte(`[1, 2]`), "error.import_not_export", "", ""},
			{"newer format", edit(func(d xferDoc) { d["format_version"] = 2 }), "error.import_format_version", "", ""},
			{"newer schema", edit(func(d xferDoc) { d["schema_version"] = 999 }), "error.import_schema_newer", "", ""},
			{"older schema", edit(func(d xferDoc) { d["schema_version"] = 1 }), "error.import_schema_older", "", ""},
			{"schema 3 with a table it did not have", edit(func(d xferDoc) { d["schema_version"] = 3 }), "error.import_invalid",
				"tables.mobility_by_programme", "import_unknown_table"},
			{"schema 3 without a table it had", edit(func(d xferDoc) {
				d["schema_version"] = 3
				delete(d.tables(), "mobility_by_programme")
				delete(d.tables(), "mobility_by_unit")
			}), "error.import_invalid", "tables.mobility_by_unit", "import_missing_table"},
			{"unknown top-level key", edit(func(d xferDoc) { d["exported_by"] = "me" }), "error.import_invalid", "exported_by", "import_unknown_key"},
			{"unknown table", edit(func(d xferDoc) { d.tables()["planets"] = []any{} }), "error.import_invalid", "tables.planets", "import_unknown_table"},
			{"missing table", edit(func(d xferDoc) { delete(d.tables(), "audit_events") }), "error.import_invalid", "tables.audit_events", "import_missing_table"},
			{"table not a list", edit(func(d xferDoc) { d.tables()["units"] = map[string]any{} }), "error.import_invalid", "tables.units", "import_want_list"},
			{"row not an object", edit(func(d xferDoc) { d.rows("units")[2] = 7 }), "error.import_invalid", "tables.units[2]", "import_want_object"},
			{"text where a number goes", edit(func(d xferDoc) { d.row("partners", 3)["position"] = "third" }), "error.import_invalid", "tables.partners[3].position", "import_want_int"},
			{"number where text goes", edit(func(d xferDoc) { d.row("partners", 3)["slug"] = 42 }), "error.import_invalid", "tables.partners[3].slug", "import_want_text"},
			{"fraction where an integer goes", edit(func(d xferDoc) { d.row("units", 0)["position"] = 1.5 }), "error.import_invalid", "tables.units[0].position", "import_want_int"},
			{"0 where a boolean goes", edit(func(d xferDoc) { d.row("activities", 0)["published"] = 1 }), "error.import_invalid", "tables.activities[0].published", "import_want_bool"},
			{"not a time", edit(func(d xferDoc) { d.row("users", 0)["created_at"] = "yesterday" }), "error.import_invalid", "tables.users[0].created_at", "import_want_time"},
			{"null where a value is required", edit(func(d xferDoc) { d.row("partners", 0)["name_en"] = nil }), "error.import_invalid", "tables.partners[0].name_en", "import_null"},
			{"missing column", edit(func(d xferDoc) { delete(d.row("partners", 2), "slug") }), "error.import_invalid", "tables.partners[2].slug", "import_missing_column"},
			{"unknown column", edit(func(d xferDoc) { d.row("partners", 0)["colour"] = "red" }), "error.import_invalid", "tables.partners[0].colour", "import_unknown_column"},
			{"row violating a foreign key", edit(func(d xferDoc) { d.row("partner_members", 4)["partner_id"] = 99999 }),
				"error.import_invalid", "tables.partner_members[4].partner_id", "import_unknown_ref"},
			{"composite foreign key", edit(func(d xferDoc) { d.row("standings", 1)["phase"] = 9 }), "error.import_invalid", "tables.standings[1].phase", "import_unknown_ref"},
			{"duplicate key", edit(func(d xferDoc) {
				d.tables()["partners"] = append(d.rows("partners"), d.rows("partners")[0])
			}), "error.import_invalid", "tables.partners[16]", "import_duplicate_row"},
			// These pass the checks; the database refuses them mid-way, and
			// everything written before is rolled back.
			{"a value the schema refuses", edit(func(d xferDoc) { d.row("units", 5)["kind"] = "castle" }), "error.import_invalid", "tables.units[5]", "import_rejected"},
			{"a unique column repeated", edit(func(d xferDoc) { d.row("partners", 1)["slug"] = d.row("partners", 0)["slug"] }),
				"error.import_invalid", "tables.partners[1]", "import_rejected"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				db := e.Open(t)
				err := db.Import(ctx, bytes.NewReader(tc.doc))
				var pe *partnerhub.Error
				if !errors.As(err, &pe) || pe.Code != partnerhub.EInvalid || pe.Message != tc.message {
					t.Fatalf("err = %v, want %s", err, tc.message)
				}
				if tc.field != "" && pe.Fields[tc.field].Key != tc.key {
					t.Fatalf("field %s: %+v, want %s (all: %v)", tc.field, pe.Fields[tc.field], tc.key, err)
				}
				xferWantEmpty(t, db)
			})
		}

		t.Run("many problems are counted, the first ones kept", func(t *testing.T) {
			doc := edit(func(d xferDoc) {
				for _, r := range d.rows("activities") {
					r.(map[string]any)["published"] = "yes"
				}
			})
			db := e.Open(t)
			err := db.Import(ctx, bytes.NewReader(doc))
			var pe *partnerhub.Error
			if !errors.As(err, &pe) || pe.Args[0].(int) <= 50 || len(pe.Fields) != 50 {
				t.Fatalf("err = %v", err)
			}
			xferWantEmpty(t, db)
		})
	})
}

func TestBackup(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		db := transferLoaded(t, e)
		dir := t.TempDir()
		path := filepath.Join(dir, "backup.db")
		err := db.Backup(ctx, path)
		var pe *partnerhub.Error
		if e.Name == "postgres" {
			if !errors.As(err, &pe) || pe.Code != store.EUnsupported || pe.Message != "error.backup_postgres" {
				t.Fatalf("PostgreSQL backup: %v", err)
			}
			cmd := pe.Args[0].(string)
			if !strings.HasPrefix(cmd, "pg_dump ") || !strings.Contains(cmd, "--file="+path) || !strings.Contains(cmd, "postgres://") {
				t.Fatalf("command %q", cmd)
			}
			if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
				t.Fatal("a file was written")
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		st, err := os.Stat(path)
		if err != nil || st.Mode().Perm() != 0o600 {
			t.Fatalf("backup file: %v %v", st, err)
		}
		b, err := store.Open(ctx, "sqlite:"+path)
		if err != nil {
			t.Fatal(err)
		}
		defer b.Close()
		if ok, err := b.SchemaCurrent(ctx); !ok || err != nil {
			t.Fatalf("schema of the backup: %v %v", ok, err)
		}
		if xferCatalog(t, b) != xferCatalog(t, db) {
			t.Fatal("the backup's catalog differs")
		}
		if !bytes.Equal(xferExport(t, b), xferExport(t, db)) {
			t.Fatal("the backup's export differs")
		}

		// Never overwrites, not even an empty file.
		err = db.Backup(ctx, path)
		if !errors.As(err, &pe) || pe.Code != partnerhub.EConflict || pe.Message != "error.backup_exists" {
			t.Fatalf("backup onto a file: %v", err)
		}
		empty := filepath.Join(dir, "empty.db")
		os.WriteFile(empty, nil, 0o600)
		if err := db.Backup(ctx, empty); partnerhub.ErrorCode(err) != partnerhub.EConflict {
			t.Fatalf("backup onto an empty file: %v", err)
		}
		if err := db.Backup(ctx, filepath.Join(dir, "no", "such", "b.db")); !errors.As(err, &pe) || pe.Message != "error.backup_folder" {
			t.Fatalf("backup into a missing folder: %v", err)
		}
		entries, _ := os.ReadDir(dir)
		for _, en := range entries {
			if strings.Contains(en.Name(), ".partial-") {
				t.Fatalf("left behind: %v", entries)
			}
		}
	})
}

func TestPgDumpCommand(t *testing.T) {
	cmd := store.PgDumpCommandForTest("postgres://alice:s3cret@db.example.ac.jp:5432/partnerhub?sslmode=require&search_path=ph&password=also", "/backups/it's.dump")
	want := `pg_dump --format=custom --file='/backups/it'\''s.dump' --schema=ph 'postgres://alice@db.example.ac.jp:5432/partnerhub?sslmode=require'`
	if cmd != want {
		t.Fatalf("got  %s\nwant %s", cmd, want)
	}
}

// xferWriter updates one activity over and over until stop is closed; started
// is closed after its first few updates.
func xferWriter(t *testing.T, db *store.DB, admin *partnerhub.User, slug string, stop <-chan struct{}) (started <-chan struct{}, wait func()) {
	ctx := context.Background()
	s := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for n := 0; ; n++ {
			if n == 3 {
				close(s)
			}
			select {
			case <-stop:
				return
			default:
			}
			rec, _, err := db.Record(ctx, "utokyo", partnerhub.EntityActivity, slug)
			if err != nil {
				t.Error(err)
				return
			}
			v := rec.RecordVersion()
			a := rec.(*partnerhub.Activity)
			a.Summary.En = strings.Repeat("x", n%50)
			if _, err := db.Apply(ctx, partnerhub.Change{Actor: admin, Home: "utokyo", Entity: partnerhub.EntityActivity,
				Action: partnerhub.ActionUpdate, Key: slug, Version: v, Record: a}); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	return s, wg.Wait
}

// xferConsistent checks, in an export, that an activity's version matches the
// audit events of its updates (each update writes both in one transaction).
func xferConsistent(t *testing.T, doc xferDoc, slug string) int {
	t.Helper()
	version, _ := xferRow(t, doc, "activities", "slug", slug)["version"].(json.Number).Int64()
	events := 0
	for _, r := range doc.rows("audit_events") {
		if r.(map[string]any)["entity_key"] == slug {
			events++
		}
	}
	if int64(events) != version-1 {
		t.Fatalf("inconsistent snapshot: version %d, %d audit events", version, events)
	}
	return events
}

func TestExportWhileWriting(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		db := transferLoaded(t, e)
		admin := transferUser(t, db, "admin@example.ac.jp", partnerhub.RoleAdmin)
		const slug = "ntu-joint-conference-2019"
		stop := make(chan struct{})
		started, wait := xferWriter(t, db, admin, slug, stop)
		<-started
		var docs []xferDoc
		for range 3 {
			docs = append(docs, xferParse(t, xferExport(t, db)))
		}
		close(stop)
		wait()
		for _, d := range docs {
			if xferConsistent(t, d, slug) < 3 {
				t.Fatal("the export did not see the writes")
			}
		}
	})
}

func TestBackupWhileWriting(t *testing.T) {
	e := storetest.Engines()[0] // SQLite: PostgreSQL backups are pg_dump's
	ctx := context.Background()
	db := transferLoaded(t, e)
	admin := transferUser(t, db, "admin@example.ac.jp", partnerhub.RoleAdmin)
	const slug = "ntu-joint-conference-2019"
	stop := make(chan struct{})
	started, wait := xferWriter(t, db, admin, slug, stop)
	<-started
	dir := t.TempDir()
	var paths []string
	for i := range 3 {
		p := filepath.Join(dir, "b"+string(rune('0'+i))+".db")
		if err := db.Backup(ctx, p); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	close(stop)
	wait()
	for _, p := range paths {
		b, err := store.Open(ctx, "sqlite:"+p)
		if err != nil {
			t.Fatal(err)
		}
		c, err := b.Catalog(ctx, "utokyo")
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("the backup's catalog: %v", err)
		}
		xferConsistent(t, xferParse(t, xferExport(t, b)), slug)
		b.Close()
	}
}

// The export does not depend on the engine: data exported from PostgreSQL
// and imported into SQLite exports to the same bytes; data from SQLite goes
// into PostgreSQL too (PostgreSQL keeps times to the microsecond, so the
// nanoseconds SQLite keeps are rounded there).
func TestExportAcrossEngines(t *testing.T) {
	engines := storetest.Engines()
	if len(engines) < 2 {
		t.Skipf("needs PostgreSQL (%s)", storetest.EnvPostgres)
	}
	sqlite, postgres := engines[0], engines[1]
	ctx := context.Background()

	pg := transferFixture(t, postgres)
	fromPG := xferExport(t, pg.db)
	lite := sqlite.Open(t)
	if err := lite.Import(ctx, bytes.NewReader(fromPG)); err != nil {
		t.Fatal(err)
	}
	if again := xferExport(t, lite); !bytes.Equal(fromPG, again) {
		t.Fatalf("PostgreSQL → SQLite → export differs at %s", xferDiff(fromPG, again))
	}

	src := transferFixture(t, sqlite)
	into := postgres.Open(t)
	if err := into.Import(ctx, bytes.NewReader(xferExport(t, src.db))); err != nil {
		t.Fatal(err)
	}
	if xferCatalog(t, src.db) != xferCatalog(t, into) {
		t.Fatal("SQLite → PostgreSQL: the catalog differs")
	}
	if u, err := into.SessionUser(ctx, src.session, time.Now()); err != nil || u.Email != src.admin.Email {
		t.Fatalf("session after import: %v %v", u, err)
	}
}

// transferNotices gives the notices' tables rows: an agreement 60 days
// from its expiry is reminded of (to the admin among others), one of the
// notifications is read, and the admin wants imports in the digest.
func transferNotices(t *testing.T, db *store.DB, admin *partnerhub.User, apply func(partnerhub.Change), now time.Time) {
	t.Helper()
	ctx := context.Background()
	exp := now.AddDate(0, 0, 60)
	apply(partnerhub.Change{Entity: partnerhub.EntityAgreement, Action: partnerhub.ActionCreate, Record: &partnerhub.Agreement{
		Slug: "transfer-expiring-agreement", Partner: "ntu", Kind: partnerhub.Exchange, Level: partnerhub.UnitLevel,
		Title: partnerhub.Text{Ja: "期限間近の協定", En: "Expiring agreement"}, Units: []string{"agr"}, Stage: partnerhub.StageSigned,
		Expires: partnerhub.PartialDate{Year: exp.Year(), Month: int(exp.Month()), Day: exp.Day()}, Published: true}})
	if n, err := db.SendReminders(ctx, now, partnerhub.DefaultReminderDays); err != nil || n == 0 {
		t.Fatalf("reminders: %d %v", n, err)
	}
	ns, err := db.Notifications(ctx, admin.ID, 1)
	if err != nil || len(ns) != 1 {
		t.Fatalf("notifications: %v %v", ns, err)
	}
	if err := db.MarkNoticesRead(ctx, admin.ID, []int64{ns[0].ID}, now); err != nil {
		t.Fatal(err)
	}
	if err := db.SetMailPreference(ctx, admin.ID, partnerhub.NoticeImport, partnerhub.DeliverDigest); err != nil {
		t.Fatal(err)
	}
}
