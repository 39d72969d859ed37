package store_test

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"partnerhub"
	"partnerhub/dataset"
	"partnerhub/store"
	"partnerhub/store/storetest"
	"partnerhub/transfer"
)

// regRead reads a register against a home's catalog as it is stored.
func regRead(t *testing.T, db *store.DB, home, format string, file []byte) []store.RegisterRow {
	t.Helper()
	c, err := db.Catalog(context.Background(), home)
	if err != nil {
		t.Fatal(err)
	}
	x := partnerhub.NewIndex(c)
	taken := map[string]bool{}
	for _, a := range c.Agreements {
		taken[a.Slug] = true
	}
	reg, errs := transfer.ReadRegister(bytes.NewReader(file), format, transfer.RegisterOptions{Resolver: transfer.NewResolver(x), Taken: func(s string) bool { return taken[s] }})
	if len(errs) > 0 {
		t.Fatalf("reading: %v", errs)
	}
	var rows []store.RegisterRow
	for _, r := range reg.Rows {
		rows = append(rows, store.RegisterRow{Row: r.Row, Agreement: r.Agreement})
	}
	return rows
}

const regCSV = "\ufeffキー,パートナー,種類,締結の単位,名称（日本語）,名称（英語）,部局,締結日,期限,更新の条件,通知期間（日）,更新する協定,公開,状況（期限なし）\r\n" +
	"ntu-exchange-2021,NTU,exchange,大学間,学術交流協定の更新,Renewal with NTU,,2021-04,2026-03,申し出により更新,60,ntu-exchange-2016,いいえ,\r\n" +
	"ntu-exchange-2016,国立台湾大学,交流協定,大学間,学術交流協定,Exchange with NTU,,2016年4月1日,2021-03-31,自動更新,90日,,はい,\r\n" +
	",ETHZ,部局間協定,部局間,部局間交流協定,Unit-level agreement with ETH,工、東文研,March 2018,,,,,,不明\r\n" +
	"tum-students,tum,覚書,大学間,学生交流覚書,Student memorandum with TUM,,2019,2024,更新なし,,,はい,\r\n" +
	"ucb-offices,UCB,相互のオフィス設置,部局間,相互オフィス,Mutual offices with UCB,\"IPMU, 理\",2020-10-01,,,,,,期限切れ\r\n"

// TestImportAgreements: a register goes in whole, each agreement created
// and audited as if entered by hand, renewals in the file ordered.
func TestImportAgreements(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		db := loaded(t, e)
		admin := addUser(t, db, "admin@example.ac.jp", partnerhub.RoleAdmin)
		rows := regRead(t, db, "utokyo", "csv", []byte(regCSV))
		n, problems, err := db.ImportAgreements(ctx, admin, "utokyo", rows)
		if err != nil || n != 5 || len(problems) > 0 {
			t.Fatalf("import: %d, %v, %v", n, problems, err)
		}
		c, err := db.Catalog(ctx, "utokyo")
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]partnerhub.Agreement{}
		for _, a := range c.Agreements {
			got[a.Slug] = a
		}
		old, renewal := got["ntu-exchange-2016"], got["ntu-exchange-2021"]
		if old.Stage != partnerhub.StageSigned || old.RenewedBy != "ntu-exchange-2021" || old.Status != partnerhub.Renewed || old.NoticeDays != 90 || !old.Published {
			t.Errorf("the renewed agreement: %+v", old)
		}
		if renewal.Renews != "ntu-exchange-2016" || renewal.Published {
			t.Errorf("its renewal: %+v", renewal)
		}
		if u := got["ethz-unit-2018"]; !slices.Equal(u.Units, []string{"eng", "ioc"}) || u.Status != partnerhub.Unknown {
			t.Errorf("the unit-level agreement: %+v", u)
		}
		if o := got["ucb-offices"]; o.Status != partnerhub.Expired {
			t.Errorf("declared expired: %+v", o)
		}
		events, err := db.Audit(ctx, "utokyo", partnerhub.AuditFilter{Entity: partnerhub.EntityAgreement, Key: "tum-students"})
		if err != nil || len(events) != 1 || events[0].Action != partnerhub.ActionCreate || events[0].Actor != admin.Email {
			t.Fatalf("audit: %+v, %v", events, err)
		}
		// The same file again: every key is taken now.
		_, problems, err = db.ImportAgreements(ctx, admin, "utokyo", rows)
		if partnerhub.ErrorCode(err) != partnerhub.EInvalid || len(problems) != 5 || problems[0].Field != "slug" || problems[0].Key != "error.exists" {
			t.Fatalf("again: %v, %v", problems, err)
		}
	})
}

