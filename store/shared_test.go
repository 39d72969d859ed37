package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"partnerhub"
	"partnerhub/store"
	"partnerhub/store/storetest"
)

// pointAt makes a record of the home "kyoto" (storetest.AddHome) refer to
// an institution's id through each column that can.
var pointAt = map[string]string{
	"home_institutions.institution_id": `UPDATE home_institutions SET institution_id = ? WHERE slug = 'kyoto'`,
	"partner_members.institution_id": `INSERT INTO partner_members (partner_id, institution_id, position)
		SELECT id, ?, 9 FROM partners WHERE slug = 'kyoto-group'`,
	"agreements.institution_id": `UPDATE agreements SET institution_id = ? WHERE slug = 'kyoto-agreement'`,
	"activities.host_id":        `UPDATE activities SET host_id = ? WHERE slug = 'kyoto-activity'`,
	"activity_institutions.institution_id": `INSERT INTO activity_institutions (activity_id, institution_id, position)
		SELECT id, ?, 9 FROM activities WHERE slug = 'kyoto-activity'`,
	"mobility.institution_id": `INSERT INTO mobility (home_id, partner_id, institution_id, year, direction, category, programme, count, created_at)
		SELECT home_id, id, ?, 2020, 'outbound', 'faculty', 'exchange', 1, CURRENT_TIMESTAMP FROM partners WHERE slug = 'kyoto-partner'`,
}

// registryInst is an institution for a test home.
func registryInst(slug string) partnerhub.Institution {
	return partnerhub.Institution{Slug: slug, Name: partnerhub.Text{Ja: slug + "大学", En: "University " + slug}, Country: "JP"}
}

// TestEveryReferenceSharesAnInstitution: an institution that another home
// refers to in any one way the schema allows, and in that way only, is
// shared: the acting home's admin may no longer change or delete it, learns
// which home uses it, and nothing changes.
func TestEveryReferenceSharesAnInstitution(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		db := e.OpenBuiltin(t)
		storetest.AddHome(t, db, "kyoto", []partnerhub.Institution{registryInst("kyoto-uni"), registryInst("kyoto-a"), registryInst("kyoto-b")},
			"kyoto-a", "kyoto-b")
		admin := addUser(t, db, "admin@example.ac.jp", partnerhub.RoleAdmin)
		for _, col := range store.InstitutionRefsForTest() {
			slug := "ref-" + strings.NewReplacer(".", "-", "_", "-").Replace(col)
			in := registryInst(slug)
			if _, err := db.Apply(ctx, partnerhub.Create(admin, "utokyo", &in)); err != nil {
				t.Fatal(err)
			}
			in.Version, in.Acronym = 1, "UNUSED"
			if _, err := db.Apply(ctx, partnerhub.Update(admin, "utokyo", &in)); err != nil {
				t.Fatalf("%s: an institution no other home uses: %v", col, err)
			}
			in.Version = 2
			q, ok := pointAt[col]
			if !ok {
				t.Fatalf("no statement makes kyoto refer to an institution through %s", col)
			}
			rec, _, err := db.Record(ctx, "utokyo", partnerhub.EntityInstitution, slug)
			if err != nil {
				t.Fatal(err)
			}
			if err := db.ExecArgsForTest(ctx, strings.Replace(q, "?", "(SELECT id FROM institutions WHERE slug = ?)", 1), slug); err != nil {
				t.Fatalf("%s: %v", col, err)
			}
			in.Acronym = "SHARED"
			_, err = db.Apply(ctx, partnerhub.Update(admin, "utokyo", &in))
			var pe *partnerhub.Error
			if !errors.As(err, &pe) || pe.Code != partnerhub.EForbidden || pe.Message != "error.shared_record" ||
				len(pe.Args) != 1 || pe.Args[0] != "kyoto" || pe.Fields["slug"].Key != "shared_record" {
				t.Fatalf("update of an institution kyoto uses through %s: %v", col, err)
			}
			wantCode(t, apply(db, partnerhub.Delete(admin, "utokyo", partnerhub.EntityInstitution, slug, 2)), partnerhub.EForbidden)
			after, _, err := db.Record(ctx, "utokyo", partnerhub.EntityInstitution, slug)
			if err != nil || after.(*partnerhub.Institution).Acronym != "UNUSED" || after.RecordVersion() != rec.RecordVersion() {
				t.Fatalf("%s: a refused change changed the institution: %+v %v", col, after, err)
			}
			if col == "home_institutions.institution_id" {
				// kyoto's own institution again, for the columns that follow.
				if err := db.ExecArgsForTest(ctx, `UPDATE home_institutions SET institution_id = (SELECT id FROM institutions WHERE slug = ?) WHERE slug = 'kyoto'`, "kyoto-uni"); err != nil {
					t.Fatal(err)
				}
			}
		}
	})
}

func apply(db *store.DB, c partnerhub.Change) error {
	_, err := db.Apply(context.Background(), c)
	return err
}

// TestSharingWhileAnotherHomeStartsUsing: on PostgreSQL, where writers run
// at once, kyoto's transaction that is starting to use an institution makes
// utokyo's change of it wait; when kyoto commits, utokyo's admin is refused,
// since the institution is now shared. (SQLite has one writer at a time.)
func TestSharingWhileAnotherHomeStartsUsing(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		if e.Name != "postgres" {
			t.Skip("SQLite runs one writer at a time")
		}
		ctx := context.Background()
		db := e.OpenBuiltin(t)
		storetest.AddHome(t, db, "kyoto", []partnerhub.Institution{registryInst("kyoto-uni"), registryInst("kyoto-a"), registryInst("kyoto-b")},
			"kyoto-a", "kyoto-b")
		admin := addUser(t, db, "admin@example.ac.jp", partnerhub.RoleAdmin)
		in := registryInst("contested")
		if _, err := db.Apply(ctx, partnerhub.Create(admin, "utokyo", &in)); err != nil {
			t.Fatal(err)
		}
		tx, q, err := db.BeginForTest(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback()
		if _, err := tx.ExecContext(ctx, q(`INSERT INTO partner_members (partner_id, institution_id, position)
			SELECT p.id, i.id, 9 FROM partners p, institutions i WHERE p.slug = 'kyoto-group' AND i.slug = 'contested'`)); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() {
			in.Version, in.Acronym = 1, "CHANGED"
			_, err := db.Apply(ctx, partnerhub.Update(admin, "utokyo", &in))
			done <- err
		}()
		// Wait until utokyo's change waits for kyoto's lock, or ends without.
		for waiting := false; !waiting; {
			select {
			case err := <-done:
				t.Fatalf("utokyo's change ended while kyoto's was in flight: %v", err)
			default:
			}
			if err := db.ReadRowForTest(ctx, `SELECT count(*) > 0 FROM pg_stat_activity
				WHERE wait_event_type = 'Lock' AND datname = current_database() AND query LIKE '%FROM institutions WHERE slug = % FOR UPDATE'`, &waiting); err != nil {
				t.Fatal(err)
			}
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		if err := <-done; partnerhub.ErrorCode(err) != partnerhub.EForbidden {
			t.Fatalf("utokyo's change after kyoto began to use the institution: %v", err)
		}
	})
}
