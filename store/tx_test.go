package store_test

import (
	"context"
	"database/sql"
	"iter"
	"math/rand/v2"
	"testing"
	"time"

	"partnerhub"
	"partnerhub/store/storetest"
)

// A database error met while checking who may write is the database's
// error, never a refusal: a coordinator must not be told they may not edit
// a partner because a query failed.
func TestDatabaseErrorIsNotForbidden(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		db := loaded(t, e)
		w := mobWorldOf(t, db)
		a, v := activity(t, db, "ntu-joint-conference-2019")
		coord := addUser(t, db, "coord@example.ac.jp", partnerhub.RoleCoordinator, w.teams[a.Partners[0]][0])
		drop := "DROP TABLE team_memberships"
		if e.Name == "postgres" {
			drop += " CASCADE"
		}
		if err := db.ExecForTest(ctx, drop); err != nil {
			t.Fatal(err)
		}
		_, err := db.Apply(ctx, partnerhub.Change{Actor: coord, Home: "utokyo", Entity: partnerhub.EntityActivity,
			Action: partnerhub.ActionUpdate, Key: a.Slug, Version: v, Record: a})
		if code := partnerhub.ErrorCode(err); code != partnerhub.EInternal && code != partnerhub.EUnavailable {
			t.Fatalf("Apply with the teams unreadable: code %q (%v), want internal or unavailable", code, err)
		}
	})
}

// Edit forms, histories, the audit log and the bin read from the read
// pool, so a long import, which holds the writer for its whole transaction,
// does not hold them up.
func TestReadsDoNotWaitForTheWriter(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		db := loaded(t, e)
		admin := addUser(t, db, "admin@example.ac.jp", partnerhub.RoleAdmin)
		figs := mobWorldOf(t, db).figures(rand.New(rand.NewPCG(1, 2)), 2, 2021, 1)
		inTx, release := make(chan struct{}), make(chan struct{})
		// An import whose rows come slowly: it holds the write transaction
		// until release.
		var rows iter.Seq2[int, partnerhub.Mobility] = func(yield func(int, partnerhub.Mobility) bool) {
			if !yield(2, figs[0]) {
				return
			}
			close(inTx)
			<-release
			yield(3, figs[1])
		}
		done := make(chan error, 1)
		go func() {
			_, err := db.ImportMobility(ctx, admin, "utokyo", rows, noFailures, nil)
			done <- err
		}()
		<-inTx
		rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		if _, err := db.Audit(rctx, "utokyo", partnerhub.AuditFilter{Entity: partnerhub.EntityActivity, Key: "ntu-joint-conference-2019"}); err != nil {
			t.Errorf("history during an import: %v", err)
		}
		if _, _, err := db.Record(rctx, "utokyo", partnerhub.EntityActivity, "ntu-joint-conference-2019"); err != nil {
			t.Errorf("record during an import: %v", err)
		}
		if _, err := db.Bin(rctx, "utokyo"); err != nil {
			t.Errorf("bin during an import: %v", err)
		}
		close(release)
		if err := <-done; err != nil {
			t.Fatalf("import: %v", err)
		}
	})
}

// A panic inside a write transaction rolls it back, and the writer serves
// the next write: left open, SQLite's one writer connection would be held
// for ever.
func TestPanicInWriteRollsBack(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		db := loaded(t, e)
		admin := addUser(t, db, "admin@example.ac.jp", partnerhub.RoleAdmin)
		mustPanic := func(name string, fn func()) {
			t.Helper()
			defer func() {
				if recover() == nil {
					t.Fatalf("%s did not panic", name)
				}
			}()
			fn()
		}
		mustPanic("a write that panics after writing", func() {
			db.TxForTest(ctx, func(tx *sql.Tx) error {
				if _, err := tx.ExecContext(ctx, `UPDATE activities SET title_en = 'half-written'`); err != nil {
					t.Error(err)
				}
				panic("boom")
			})
		})
		// Every later step has a deadline: a writer left held would block it.
		wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		// A record of another kind than the change names is refused, not
		// asserted (the typed write path has no assertion left to panic).
		if _, err := db.Apply(wctx, partnerhub.Change{Actor: admin, Home: "utokyo", Entity: partnerhub.EntityInstitution,
			Action: partnerhub.ActionCreate, Record: &partnerhub.Unit{Code: "x"}}); partnerhub.ErrorCode(err) != partnerhub.EInvalid {
			t.Fatalf("a record of the wrong kind: %v, want invalid", err)
		}
		rec, _, err := db.Record(wctx, "utokyo", partnerhub.EntityActivity, "ntu-joint-conference-2019")
		if err != nil {
			t.Fatal(err)
		}
		v := rec.RecordVersion()
		a := rec.(*partnerhub.Activity)
		if a.Title.En == "half-written" {
			t.Fatal("the write before the panic was kept")
		}
		a.Title.En = "After the panic"
		if _, err := db.Apply(wctx, partnerhub.Change{Actor: admin, Home: "utokyo", Entity: partnerhub.EntityActivity,
			Action: partnerhub.ActionUpdate, Key: a.Slug, Version: v, Record: a}); err != nil {
			t.Fatalf("write after a panic: %v", err)
		}
	})
}
