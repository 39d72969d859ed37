package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"partnerhub"
	"partnerhub/store"
	"partnerhub/store/storetest"
)

// addUser puts a user straight into the database, for tests of the write
// path that need an actor.
func addUser(t *testing.T, db *store.DB, email string, role partnerhub.Role, units ...string) *partnerhub.User {
	t.Helper()
	u := &partnerhub.User{Home: "utokyo", Email: email, Name: email, Role: role, Units: units}
	id, err := db.InsertUserForTest(context.Background(), u)
	if err != nil {
		t.Fatal(err)
	}
	u.ID = id
	return u
}

func loaded(t *testing.T, e storetest.Engine) *store.DB {
	t.Helper()
	return e.OpenBuiltin(t)
}

func activity(t *testing.T, db *store.DB, slug string) (*partnerhub.Activity, int) {
	t.Helper()
	rec, _, err := db.Record(context.Background(), "utokyo", partnerhub.EntityActivity, slug)
	if err != nil {
		t.Fatal(err)
	}
	return rec.(*partnerhub.Activity), rec.RecordVersion()
}

func TestEditing(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()

		t.Run("update, stale version, audit", func(t *testing.T) {
			db := loaded(t, e)
			admin := addUser(t, db, "admin@example.ac.jp", partnerhub.RoleAdmin)
			a, v := activity(t, db, "ntu-joint-conference-2019")
			if v != 1 {
				t.Fatalf("version %d", v)
			}
			a.Title.En = "Co-creating the Future Society in Asia (2019 joint conference)"
			nv, err := db.Apply(ctx, partnerhub.Change{Actor: admin, Home: "utokyo", Entity: partnerhub.EntityActivity, Action: partnerhub.ActionUpdate,
				Key: a.Slug, Version: 1, Record: a})
			if err != nil || nv != 2 {
				t.Fatalf("update: %d %v", nv, err)
			}
			c, _ := db.Catalog(ctx, "utokyo")
			i := slices.IndexFunc(c.Activities, func(x partnerhub.Activity) bool { return x.Slug == a.Slug })
			if c.Activities[i].Title.En != a.Title.En || c.Activities[i].Version != 2 {
				t.Fatalf("catalog after update: %+v", c.Activities[i])
			}
			// A second writer that read version 1 is refused with the current record.
			stale := *a
			stale.Title.En = "Something else"
			_, err = db.Apply(ctx, partnerhub.Change{Actor: admin, Home: "utokyo", Entity: partnerhub.EntityActivity, Action: partnerhub.ActionUpdate,
				Key: a.Slug, Version: 1, Record: &stale})
			var pe *partnerhub.Error
			if !errors.As(err, &pe) || pe.Code != partnerhub.EConflict || pe.Current.(*partnerhub.Activity).Title.En != a.Title.En {
				t.Fatalf("stale update: %v", err)
			}
			events, err := db.Audit(ctx, "utokyo", partnerhub.AuditFilter{Entity: partnerhub.EntityActivity, Key: a.Slug})
			if err != nil || len(events) != 1 {
				t.Fatalf("audit: %d events, %v", len(events), err)
			}
			ev := events[0]
			if ev.Actor != admin.Email || ev.UserID != admin.ID || ev.Action != partnerhub.ActionUpdate || ev.Version != 2 ||
				!contains(ev.Before, "Co-creating the Future Society in Asia\"") || !contains(ev.After, "(2019 joint conference)") ||
				time.Since(ev.At) > time.Minute {
				t.Fatalf("audit event %+v", ev)
			}
		})

		t.Run("roles", func(t *testing.T) {
			db := loaded(t, e)
			agr := addUser(t, db, "agr@example.ac.jp", partnerhub.RoleCoordinator, "agr")
			viewer := addUser(t, db, "viewer@example.ac.jp", partnerhub.RoleViewer)
			ntu, v := activity(t, db, "ntu-joint-conference-2019")
			cam, cv := activity(t, db, "cambridge-voices-education-covid-2020")
			p, _, _ := db.Record(ctx, "utokyo", partnerhub.EntityPartner, "ntu")
			pv := p.RecordVersion()
			for _, tc := range []struct {
				name  string
				actor *partnerhub.User
				ch    partnerhub.Change
				code  string
			}{
				{"coordinator edits an activity of a partner of their unit", agr, partnerhub.Change{Entity: partnerhub.EntityActivity, Action: partnerhub.ActionUpdate, Key: ntu.Slug, Version: v, Record: ntu}, ""},
				{"coordinator edits another unit's activity", agr, partnerhub.Change{Entity: partnerhub.EntityActivity, Action: partnerhub.ActionUpdate, Key: cam.Slug, Version: cv, Record: cam}, partnerhub.EForbidden},
				{"coordinator moves an activity to a partner not theirs", agr, partnerhub.Change{Entity: partnerhub.EntityActivity, Action: partnerhub.ActionUpdate, Key: ntu.Slug, Version: v + 1,
					Record: withPartners(ntu, "ntu", "cambridge")}, partnerhub.EForbidden},
				{"coordinator edits a partner record", agr, partnerhub.Change{Entity: partnerhub.EntityPartner, Action: partnerhub.ActionUpdate, Key: "ntu", Version: pv, Record: p}, partnerhub.EForbidden},
				{"viewer edits", viewer, partnerhub.Change{Entity: partnerhub.EntityActivity, Action: partnerhub.ActionUpdate, Key: ntu.Slug, Version: v + 1, Record: ntu}, partnerhub.EForbidden},
				{"nobody edits", nil, partnerhub.Change{Entity: partnerhub.EntityActivity, Action: partnerhub.ActionUpdate, Key: ntu.Slug, Version: v + 1, Record: ntu}, partnerhub.EUnauthorized},
			} {
				tc.ch.Actor, tc.ch.Home = tc.actor, "utokyo"
				_, err := db.Apply(ctx, tc.ch)
				if got := partnerhub.ErrorCode(err); got != tc.code {
					t.Errorf("%s: code %q (%v), want %q", tc.name, got, err, tc.code)
				}
			}
			events, _ := db.Audit(ctx, "utokyo", partnerhub.AuditFilter{})
			if len(events) != 1 || events[0].Actor != agr.Email {
				t.Fatalf("refused writes left audit events: %+v", events)
			}
		})

		t.Run("team of a phase", func(t *testing.T) {
			db := loaded(t, e)
			agr := addUser(t, db, "agr@example.ac.jp", partnerhub.RoleCoordinator, "agr")
			rec, _, err := db.Record(ctx, "utokyo", partnerhub.EntityTeam, "ntu/3")
			if err != nil {
				t.Fatal(err)
			}
			v := rec.RecordVersion()
			team := rec.(*partnerhub.TeamDoc)
			if team.Tier != partnerhub.Prospective || team.Lead != "agr" || len(team.Units) != 8 {
				t.Fatalf("team %+v", team)
			}
			team.Units = append(team.Units, "law")
			if _, err := db.Apply(ctx, partnerhub.Change{Actor: agr, Home: "utokyo", Entity: partnerhub.EntityTeam, Action: partnerhub.ActionUpdate, Key: "ntu/3", Version: v, Record: team}); err != nil {
				t.Fatal(err)
			}
			c, _ := db.Catalog(ctx, "utokyo")
			if !slices.ContainsFunc(c.Teams, func(m partnerhub.TeamMembership) bool { return m.Partner == "ntu" && m.Unit == "law" }) {
				t.Fatal("law not in NTU's team")
			}
			bad := *team
			bad.Units = append(slices.Clone(team.Units), "nowhere")
			_, err = db.Apply(ctx, partnerhub.Change{Actor: agr, Home: "utokyo", Entity: partnerhub.EntityTeam, Action: partnerhub.ActionUpdate, Key: "ntu/3", Version: v + 1, Record: &bad})
			var pe *partnerhub.Error
			if !errors.As(err, &pe) || pe.Fields["units[9]"].Key != "unknown_unit" {
				t.Fatalf("unknown unit: %v", err)
			}
		})

		t.Run("soft delete and restore", func(t *testing.T) {
			db := loaded(t, e)
			admin := addUser(t, db, "admin@example.ac.jp", partnerhub.RoleAdmin)
			before, _ := db.Catalog(ctx, "utokyo")
			if _, err := db.Apply(ctx, partnerhub.Change{Actor: admin, Home: "utokyo", Entity: partnerhub.EntityPartner, Action: partnerhub.ActionDelete, Key: "paris", Version: 1}); err != nil {
				t.Fatal(err)
			}
			c, _ := db.Catalog(ctx, "utokyo")
			if len(c.Partners) != 15 || slices.ContainsFunc(c.Agreements, func(a partnerhub.Agreement) bool { return a.Partner == "paris" }) {
				t.Fatalf("after delete: %d partners", len(c.Partners))
			}
			bin, err := db.Bin(ctx, "utokyo")
			if err != nil || len(bin) != 1 || bin[0].Key != "paris" || bin[0].Entity != partnerhub.EntityPartner {
				t.Fatalf("bin %+v %v", bin, err)
			}
			// Deleting it again, or updating it, finds nothing.
			if _, err := db.Apply(ctx, partnerhub.Change{Actor: admin, Home: "utokyo", Entity: partnerhub.EntityPartner, Action: partnerhub.ActionDelete, Key: "paris", Version: 2}); partnerhub.ErrorCode(err) != partnerhub.ENotFound {
				t.Fatalf("second delete: %v", err)
			}
			if _, err := db.Apply(ctx, partnerhub.Change{Actor: admin, Home: "utokyo", Entity: partnerhub.EntityPartner, Action: partnerhub.ActionRestore, Key: "paris"}); err != nil {
				t.Fatal(err)
			}
			after, _ := db.Catalog(ctx, "utokyo")
			for i := range after.Partners {
				if after.Partners[i].Slug == "paris" {
					if after.Partners[i].Version != 3 {
						t.Fatalf("restored version %d", after.Partners[i].Version)
					}
					after.Partners[i].Version = 1
				}
			}
			if !equalJSON(t, before, after) {
				t.Fatal("restore did not bring back everything")
			}
			events, _ := db.Audit(ctx, "utokyo", partnerhub.AuditFilter{Key: "paris"})
			if len(events) != 2 || events[0].Action != partnerhub.ActionRestore || events[1].Action != partnerhub.ActionDelete || events[1].After != nil {
				t.Fatalf("audit %+v", events)
			}
			// An institution still in use cannot be deleted.
			_, err = db.Apply(ctx, partnerhub.Change{Actor: admin, Home: "utokyo", Entity: partnerhub.EntityInstitution, Action: partnerhub.ActionDelete, Key: "kth", Version: 1})
			if partnerhub.ErrorCode(err) != partnerhub.EConflict {
				t.Fatalf("delete an institution in use: %v", err)
			}
		})

		t.Run("create with bad references stores nothing", func(t *testing.T) {
			db := loaded(t, e)
			admin := addUser(t, db, "admin@example.ac.jp", partnerhub.RoleAdmin)
			a := &partnerhub.Activity{Slug: "new-one", Kind: partnerhub.Workshop, Title: partnerhub.Text{Ja: "新", En: "New"},
				Partners: []string{"ntu", "atlantis"}, Units: []string{"agr"}, Host: "nowhere", Published: true}
			_, err := db.Apply(ctx, partnerhub.Change{Actor: admin, Home: "utokyo", Entity: partnerhub.EntityActivity, Action: partnerhub.ActionCreate, Record: a})
			var pe *partnerhub.Error
			if !errors.As(err, &pe) || pe.Fields["partners[1]"].Key != "unknown_partner" || pe.Fields["host"].Key != "unknown_institution" {
				t.Fatalf("bad references: %v", err)
			}
			if _, _, err := db.Record(ctx, "utokyo", partnerhub.EntityActivity, "new-one"); partnerhub.ErrorCode(err) != partnerhub.ENotFound {
				t.Fatalf("half-created record: %v", err)
			}
			a.Partners, a.Host = []string{"ntu"}, "ntu"
			if v, err := db.Apply(ctx, partnerhub.Change{Actor: admin, Home: "utokyo", Entity: partnerhub.EntityActivity, Action: partnerhub.ActionCreate, Record: a}); err != nil || v != 1 {
				t.Fatalf("create: %d %v", v, err)
			}
			if _, err := db.Apply(ctx, partnerhub.Change{Actor: admin, Home: "utokyo", Entity: partnerhub.EntityActivity, Action: partnerhub.ActionCreate, Record: a}); partnerhub.ErrorCode(err) != partnerhub.EConflict {
				t.Fatalf("second create: %v", err)
			}
		})

		t.Run("a restored unit keeps marks unique", func(t *testing.T) {
			db := loaded(t, e)
			admin := addUser(t, db, "admin@example.ac.jp", partnerhub.RoleAdmin)
			mk := func(code string) *partnerhub.Unit {
				return &partnerhub.Unit{Code: code, Name: partnerhub.Text{Ja: "新部局", En: "New unit"}, Abbr: partnerhub.Text{Ja: "新", En: "New"}, Kind: partnerhub.Center}
			}
			apply := func(ch partnerhub.Change) error {
				ch.Actor, ch.Home, ch.Entity = admin, "utokyo", partnerhub.EntityUnit
				_, err := db.Apply(ctx, ch)
				return err
			}
			if err := apply(partnerhub.Change{Action: partnerhub.ActionCreate, Record: mk("new-a")}); err != nil {
				t.Fatal(err)
			}
			if err := apply(partnerhub.Change{Action: partnerhub.ActionCreate, Record: mk("new-b")}); partnerhub.ErrorCode(err) != partnerhub.EInvalid {
				t.Fatalf("a second unit with the same mark: %v", err)
			}
			if err := apply(partnerhub.Change{Action: partnerhub.ActionDelete, Key: "new-a", Version: 1}); err != nil {
				t.Fatal(err)
			}
			if err := apply(partnerhub.Change{Action: partnerhub.ActionCreate, Record: mk("new-b")}); err != nil {
				t.Fatal(err)
			}
			if err := apply(partnerhub.Change{Action: partnerhub.ActionRestore, Key: "new-a"}); partnerhub.ErrorCode(err) != partnerhub.EConflict {
				t.Fatalf("restoring a unit whose mark is taken: %v", err)
			}
		})

		t.Run("the audit log cannot be changed", func(t *testing.T) {
			db := loaded(t, e)
			admin := addUser(t, db, "admin@example.ac.jp", partnerhub.RoleAdmin)
			a, v := activity(t, db, "ntu-joint-conference-2019")
			if _, err := db.Apply(ctx, partnerhub.Change{Actor: admin, Home: "utokyo", Entity: partnerhub.EntityActivity, Action: partnerhub.ActionUpdate, Key: a.Slug, Version: v, Record: a}); err != nil {
				t.Fatal(err)
			}
			for _, q := range []string{`UPDATE audit_events SET actor = 'someone else'`, `DELETE FROM audit_events`} {
				if err := db.ExecForTest(ctx, q); err == nil {
					t.Errorf("%s succeeded", q)
				}
			}
			if events, _ := db.Audit(ctx, "utokyo", partnerhub.AuditFilter{}); len(events) != 1 || events[0].Actor != admin.Email {
				t.Fatalf("audit log changed: %+v", events)
			}
		})

		t.Run("concurrent edits of one record", func(t *testing.T) {
			db := loaded(t, e)
			admin := addUser(t, db, "admin@example.ac.jp", partnerhub.RoleAdmin)
			var wg sync.WaitGroup
			var mu sync.Mutex
			ok, conflicts := 0, 0
			for i := range 20 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for {
						a, v := activity(t, db, "tsinghua-language-exchange-2021-03")
						a.Summary.En = "edit " + string(rune('a'+i))
						_, err := db.Apply(ctx, partnerhub.Change{Actor: admin, Home: "utokyo", Entity: partnerhub.EntityActivity, Action: partnerhub.ActionUpdate, Key: a.Slug, Version: v, Record: a})
						mu.Lock()
						switch partnerhub.ErrorCode(err) {
						case "":
							ok++
							mu.Unlock()
							return
						case partnerhub.EConflict:
							conflicts++
							mu.Unlock()
							continue // read again and retry, as a person would
						default:
							mu.Unlock()
							t.Errorf("edit failed: %v", err)
							return
						}
					}
				}()
			}
			wg.Wait()
			_, v := activity(t, db, "tsinghua-language-exchange-2021-03")
			events, _ := db.Audit(ctx, "utokyo", partnerhub.AuditFilter{Key: "tsinghua-language-exchange-2021-03"})
			if ok != 20 || v != 21 || len(events) != 20 {
				t.Fatalf("%d successes, %d conflicts, version %d, %d audit events", ok, conflicts, v, len(events))
			}
		})
	})
}

func withPartners(a *partnerhub.Activity, partners ...string) *partnerhub.Activity {
	c := *a
	c.Partners = partners
	return &c
}

func contains(b []byte, s string) bool { return strings.Contains(string(b), s) }

func equalJSON(t *testing.T, a, b any) bool {
	t.Helper()
	ja, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	jb, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	return string(ja) == string(jb)
}
