package store_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"partnerhub"
	"partnerhub/store"
	"partnerhub/store/storetest"
)

// An import whose every row reads well but repeats the file or the
// database: on PostgreSQL the COPY straight into mobility meets them and
// the import falls back to finding them all through a temporary table;
// on SQLite the INSERTs find them. Either way each is reported at its row,
// a repeat with the row it repeats, and nothing is written. With a row
// refused while reading besides, PostgreSQL goes to the temporary table
// at once, and finds the same.
func TestMobilityImportRepeats(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		db := e.OpenBuiltin(t)
		admin := mobUser(t, db, "admin@example.ac.jp", partnerhub.RoleAdmin)
		w := mobWorldOf(t, db)
		rng := rand.New(rand.NewPCG(11, 12))
		stored := w.figures(rng, 40, 2010, 3)
		mobImport(t, db, admin, mobHome, stored)
		if err := db.DeleteMobility(ctx, admin, mobHome, stored[4]); err != nil {
			t.Fatal(err)
		}
		fresh := w.figures(rng, 60, 2020, 3)
		before := mobSnapshot(t, db)

		changed := stored[9]
		changed.Count++
		// rows count from 2: fresh[i] is at row i+2, the extras after it
		figs := append(slices.Clone(fresh), fresh[30], stored[4], changed, fresh[3])
		n := len(fresh)
		type got struct {
			row        int
			field, key string
			args       string
		}
		want := []got{
			{n + 2, "", "duplicate_figure", "32"},
			{n + 3, "", "figure_in_bin", ""},
			{n + 4, "", "figure_exists", ""},
			{n + 5, "", "duplicate_figure", "5"},
		}
		unknown := partnerhub.Mobility{Partner: "no-such-partner", Year: 2030, Direction: partnerhub.Outbound,
			Category: partnerhub.Staff, Programme: partnerhub.Visit, Count: 1}
		for _, tc := range []struct {
			name string
			figs []partnerhub.Mobility
			want []got
		}{
			{"every row reads well", figs, want},
			{"a row refused while reading", append(slices.Clone(figs), unknown), append(slices.Clone(want), got{n + 6, "partner", "unknown_partner", "no-such-partner"})},
		} {
			t.Run(tc.name, func(t *testing.T) {
				res, err := db.ImportMobility(ctx, admin, mobHome, mobRows(tc.figs), noFailures, nil)
				var pe *partnerhub.Error
				if !errors.As(err, &pe) || pe.Code != partnerhub.EInvalid || pe.Message != "error.import_rejected" || pe.Args[0] != len(tc.want) {
					t.Fatalf("want error.import_rejected with %d, got %v", len(tc.want), err)
				}
				var problems []got
				for _, p := range res.Problems {
					problems = append(problems, got{p.Row, p.Field, p.Key, fmt.Sprint(p.Args...)})
				}
				if !slices.Equal(problems, tc.want) || res.ProblemCount != len(tc.want) {
					t.Fatalf("problems %+v (%d), want %+v", problems, res.ProblemCount, tc.want)
				}
				mobSame(t, db, before)
			})
		}
		// The same rows without the repeats import.
		mobImport(t, db, admin, mobHome, fresh)
		mobNoDrift(t, db)
	})
}

// Cancelling an import while it writes (its figures stored, its rollups
// not yet) leaves nothing of it, the rollups equal to the figures' sums,
// and the database working.
func TestMobilityImportCancelledWriting(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		db := e.OpenBuiltin(t)
		admin := mobUser(t, db, "admin@example.ac.jp", partnerhub.RoleAdmin)
		w := mobWorldOf(t, db)
		rng := rand.New(rand.NewPCG(13, 14))
		mobImport(t, db, admin, mobHome, w.figures(rng, 50, 2000, 5))
		before := mobSnapshot(t, db)
		figs := w.figures(rng, 300, 2010, 5)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		db.SetAfterImportFiguresForTest(cancel)
		_, err := db.ImportMobility(ctx, admin, mobHome, mobRows(figs), noFailures, nil)
		db.SetAfterImportFiguresForTest(nil)
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("want context.Canceled, got %v", err)
		}
		mobSame(t, db, before)
		mobChecksKeys(t, db)
		mobImport(t, db, admin, mobHome, figs)
		_, listed, err := db.ListMobility(context.Background(), mobHome, store.MobilityFilter{}, 1, 0)
		if err != nil || listed != 350 {
			t.Fatalf("%d figures, %v", listed, err)
		}
		mobNoDrift(t, db)
	})
}

// A second and a third import into the years of the first add to the
// rollup rows the first made (on PostgreSQL by an UPDATE of those rows,
// the new rows by COPY), some with counts of zero; the rollups stay the
// sums of the live figures, a figure deleted between imports left out.
func TestMobilityImportAddsToRollups(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		db := e.OpenBuiltin(t)
		admin := mobUser(t, db, "admin@example.ac.jp", partnerhub.RoleAdmin)
		w := mobWorldOf(t, db)
		rng := rand.New(rand.NewPCG(21, 22))
		figs := w.figures(rng, 300, 2015, 2)
		var first, second []partnerhub.Mobility
		for i, f := range figs {
			if i%2 == 0 {
				first = append(first, f)
			} else {
				f.Count = 0
				if i%4 == 1 {
					f.Count = i
				}
				second = append(second, f)
			}
		}
		mobImport(t, db, admin, mobHome, first)
		mobNoDrift(t, db)
		if err := db.DeleteMobility(ctx, admin, mobHome, first[7]); err != nil {
			t.Fatal(err)
		}
		mobImport(t, db, admin, mobHome, second[:100])
		mobNoDrift(t, db)
		mobImport(t, db, admin, mobHome, second[100:])
		mobNoDrift(t, db)
	})
}