// TestImportAgreementsRefusedWhole: a row the store refuses (a partner
// outside the coordinator's teams, agreements renewing one another)
// leaves nothing written, good rows included.
func TestImportAgreementsRefusedWhole(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		db := loaded(t, e)
		c, err := db.Catalog(ctx, "utokyo")
		if err != nil {
			t.Fatal(err)
		}
		var unit string
		for _, tm := range c.Teams {
			if tm.Partner == "ntu" && tm.Phase == c.CurrentPhase() {
				unit = tm.Unit
			}
		}
		coord := addUser(t, db, "coord@example.ac.jp", partnerhub.RoleCoordinator, unit)
		agreement := func(slug, partner, renews string) partnerhub.Agreement {
			return partnerhub.Agreement{Slug: slug, Partner: partner, Kind: partnerhub.Exchange, Level: partnerhub.UniversityLevel,
				Title: partnerhub.Text{Ja: "協定", En: "Agreement"}, Stage: partnerhub.StageSigned, Renews: renews}
		}
		rows := []store.RegisterRow{
			{Row: 2, Agreement: agreement("ntu-good", "ntu", "")},
			{Row: 3, Agreement: agreement("princeton-other", "princeton", "")},
			{Row: 4, Agreement: agreement("ntu-a", "ntu", "ntu-b")},
			{Row: 5, Agreement: agreement("ntu-b", "ntu", "ntu-a")},
		}
		n, problems, err := db.ImportAgreements(ctx, coord, "utokyo", rows)
		if partnerhub.ErrorCode(err) != partnerhub.EInvalid || n != 0 {
			t.Fatalf("import: %d, %v", n, err)
		}
		want := []store.RegisterProblem{
			{Row: 3, Field: "partner", Key: "error.forbidden_partner", Args: []any{"princeton"}},
			{Row: 4, Field: "renews", Key: "field.renews_cycle"},
			{Row: 5, Field: "renews", Key: "field.renews_cycle"},
		}
		if g, w := jsonOf(t, problems), jsonOf(t, want); g != w {
			t.Fatalf("problems\n got %s\nwant %s", g, w)
		}
		if rec, _, err := db.Record(ctx, "utokyo", partnerhub.EntityAgreement, "ntu-good"); rec != nil || partnerhub.ErrorCode(err) != partnerhub.ENotFound && err != nil {
			t.Fatalf("the good row was written: %v, %v", rec, err)
		}
		viewer := addUser(t, db, "viewer@example.ac.jp", partnerhub.RoleViewer)
		if _, _, err := db.ImportAgreements(ctx, viewer, "utokyo", rows[:1]); partnerhub.ErrorCode(err) != partnerhub.EForbidden {
			t.Fatalf("a viewer's import: %v", err)
		}
	})
}

func jsonOf(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestRegisterRoundTrip: a home's register, exported and imported into a
// home that has none, gives the same agreements.
func TestRegisterRoundTrip(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		db := loaded(t, e)
		admin := addUser(t, db, "admin@example.ac.jp", partnerhub.RoleAdmin)
		// Richer agreements than the built-in ones: the import above adds them.
		if _, problems, err := db.ImportAgreements(ctx, admin, "utokyo", regRead(t, db, "utokyo", "csv", []byte(regCSV))); err != nil {
			t.Fatalf("%v %v", problems, err)
		}
		draft := partnerhub.Agreement{Slug: "ntu-draft", Partner: "ntu", Kind: partnerhub.UnitAgreement, Level: partnerhub.UnitLevel, Units: []string{"eng"},
			Title: partnerhub.Text{Ja: "起案", En: "Draft"}, Effective: partnerhub.MustPartialDate("2027"), HomeSignatory: "Dean", PartnerSignatory: "Dean",
			Note: partnerhub.Text{Ja: "注記\n二行目", En: "A note"}}
		if _, err := db.Apply(ctx, partnerhub.Create(admin, "utokyo", &draft)); err != nil {
			t.Fatal(err)
		}
		c, err := db.Catalog(ctx, "utokyo")
		if err != nil {
			t.Fatal(err)
		}
		var file bytes.Buffer
		if err := transfer.WriteRegister(&file, partnerhub.NewIndex(c), partnerhub.Japanese, c.Agreements); err != nil {
			t.Fatal(err)
		}

		empty, err := dataset.Builtin()
		if err != nil {
			t.Fatal(err)
		}
		empty.Home.Slug, empty.Agreements = "utokyo-copy", nil
		if err := db.ImportCatalog(ctx, empty); err != nil {
			t.Fatal(err)
		}
		other := &partnerhub.User{Home: "utokyo-copy", Email: "admin@copy.example", Name: "admin", Role: partnerhub.RoleAdmin}
		if other.ID, err = db.InsertUserForTest(ctx, other); err != nil {
			t.Fatal(err)
		}
		rows := regRead(t, db, "utokyo-copy", "xlsx", file.Bytes())
		if n, problems, err := db.ImportAgreements(ctx, other, "utokyo-copy", rows); err != nil || n != len(c.Agreements) {
			t.Fatalf("import: %d of %d, %v, %v", n, len(c.Agreements), problems, err)
		}
		back, err := db.Catalog(ctx, "utokyo-copy")
		if err != nil {
			t.Fatal(err)
		}
		strip := func(as []partnerhub.Agreement) string {
			var out []string
			for _, a := range as {
				a.Version, a.Review = 0, nil
				out = append(out, jsonOf(t, a)+" declared="+string(a.Declared))
			}
			slices.Sort(out)
			return strings.Join(out, "\n")
		}
		if g, w := strip(back.Agreements), strip(c.Agreements); g != w {
			t.Fatalf("after the round trip\n got %s\nwant %s", g, w)
		}
	})
}
