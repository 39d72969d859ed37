package store_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"math/rand/v2"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"partnerhub"
	"partnerhub/dataset"
	"partnerhub/store"
	"partnerhub/store/storetest"
)

const mobHome = "utokyo"

// mobOther is a second home institution, a copy of the built-in programme,
// for the network-wide view.
const mobOther = "utokyo-copy"

func mobUser(t testing.TB, db *store.DB, email string, role partnerhub.Role, units ...string) *partnerhub.User {
	t.Helper()
	u := &partnerhub.User{Home: mobHome, Email: email, Name: email, Role: role, Units: units}
	id, err := db.InsertUserForTest(context.Background(), u)
	if err != nil {
		t.Fatal(err)
	}
	u.ID = id
	return u
}

// mobAddOther adds the second home institution.
func mobAddOther(t testing.TB, db *store.DB) {
	t.Helper()
	c, err := dataset.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	c.Home.Slug = mobOther
	if err := db.ImportCatalog(context.Background(), c); err != nil {
		t.Fatal(err)
	}
}

// mobWorld is what figures may refer to: the partners (with their members),
// the units, and the teams of the current phase.
type mobWorld struct {
	partners []partnerhub.Partner
	units    []string
	teams    map[string][]string
}

func mobWorldOf(t testing.TB, db *store.DB) *mobWorld {
	t.Helper()
	c, err := db.Catalog(context.Background(), mobHome)
	if err != nil {
		t.Fatal(err)
	}
	w := &mobWorld{partners: c.Partners, teams: map[string][]string{}}
	for _, u := range c.Units {
		w.units = append(w.units, u.Code)
	}
	for _, tm := range c.Teams {
		if tm.Phase == c.CurrentPhase() {
			w.teams[tm.Partner] = append(w.teams[tm.Partner], tm.Unit)
		}
	}
	return w
}

// figures returns n figures with distinct keys, over years from..from+years-1.
func (w *mobWorld) figures(rng *rand.Rand, n, from, years int) []partnerhub.Mobility {
	seen := map[string]bool{}
	out := make([]partnerhub.Mobility, 0, n)
	for len(out) < n {
		p := w.partners[rng.IntN(len(w.partners))]
		m := partnerhub.Mobility{
			Partner:   p.Slug,
			Year:      from + rng.IntN(years),
			Direction: partnerhub.Directions[rng.IntN(len(partnerhub.Directions))],
			Category:  partnerhub.Categories[rng.IntN(len(partnerhub.Categories))],
			Programme: partnerhub.MobilityProgrammes[rng.IntN(len(partnerhub.MobilityProgrammes))],
			Count:     rng.IntN(40),
		}
		if rng.IntN(4) == 0 {
			m.Institution = p.Members[rng.IntN(len(p.Members))]
		}
		if rng.IntN(5) > 0 {
			m.Unit = w.units[rng.IntN(len(w.units))]
		}
		if !seen[m.Key()] {
			seen[m.Key()] = true
			out = append(out, m)
		}
	}
	return out
}

// mobRows numbers figures from 2, as the lines of a CSV file with a header.
func mobRows(figs []partnerhub.Mobility) iter.Seq2[int, partnerhub.Mobility] {
	return func(yield func(int, partnerhub.Mobility) bool) {
		for i, m := range figs {
			if !yield(i+2, m) {
				return
			}
		}
	}
}

func noFailures() bool { return false }

func mobImport(t testing.TB, db *store.DB, actor *partnerhub.User, home string, figs []partnerhub.Mobility) {
	t.Helper()
	res, err := db.ImportMobility(context.Background(), actor, home, mobRows(figs), noFailures, nil)
	if err != nil {
		t.Fatalf("import: %v (%d problems: %v)", err, res.ProblemCount, res.Problems)
	}
	if res.Rows != int64(len(figs)) || res.ProblemCount != 0 {
		t.Fatalf("import: %+v", res)
	}
}

// mobTruth is every live figure, by home, as the test believes it stored.
type mobTruth map[string]map[string]partnerhub.Mobility

func (tr mobTruth) put(home string, figs ...partnerhub.Mobility) {
	if tr[home] == nil {
		tr[home] = map[string]partnerhub.Mobility{}
	}
	for _, m := range figs {
		tr[home][m.Key()] = m
	}
}

// stats answers q by brute force.
func (tr mobTruth) stats(q partnerhub.StatsQuery) []partnerhub.StatsRow {
	sums := map[string]int64{}
	keysOf := map[string][]string{}
	for home, figs := range tr {
		if q.Home != "" && home != q.Home {
			continue
		}
		for _, m := range figs {
			switch {
			case q.Partner != "" && m.Partner != q.Partner,
				q.Unit != "" && m.Unit != q.Unit,
				q.Direction != "" && m.Direction != q.Direction,
				q.Category != "" && m.Category != q.Category,
				q.Programme != "" && m.Programme != q.Programme,
				q.FromYear != 0 && m.Year < q.FromYear,
				q.ToYear != 0 && m.Year > q.ToYear:
				continue
			}
			keys := make([]string, len(q.GroupBy))
			for i, d := range q.GroupBy {
				switch d {
				case partnerhub.DimYear:
					keys[i] = strconv.Itoa(m.Year)
				case partnerhub.DimPartner:
					keys[i] = m.Partner
				case partnerhub.DimUnit:
					keys[i] = m.Unit
				case partnerhub.DimDirection:
					keys[i] = string(m.Direction)
				case partnerhub.DimCategory:
					keys[i] = string(m.Category)
				case partnerhub.DimProgramme:
					keys[i] = string(m.Programme)
				case partnerhub.DimHome:
					keys[i] = home
				}
			}
			k := strings.Join(keys, "\x00")
			sums[k] += int64(m.Count)
			keysOf[k] = keys
		}
	}
	out := []partnerhub.StatsRow{}
	for k, total := range sums {
		if total != 0 {
			out = append(out, partnerhub.StatsRow{Keys: keysOf[k], Total: total})
		}
	}
	slices.SortFunc(out, func(a, b partnerhub.StatsRow) int { return slices.Compare(a.Keys, b.Keys) })
	return out
}

// groupings are every GroupBy of one to three dimensions, in the order of
// partnerhub.Dimensions, pairs reversed too, and none.
func groupings() [][]string {
	var out [][]string
	dims := partnerhub.Dimensions
	for i := range dims {
		out = append(out, []string{dims[i]})
		for j := i + 1; j < len(dims); j++ {
			out = append(out, []string{dims[i], dims[j]}, []string{dims[j], dims[i]})
			for k := j + 1; k < len(dims); k++ {
				out = append(out, []string{dims[i], dims[j], dims[k]})
			}
		}
	}
	return append(out, nil) // the grand total
}

// mobCompare checks Stats against brute force for every grouping, with and
// without filters, for one home and for the network.
func mobCompare(t *testing.T, db *store.DB, tr mobTruth, w *mobWorld, nFilters int) {
	t.Helper()
	ctx := context.Background()
	filters := []partnerhub.StatsQuery{
		{},
		{Direction: partnerhub.Inbound},
		{Partner: w.partners[0].Slug, FromYear: 2019, ToYear: 2021},
		{Unit: w.units[1], Category: partnerhub.Graduate},
		{Programme: partnerhub.ExchangeProgramme, Direction: partnerhub.Outbound},
	}
	n := 0
	for _, home := range []string{mobHome, ""} {
		for fi, f := range filters[:nFilters] {
			for _, g := range groupings() {
				q := f
				q.Home, q.GroupBy = home, g
				got, err := db.Stats(ctx, q)
				if err != nil {
					t.Fatalf("%+v: %v", q, err)
				}
				want := tr.stats(q)
				if !slices.EqualFunc(got, want, func(a, b partnerhub.StatsRow) bool { return a.Total == b.Total && slices.Equal(a.Keys, b.Keys) }) {
					t.Fatalf("home %q filter %d group by %v: got %d rows %v…, want %d rows %v…", home, fi, g, len(got), head(got), len(want), head(want))
				}
				if len(want) > 0 {
					n++
				}
			}
		}
	}
	if n < 80*nFilters {
		t.Fatalf("only %d queries had an answer: the figures do not cover the filters", n)
	}
	mobNoDrift(t, db)
}

func head(rows []partnerhub.StatsRow) []partnerhub.StatsRow { return rows[:min(len(rows), 4)] }

// mobNoDrift recomputes the rollups from the figures.
func mobNoDrift(t testing.TB, db *store.DB) {
	t.Helper()
	problems, err := db.CheckMobilityRollups(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems[:min(len(problems), 10)] {
		t.Error(p)
	}
	if len(problems) > 0 {
		t.FailNow()
	}
}

func TestMobilityStats(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		db := e.OpenBuiltin(t)
		mobAddOther(t, db)
		admin := mobUser(t, db, "admin@example.ac.jp", partnerhub.RoleAdmin)
		w := mobWorldOf(t, db)
		rng := rand.New(rand.NewPCG(1, 2))
		tr := mobTruth{}
		figs := w.figures(rng, 5000, 2016, 8)
		var progress []int64
		res, err := db.ImportMobility(ctx, admin, mobHome, mobRows(figs), noFailures, func(n int64) { progress = append(progress, n) })
		if err != nil || res.Rows != 5000 || res.ProblemCount != 0 {
			t.Fatalf("import: %+v %v", res, err)
		}
		if !slices.Equal(progress, []int64{5000}) {
			t.Errorf("progress %v", progress)
		}
		tr.put(mobHome, figs...)
		other := w.figures(rng, 1000, 2018, 5)
		// An administrator of one home writes nothing into another's.
		before := mobSnapshot(t, db)
		if _, err := db.ImportMobility(ctx, admin, mobOther, mobRows(other), noFailures, nil); partnerhub.ErrorCode(err) != partnerhub.EForbidden {
			t.Fatalf("import into another home: %v", err)
		}
		if err := db.PutMobility(ctx, admin, mobOther, other[0]); partnerhub.ErrorCode(err) != partnerhub.EForbidden {
			t.Fatalf("a figure into another home: %v", err)
		}
		if err := db.DeleteMobility(ctx, admin, mobOther, figs[0]); partnerhub.ErrorCode(err) != partnerhub.EForbidden {
			t.Fatalf("a figure of another home into the bin: %v", err)
		}
		if _, err := db.Apply(ctx, partnerhub.Change{Actor: admin, Home: mobOther, Entity: partnerhub.EntityActivity, Action: partnerhub.ActionDelete,
			Key: "ntu-joint-conference-2019", Version: 1}); partnerhub.ErrorCode(err) != partnerhub.EForbidden {
			t.Fatalf("a change to another home: %v", err)
		}
		if c, err := db.Catalog(ctx, mobOther); err != nil || !slices.ContainsFunc(c.Activities, func(a partnerhub.Activity) bool { return a.Slug == "ntu-joint-conference-2019" }) {
			t.Fatalf("the other home's activity is gone: %v", err)
		}
		mobSame(t, db, before)
		otherAdmin := &partnerhub.User{Home: mobOther, Email: "system", Role: partnerhub.RoleAdmin}
		mobImport(t, db, otherAdmin, mobOther, other)
		tr.put(mobOther, other...)
		mobCompare(t, db, tr, w, 5)

		// A mix of changes, deletions and restorations, one at a time.
		var binned []partnerhub.Mobility
		for i := range 300 {
			switch op := rng.IntN(5); {
			case op == 0 && len(binned) > 0: // restore
				m := binned[len(binned)-1]
				binned = binned[:len(binned)-1]
				if err := db.RestoreMobility(ctx, admin, mobHome, m); err != nil {
					t.Fatalf("restore %s: %v", m.Key(), err)
				}
				tr.put(mobHome, m)
			case op == 1: // delete
				m := figs[rng.IntN(len(figs))]
				cur, live := tr[mobHome][m.Key()]
				err := db.DeleteMobility(ctx, admin, mobHome, m)
				if !live {
					if partnerhub.ErrorCode(err) != partnerhub.ENotFound {
						t.Fatalf("delete of a deleted figure: %v", err)
					}
					continue
				}
				if err != nil {
					t.Fatalf("delete %s: %v", m.Key(), err)
				}
				delete(tr[mobHome], m.Key())
				binned = append(binned, cur)
			case op == 2: // a new figure
				m := w.figures(rng, 1, 2010+i%20, 1)[0]
				if _, taken := tr[mobHome][m.Key()]; taken || slices.ContainsFunc(binned, func(b partnerhub.Mobility) bool { return b.Key() == m.Key() }) {
					continue
				}
				if err := db.PutMobility(ctx, admin, mobHome, m); err != nil {
					t.Fatalf("put new %s: %v", m.Key(), err)
				}
				tr.put(mobHome, m)
				figs = append(figs, m)
			default: // a new count
				m := figs[rng.IntN(len(figs))]
				if _, live := tr[mobHome][m.Key()]; !live {
					continue
				}
				m.Count = rng.IntN(100)
				if err := db.PutMobility(ctx, admin, mobHome, m); err != nil {
					t.Fatalf("put %s: %v", m.Key(), err)
				}
				tr.put(mobHome, m)
			}
		}
		mobCompare(t, db, tr, w, 2)
	})
}

// mobState is what an import that is refused must leave as it was.
type mobState struct {
	totals []partnerhub.StatsRow
	listed int64
	events int
	export []byte
}

func mobSnapshot(t *testing.T, db *store.DB) mobState {
	t.Helper()
	ctx := context.Background()
	totals, err := db.Stats(ctx, partnerhub.StatsQuery{GroupBy: []string{partnerhub.DimHome, partnerhub.DimYear, partnerhub.DimPartner, partnerhub.DimUnit}})
	if err != nil {
		t.Fatal(err)
	}
	_, listed, err := db.ListMobility(ctx, mobHome, store.MobilityFilter{}, 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	events, err := db.Audit(ctx, mobHome, partnerhub.AuditFilter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := db.Export(ctx, &b); err != nil {
		t.Fatal(err)
	}
	return mobState{totals, listed, len(events), b.Bytes()}
}

func mobSame(t *testing.T, db *store.DB, before mobState) {
	t.Helper()
	after := mobSnapshot(t, db)
	if !bytes.Equal(before.export, after.export) || after.listed != before.listed || after.events != before.events {
		t.Fatalf("a refused import changed the database: %d figures (was %d), %d events (was %d), export differs at %s",
			after.listed, before.listed, after.events, before.events, xferDiff(before.export, after.export))
	}
	mobNoDrift(t, db)
}

func TestMobilityImportRefused(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		db := e.OpenBuiltin(t)
		admin := mobUser(t, db, "admin@example.ac.jp", partnerhub.RoleAdmin)
		agr := mobUser(t, db, "agr@example.ac.jp", partnerhub.RoleCoordinator, "agr")
		w := mobWorldOf(t, db)
		rng := rand.New(rand.NewPCG(3, 4))
		stored := w.figures(rng, 400, 2010, 5) // years 2010–2014
		mobImport(t, db, admin, mobHome, stored)
		if err := db.DeleteMobility(ctx, admin, mobHome, stored[7]); err != nil {
			t.Fatal(err)
		}
		fresh := w.figures(rng, 250, 2020, 3) // years 2020–2022: none stored
		viewer := mobUser(t, db, "viewer@example.ac.jp", partnerhub.RoleViewer)
		before := mobSnapshot(t, db)

		// a partner whose team has agr, and one whose team has not
		var agrPartner, otherPartner string
		for _, p := range w.partners {
			if slices.Contains(w.teams[p.Slug], "agr") {
				agrPartner = p.Slug
			} else {
				otherPartner = p.Slug
			}
		}
		if agrPartner == "" || otherPartner == "" {
			t.Fatal("the built-in teams changed: need a partner with agr and one without")
		}
		var group partnerhub.Partner
		for _, p := range w.partners {
			if p.Kind == partnerhub.PartnerGroup {
				group = p
			}
		}
		fig := func(partner, unit string, year int) partnerhub.Mobility {
			return partnerhub.Mobility{Partner: partner, Unit: unit, Year: year, Direction: partnerhub.Outbound,
				Category: partnerhub.Staff, Programme: partnerhub.Visit, Count: 3}
		}
		with := func(m partnerhub.Mobility, change func(*partnerhub.Mobility)) partnerhub.Mobility {
			change(&m)
			return m
		}
		// fresh[5] again at row 2+len(fresh): the rows of the file count from 2.
		last := 2 + len(fresh)
		type want struct {
			row        int
			field, key string
		}
		for _, tc := range []struct {
			name  string
			actor *partnerhub.User
			figs  []partnerhub.Mobility
			want  []want
		}{
			{"duplicate in the file", admin, append(slices.Clone(fresh), fresh[5]), []want{{last, "", "duplicate_figure"}}},
			{"stored already", admin, append(slices.Clone(fresh), stored[3]), []want{{last, "", "figure_exists"}}},
			{"stored in the bin", admin, append(slices.Clone(fresh), stored[7]), []want{{last, "", "figure_in_bin"}}},
			{"stored, count differs", admin, append(slices.Clone(fresh), with(stored[9], func(m *partnerhub.Mobility) { m.Count++ })), []want{{last, "", "figure_exists"}}},
			{"unknown partner", admin, append(slices.Clone(fresh), fig("no-such-partner", "", 2030)), []want{{last, "partner", "unknown_partner"}}},
			{"unknown institution", admin, append(slices.Clone(fresh), with(fig(group.Slug, "", 2030), func(m *partnerhub.Mobility) { m.Institution = "no-such-university" })),
				[]want{{last, "institution", "unknown_institution"}}},
			{"not a member", admin, append(slices.Clone(fresh), with(fig(group.Slug, "", 2030), func(m *partnerhub.Mobility) { m.Institution = w.partners[0].Members[0] })),
				[]want{{last, "institution", "not_member"}}},
			{"unknown unit", admin, append(slices.Clone(fresh), fig(agrPartner, "no-such-unit", 2030)), []want{{last, "unit", "unknown_unit"}}},
			{"bad values", admin, append(slices.Clone(fresh), with(fig(agrPartner, "", 2030), func(m *partnerhub.Mobility) { m.Year, m.Count, m.Direction = 1800, -1, "sideways" })),
				[]want{{last, "year", "out_of_range"}, {last, "direction", "one_of"}, {last, "count", "not_negative"}}},
			{"coordinator, not their unit", agr, []partnerhub.Mobility{fig(agrPartner, "agr", 2030), fig(agrPartner, "eng", 2030)},
				[]want{{3, "unit", "forbidden_mobility_unit"}}},
			{"coordinator, no unit", agr, []partnerhub.Mobility{fig(agrPartner, "", 2030)}, []want{{2, "unit", "forbidden_mobility_unit"}}},
			{"coordinator, partner outside the unit's teams", agr, []partnerhub.Mobility{fig(agrPartner, "agr", 2031), fig(otherPartner, "agr", 2031)},
				[]want{{3, "partner", "forbidden_partner"}}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				res, err := db.ImportMobility(ctx, tc.actor, mobHome, mobRows(tc.figs), noFailures, nil)
				var pe *partnerhub.Error
				if !errors.As(err, &pe) || pe.Code != partnerhub.EInvalid || pe.Message != "error.import_rejected" || pe.Args[0] != len(tc.want) {
					t.Fatalf("want error.import_rejected with %d, got %v", len(tc.want), err)
				}
				var got []want
				for _, p := range res.Problems {
					got = append(got, want{p.Row, p.Field, p.Key})
				}
				slices.SortFunc(got, func(a, b want) int { return cmpWant(a.row, b.row, a.field, b.field) })
				slices.SortFunc(tc.want, func(a, b want) int { return cmpWant(a.row, b.row, a.field, b.field) })
				if !slices.Equal(got, tc.want) || res.ProblemCount != len(tc.want) || res.Rows != int64(len(tc.figs)) {
					t.Fatalf("problems %+v (%d, %d rows), want %+v", res.Problems, res.ProblemCount, res.Rows, tc.want)
				}
				mobSame(t, db, before)
			})
		}

		t.Run("duplicate names the earlier row", func(t *testing.T) {
			res, _ := db.ImportMobility(ctx, admin, mobHome, mobRows(append(slices.Clone(fresh), fresh[5])), noFailures, nil)
			if p := res.Problems[0]; len(p.Args) != 1 || p.Args[0] != 7 {
				t.Fatalf("%+v: want the row of fresh[5], 7", p)
			}
		})
		t.Run("duplicates and stored figures far apart in a large file", func(t *testing.T) {
			// The repeats come up to 30,000 rows after what they repeat.
			big := w.figures(rand.New(rand.NewPCG(7, 8)), 30000, 2023, 18) // years 2023–2040: none stored
			figs := append(slices.Clone(big), big[1], big[1], big[20000], stored[3])
			n := len(big)
			res, err := db.ImportMobility(ctx, admin, mobHome, mobRows(figs), noFailures, nil)
			if partnerhub.ErrorCode(err) != partnerhub.EInvalid || res.ProblemCount != 4 {
				t.Fatalf("%d problems, %v", res.ProblemCount, err)
			}
			type got struct {
				row  int
				key  string
				args string
			}
			var problems []got
			for _, p := range res.Problems {
				problems = append(problems, got{p.Row, p.Key, fmt.Sprint(p.Args...)})
			}
			want := []got{ // big[i] is at row i+2
				{n + 2, "duplicate_figure", "3"}, {n + 3, "duplicate_figure", "3"},
				{n + 4, "duplicate_figure", strconv.Itoa(20002)}, {n + 5, "figure_exists", ""},
			}
			if !slices.Equal(problems, want) {
				t.Fatalf("problems %+v, want %+v", problems, want)
			}
			mobSame(t, db, before)
		})
		t.Run("the caller's rows failed", func(t *testing.T) {
			res, err := db.ImportMobility(ctx, admin, mobHome, mobRows(fresh), func() bool { return true }, nil)
			if partnerhub.ErrorCode(err) != partnerhub.EInvalid || res.ProblemCount != 0 || res.Rows != int64(len(fresh)) {
				t.Fatalf("%+v %v", res, err)
			}
			mobSame(t, db, before)
		})
		t.Run("problems are listed up to 200 and counted", func(t *testing.T) {
			res, err := db.ImportMobility(ctx, admin, mobHome, mobRows(append(slices.Clone(fresh), stored...)), noFailures, nil)
			if partnerhub.ErrorCode(err) != partnerhub.EInvalid || len(res.Problems) != 200 || res.ProblemCount != len(stored) {
				t.Fatalf("%d listed, %d counted, %v", len(res.Problems), res.ProblemCount, err)
			}
			mobSame(t, db, before)
		})
		t.Run("nobody, viewers and disabled users", func(t *testing.T) {
			disabled := *admin
			disabled.Disabled = true
			for _, u := range []*partnerhub.User{nil, viewer, &disabled} {
				read := false
				_, err := db.ImportMobility(ctx, u, mobHome, func(yield func(int, partnerhub.Mobility) bool) { read = true }, noFailures, nil)
				if c := partnerhub.ErrorCode(err); (c != partnerhub.EUnauthorized && c != partnerhub.EForbidden) || read {
					t.Fatalf("%v: %v (rows read: %v)", u, err, read)
				}
			}
			mobSame(t, db, before)
		})
		t.Run("unknown home", func(t *testing.T) {
			_, err := db.ImportMobility(ctx, admin, "no-such-home", mobRows(fresh), noFailures, nil)
			if partnerhub.ErrorCode(err) != partnerhub.ENotFound {
				t.Fatal(err)
			}
		})

		// After all that, the same figures import.
		mobImport(t, db, admin, mobHome, fresh)
		mobImport(t, db, agr, mobHome, []partnerhub.Mobility{fig(agrPartner, "agr", 2030)})
		mobNoDrift(t, db)
		events, err := db.Audit(ctx, mobHome, partnerhub.AuditFilter{Entity: partnerhub.EntityMobility, Action: partnerhub.ActionCreate, Key: "import"})
		if err != nil || len(events) != 3 {
			t.Fatalf("%d import events, %v", len(events), err)
		}
		var after struct{ Rows int64 }
		if err := json.Unmarshal(events[1].After, &after); err != nil || after.Rows != int64(len(fresh)) || events[1].Actor != admin.Email {
			t.Fatalf("event %+v: %s", events[1], events[1].After)
		}
	})
}

func cmpWant(r1, r2 int, f1, f2 string) int {
	if r1 != r2 {
		return r1 - r2
	}
	switch {
	case f1 < f2:
		return -1
	case f1 > f2:
		return 1
	}
	return 0
}

func TestMobilityImportDeletedPartner(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		db := e.OpenBuiltin(t)
		admin := mobUser(t, db, "admin@example.ac.jp", partnerhub.RoleAdmin)
		if _, err := db.Apply(ctx, partnerhub.Change{Actor: admin, Home: mobHome, Entity: partnerhub.EntityPartner, Action: partnerhub.ActionDelete, Key: "paris", Version: 1}); err != nil {
			t.Fatal(err)
		}
		m := partnerhub.Mobility{Partner: "paris", Year: 2022, Direction: partnerhub.Inbound, Category: partnerhub.Faculty, Programme: partnerhub.Visit, Count: 1}
		res, err := db.ImportMobility(ctx, admin, mobHome, mobRows([]partnerhub.Mobility{m}), noFailures, nil)
		if partnerhub.ErrorCode(err) != partnerhub.EInvalid || len(res.Problems) != 1 || res.Problems[0].Key != "unknown_partner" {
			t.Fatalf("%+v %v", res, err)
		}
		if err := db.PutMobility(ctx, admin, mobHome, m); partnerhub.ErrorCode(err) != partnerhub.EInvalid {
			t.Fatalf("put for a deleted partner: %v", err)
		}
	})
}

func TestMobilityImportCancelled(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		db := e.OpenBuiltin(t)
		admin := mobUser(t, db, "admin@example.ac.jp", partnerhub.RoleAdmin)
		w := mobWorldOf(t, db)
		figs := w.figures(rand.New(rand.NewPCG(5, 6)), 3000, 2000, 20)
		before := mobSnapshot(t, db)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		rows := func(yield func(int, partnerhub.Mobility) bool) {
			for i, m := range figs {
				if i == 1234 {
					cancel() // the user gives up half way
				}
				if !yield(i+2, m) {
					return
				}
			}
		}
		_, err := db.ImportMobility(ctx, admin, mobHome, rows, noFailures, nil)
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("want context.Canceled, got %v", err)
		}
		mobSame(t, db, before)
		mobChecksKeys(t, db)
		// The database goes on working.
		mobImport(t, db, admin, mobHome, figs)
		mobChecksKeys(t, db)
		_, n, err := db.ListMobility(context.Background(), mobHome, store.MobilityFilter{}, 1, 0)
		if err != nil || n != int64(len(figs)) {
			t.Fatalf("%d figures, %v", n, err)
		}
		mobNoDrift(t, db)
	})
}

// mobChecksKeys checks that the write connection checks foreign keys and
// CHECK constraints again after an import (which turns both off in SQLite
// while it runs).
func mobChecksKeys(t *testing.T, db *store.DB) {
	t.Helper()
	ctx := context.Background()
	if err := db.ExecForTest(ctx, `INSERT INTO user_units (user_id, unit_id) VALUES (987654, 987654)`); err == nil {
		t.Fatal("a row that refers to nothing was stored: foreign keys are not checked")
	}
	if err := db.ExecForTest(ctx, `INSERT INTO mobility (home_id, partner_id, year, direction, category, programme, count, created_at)
		SELECT home_id, id, 2020, 'outbound', 'faculty', 'exchange', -1, CURRENT_TIMESTAMP FROM partners LIMIT 1`); err == nil {
		t.Fatal("a negative count was stored: CHECK constraints are not checked")
	}
}

func TestMobilityOneByOne(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		db := e.OpenBuiltin(t)
		admin := mobUser(t, db, "admin@example.ac.jp", partnerhub.RoleAdmin)
		agr := mobUser(t, db, "agr@example.ac.jp", partnerhub.RoleCoordinator, "agr")
		viewer := mobUser(t, db, "viewer@example.ac.jp", partnerhub.RoleViewer)
		w := mobWorldOf(t, db)
		var agrPartner string
		for _, p := range w.partners {
			if slices.Contains(w.teams[p.Slug], "agr") {
				agrPartner = p.Slug
				break
			}
		}
		m := partnerhub.Mobility{Partner: agrPartner, Unit: "agr", Year: 2021, Direction: partnerhub.Outbound,
			Category: partnerhub.Graduate, Programme: partnerhub.ExchangeProgramme, Count: 4}
		total := func() int64 {
			t.Helper()
			rows, err := db.Stats(ctx, partnerhub.StatsQuery{Home: mobHome})
			if err != nil {
				t.Fatal(err)
			}
			if len(rows) == 0 {
				return 0
			}
			return rows[0].Total
		}
		events := func() []partnerhub.AuditEvent {
			t.Helper()
			ev, err := db.Audit(ctx, mobHome, partnerhub.AuditFilter{Entity: partnerhub.EntityMobility, Key: m.Key()})
			if err != nil {
				t.Fatal(err)
			}
			return ev
		}

		if err := db.PutMobility(ctx, agr, mobHome, m); err != nil {
			t.Fatal(err)
		}
		if total() != 4 {
			t.Fatalf("total %d", total())
		}
		if err := db.PutMobility(ctx, agr, mobHome, m); err != nil || len(events()) != 1 {
			t.Fatalf("putting the same count again: %v, %d events", err, len(events()))
		}
		m.Count = 9
		if err := db.PutMobility(ctx, admin, mobHome, m); err != nil {
			t.Fatal(err)
		}
		ev := events()
		if total() != 9 || len(ev) != 2 || ev[0].Action != partnerhub.ActionUpdate || ev[0].Version != 2 ||
			!bytes.Contains(ev[0].Before, []byte(`"count":4`)) || !bytes.Contains(ev[0].After, []byte(`"count":9`)) {
			t.Fatalf("total %d, events %+v", total(), ev)
		}

		// Who may.
		for _, tc := range []struct {
			actor *partnerhub.User
			fig   partnerhub.Mobility
			code  string
		}{
			{nil, m, partnerhub.EUnauthorized},
			{viewer, m, partnerhub.EForbidden},
			{agr, func() partnerhub.Mobility { x := m; x.Unit = "eng"; return x }(), partnerhub.EForbidden},
			{agr, func() partnerhub.Mobility { x := m; x.Unit = ""; return x }(), partnerhub.EForbidden},
		} {
			if err := db.PutMobility(ctx, tc.actor, mobHome, tc.fig); partnerhub.ErrorCode(err) != tc.code {
				t.Errorf("put by %v of %s: %v, want %s", tc.actor, tc.fig.Key(), err, tc.code)
			}
			if err := db.DeleteMobility(ctx, tc.actor, mobHome, tc.fig); partnerhub.ErrorCode(err) != tc.code {
				t.Errorf("delete by %v of %s: %v, want %s", tc.actor, tc.fig.Key(), err, tc.code)
			}
		}
		// Bad figures.
		bad := m
		bad.Count = -2
		bad.Category = "alumni"
		err := db.PutMobility(ctx, admin, mobHome, bad)
		var pe *partnerhub.Error
		if !errors.As(err, &pe) || pe.Code != partnerhub.EInvalid || pe.Fields["count"].Key != "not_negative" || pe.Fields["category"].Key != "one_of" {
			t.Fatalf("bad figure: %v", err)
		}
		bad = m
		bad.Unit = "no-such-unit"
		if err := db.PutMobility(ctx, admin, mobHome, bad); !errors.As(err, &pe) || pe.Fields["unit"].Key != "unknown_unit" {
			t.Fatalf("unknown unit: %v", err)
		}

		// The bin.
		if err := db.DeleteMobility(ctx, agr, mobHome, m); err != nil {
			t.Fatal(err)
		}
		if total() != 0 {
			t.Fatalf("total after delete %d", total())
		}
		if err := db.DeleteMobility(ctx, agr, mobHome, m); partnerhub.ErrorCode(err) != partnerhub.ENotFound {
			t.Fatalf("delete twice: %v", err)
		}
		err = db.PutMobility(ctx, agr, mobHome, m)
		if !errors.As(err, &pe) || pe.Code != partnerhub.EConflict || pe.Message != "error.exists_in_bin" || pe.Current.(*partnerhub.Mobility).Count != 9 {
			t.Fatalf("put over the bin: %v", err)
		}
		binned, n, err := db.ListMobility(ctx, mobHome, store.MobilityFilter{InBin: true}, 0, 0)
		if err != nil || n != 1 || binned[0] != m {
			t.Fatalf("bin: %v %d %v", binned, n, err)
		}
		if err := db.RestoreMobility(ctx, agr, mobHome, m); err != nil {
			t.Fatal(err)
		}
		if err := db.RestoreMobility(ctx, agr, mobHome, m); partnerhub.ErrorCode(err) != partnerhub.ENotFound {
			t.Fatalf("restore twice: %v", err)
		}
		ev = events()
		if total() != 9 || len(ev) != 4 || ev[0].Action != partnerhub.ActionRestore || ev[1].Action != partnerhub.ActionDelete ||
			ev[1].After != nil || !bytes.Contains(ev[1].Before, []byte(`"count":9`)) || ev[0].Version != 4 {
			t.Fatalf("total %d, events %+v", total(), ev)
		}
		mobNoDrift(t, db)
	})
}

func TestMobilityList(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		db := e.OpenBuiltin(t)
		admin := mobUser(t, db, "admin@example.ac.jp", partnerhub.RoleAdmin)
		w := mobWorldOf(t, db)
		figs := w.figures(rand.New(rand.NewPCG(7, 8)), 600, 2015, 6)
		mobImport(t, db, admin, mobHome, figs)
		byKey := map[string]partnerhub.Mobility{}
		for _, m := range figs {
			byKey[m.Key()] = m
		}
		for _, f := range []store.MobilityFilter{
			{},
			{Partner: w.partners[2].Slug},
			{Unit: "agr", Direction: partnerhub.Inbound},
			{Category: partnerhub.Faculty, Programme: partnerhub.Visit, FromYear: 2016, ToYear: 2018},
		} {
			var want int64
			for _, m := range figs {
				if (f.Partner == "" || m.Partner == f.Partner) && (f.Unit == "" || m.Unit == f.Unit) &&
					(f.Direction == "" || m.Direction == f.Direction) && (f.Category == "" || m.Category == f.Category) &&
					(f.Programme == "" || m.Programme == f.Programme) && (f.FromYear == 0 || m.Year >= f.FromYear) && (f.ToYear == 0 || m.Year <= f.ToYear) {
					want++
				}
			}
			seen := map[string]bool{}
			for offset := 0; ; offset += 37 {
				page, n, err := db.ListMobility(ctx, mobHome, f, 37, offset)
				if err != nil || n != want {
					t.Fatalf("%+v: %d figures (want %d), %v", f, n, want, err)
				}
				for _, m := range page {
					if byKey[m.Key()] != m || seen[m.Key()] {
						t.Fatalf("%+v: listed %+v", f, m)
					}
					seen[m.Key()] = true
				}
				if len(page) < 37 {
					break
				}
			}
			if int64(len(seen)) != want {
				t.Fatalf("%+v: pages held %d figures, want %d", f, len(seen), want)
			}
		}
		if _, _, err := db.ListMobility(ctx, mobHome, store.MobilityFilter{Partner: "nobody"}, 10, 0); partnerhub.ErrorCode(err) != partnerhub.EInvalid {
			t.Fatalf("unknown partner: %v", err)
		}
		if _, _, err := db.ListMobility(ctx, "nowhere", store.MobilityFilter{}, 10, 0); partnerhub.ErrorCode(err) != partnerhub.ENotFound {
			t.Fatalf("unknown home: %v", err)
		}
	})
}

func TestMobilityStatsRefusesBadQueries(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		db := e.OpenBuiltin(t)
		for _, tc := range []struct {
			q          partnerhub.StatsQuery
			field, key string
		}{
			{partnerhub.StatsQuery{GroupBy: []string{"year", "colour"}}, "group_by[1]", "one_of"},
			{partnerhub.StatsQuery{GroupBy: []string{"year", "year"}}, "group_by[1]", "duplicate"},
			{partnerhub.StatsQuery{Direction: "up"}, "direction", "one_of"},
			{partnerhub.StatsQuery{Category: "alumni"}, "category", "one_of"},
			{partnerhub.StatsQuery{Programme: "gap_year"}, "programme", "one_of"},
			{partnerhub.StatsQuery{FromYear: 1200}, "from_year", "out_of_range"},
			{partnerhub.StatsQuery{FromYear: 2022, ToYear: 2020}, "to_year", "before_start"},
			{partnerhub.StatsQuery{Home: mobHome, Partner: "nobody"}, "partner", "unknown_partner"},
			{partnerhub.StatsQuery{Unit: "nothing"}, "unit", "unknown_unit"},
		} {
			_, err := db.Stats(ctx, tc.q)
			var pe *partnerhub.Error
			if !errors.As(err, &pe) || pe.Code != partnerhub.EInvalid || pe.Fields[tc.field].Key != tc.key {
				t.Errorf("%+v: %v, want %s %s", tc.q, err, tc.field, tc.key)
			}
		}
		if _, err := db.Stats(ctx, partnerhub.StatsQuery{Home: "nowhere"}); partnerhub.ErrorCode(err) != partnerhub.ENotFound {
			t.Errorf("unknown home: %v", err)
		}
		rows, err := db.Stats(ctx, partnerhub.StatsQuery{Home: mobHome, GroupBy: []string{"year"}})
		if err != nil || rows == nil || len(rows) != 0 {
			t.Errorf("no figures: %v %v", rows, err)
		}
	})
}

// Figures, deleted ones and the rollups survive an export and an import.
func TestMobilityExportImport(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		src := e.OpenBuiltin(t)
		admin := mobUser(t, src, "admin@example.ac.jp", partnerhub.RoleAdmin)
		w := mobWorldOf(t, src)
		figs := w.figures(rand.New(rand.NewPCG(9, 10)), 500, 2019, 4)
		mobImport(t, src, admin, mobHome, figs)
		if err := src.DeleteMobility(ctx, admin, mobHome, figs[0]); err != nil {
			t.Fatal(err)
		}
		first := xferExport(t, src)
		doc := xferParse(t, first)
		for _, table := range []string{"mobility", "mobility_by_partner", "mobility_by_unit", "mobility_by_programme", "mobility_by_home"} {
			if len(doc.rows(table)) == 0 {
				t.Errorf("%s has no rows", table)
			}
		}
		dst := e.Open(t)
		if err := dst.Import(ctx, bytes.NewReader(first)); err != nil {
			t.Fatal(err)
		}
		if second := xferExport(t, dst); !bytes.Equal(first, second) {
			t.Fatalf("export → import → export differs at %s", xferDiff(first, second))
		}
		mobNoDrift(t, dst)
		// The imported database takes new figures and restores the deleted one.
		if err := dst.RestoreMobility(ctx, admin, mobHome, figs[0]); err != nil {
			t.Fatal(err)
		}
		mobImport(t, dst, admin, mobHome, w.figures(rand.New(rand.NewPCG(11, 12)), 50, 2030, 2))
		mobNoDrift(t, dst)

		// An export of schema 3, before the rollup by programme, imports
		// the same: the rollup is computed from the figures.
		old := xferParse(t, first)
		old["schema_version"] = 3
		for _, name := range store.OlderExportTables(3) {
			delete(old.tables(), name)
		}
		again := e.Open(t)
		if err := again.Import(ctx, bytes.NewReader(old.bytes(t))); err != nil {
			t.Fatal(err)
		}
		// The same but for rollup rows whose total is 0 (no row and 0 are
		// the same: the figures behind them were deleted).
		want, got := mobNonZero(t, withoutFunds(t, first)), mobNonZero(t, xferExport(t, again))
		if !bytes.Equal(want, got) {
			t.Fatalf("schema 3 export → import → export differs at %s", xferDiff(want, got))
		}

		// An export of schema 4, before transitions were audited, has no
		// verb or comment in its audit events: they import as empty.
		old4 := xferParse(t, first)
		old4["schema_version"] = 4
		for i := range old4.rows("audit_events") {
			delete(old4.row("audit_events", i), "verb")
			delete(old4.row("audit_events", i), "comment")
		}
		for _, name := range store.OlderExportTables(4) {
			delete(old4.tables(), name)
		}
		again4 := e.Open(t)
		if err := again4.Import(ctx, bytes.NewReader(old4.bytes(t))); err != nil {
			t.Fatal(err)
		}
		if want, got := withoutFunds(t, first), xferParse(t, xferExport(t, again4)).bytes(t); !bytes.Equal(want, got) {
			t.Fatalf("schema 4 export → import → export differs at %s", xferDiff(want, got))
		}
	})
}

// withoutFunds is an export without the built-in data's joint funds, which
// an export made before schema 16 cannot hold.
func withoutFunds(t *testing.T, export []byte) []byte {
	t.Helper()
	doc := xferParse(t, export)
	doc.tables()["funds"] = []any{}
	return doc.bytes(t)
}

// mobNonZero is an export without the rollup rows whose total is 0.
func mobNonZero(t *testing.T, export []byte) []byte {
	t.Helper()
	doc := xferParse(t, export)
	for _, table := range []string{"mobility_by_partner", "mobility_by_unit", "mobility_by_programme", "mobility_by_home"} {
		rows := slices.DeleteFunc(doc.rows(table), func(r any) bool { return fmt.Sprint(r.(map[string]any)["total"]) == "0" })
		doc.tables()[table] = rows
	}
	return doc.bytes(t)
}

// Rebuilding the rollups from the figures gives the rollups kept.
func TestMobilityRebuildRollups(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		db := e.OpenBuiltin(t)
		admin := mobUser(t, db, "admin@example.ac.jp", partnerhub.RoleAdmin)
		w := mobWorldOf(t, db)
		mobImport(t, db, admin, mobHome, w.figures(rand.New(rand.NewPCG(13, 14)), 800, 2019, 4))
		q := partnerhub.StatsQuery{GroupBy: []string{partnerhub.DimYear, partnerhub.DimUnit, partnerhub.DimCategory}}
		before, err := db.Stats(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		if err := db.ExecForTest(ctx, `UPDATE mobility_by_unit SET total = total + 1`); err != nil {
			t.Fatal(err)
		}
		if problems, err := db.CheckMobilityRollups(ctx); err != nil || len(problems) == 0 {
			t.Fatalf("drift not found: %v", err)
		}
		if err := db.RebuildMobilityRollups(ctx); err != nil {
			t.Fatal(err)
		}
		mobNoDrift(t, db)
		after, err := db.Stats(ctx, q)
		if err != nil || fmt.Sprint(before) != fmt.Sprint(after) {
			t.Fatalf("stats changed: %v", err)
		}
	})
}

// ---- benchmarks ------------------------------------------------------------

// benchFigures returns n figures with distinct keys over the built-in
// partners and units, in a shuffled order (the worst case for the index).
func benchFigures(b *testing.B, w *mobWorld, n int, seed uint64) []partnerhub.Mobility {
	b.Helper()
	var out []partnerhub.Mobility
	units := append([]string{""}, w.units...)
	for year := 2000; len(out) < n && year <= partnerhub.MaxAcademicYear; year++ {
		for _, p := range w.partners {
			for _, u := range units {
				for _, d := range partnerhub.Directions {
					for _, c := range partnerhub.Categories {
						for _, g := range partnerhub.MobilityProgrammes {
							out = append(out, partnerhub.Mobility{Partner: p.Slug, Unit: u, Year: year, Direction: d, Category: c, Programme: g, Count: len(out) % 17})
						}
					}
				}
			}
		}
	}
	out = out[:n]
	rng := rand.New(rand.NewPCG(seed, seed))
	rng.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

// BenchmarkImportMobility imports 100,000 figures into a database with the
// built-in data, on SQLite (and PostgreSQL when the tests have it).
func BenchmarkImportMobility(b *testing.B) {
	const n = 100_000
	for _, e := range storetest.Engines() {
		b.Run(e.Name, func(b *testing.B) {
			ctx := context.Background()
			var total time.Duration
			for b.Loop() {
				b.StopTimer()
				db := e.OpenBuiltin(b)
				admin := mobUser(b, db, "admin@example.ac.jp", partnerhub.RoleAdmin)
				figs := benchFigures(b, mobWorldOf(b, db), n, 1)
				runtime.GC()
				b.StartTimer()
				start := time.Now()
				res, err := db.ImportMobility(ctx, admin, mobHome, mobRows(figs), noFailures, nil)
				total += time.Since(start)
				if err != nil || res.Rows != n {
					b.Fatalf("%+v %v", res, err)
				}
				b.StopTimer()
				db.Close()
				b.StartTimer()
			}
			b.ReportMetric(float64(n)*float64(b.N)/total.Seconds(), "rows/s")
		})
	}
}

// BenchmarkStats answers the two common questions on 200,000 figures: one
// home by year × partner × direction, and the network by year × direction.
func BenchmarkStats(b *testing.B) {
	const n = 200_000
	for _, e := range storetest.Engines() {
		b.Run(e.Name, func(b *testing.B) {
			ctx := context.Background()
			db := e.OpenBuiltin(b)
			admin := mobUser(b, db, "admin@example.ac.jp", partnerhub.RoleAdmin)
			figs := benchFigures(b, mobWorldOf(b, db), n, 2)
			if _, err := db.ImportMobility(ctx, admin, mobHome, mobRows(figs), noFailures, nil); err != nil {
				b.Fatal(err)
			}
			for _, q := range []struct {
				name string
				q    partnerhub.StatsQuery
			}{
				{"home-year-partner-direction", partnerhub.StatsQuery{Home: mobHome, GroupBy: []string{partnerhub.DimYear, partnerhub.DimPartner, partnerhub.DimDirection}}},
				{"network-year-direction", partnerhub.StatsQuery{GroupBy: []string{partnerhub.DimYear, partnerhub.DimDirection}}},
				{"home-year-programme-raw", partnerhub.StatsQuery{Home: mobHome, GroupBy: []string{partnerhub.DimYear, partnerhub.DimProgramme}}},
			} {
				b.Run(q.name, func(b *testing.B) {
					for b.Loop() {
						rows, err := db.Stats(ctx, q.q)
						if err != nil || len(rows) == 0 {
							b.Fatal(err)
						}
					}
				})
			}
		})
	}
}

// Migration 4 adds the rollup by programme and fills it from the figures
// stored before it.
func TestMigrationFillsTheProgrammeRollup(t *testing.T) {
	storetest.Run(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		db, err := store.Open(ctx, e.URL(t))
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if err := db.MigrateToForTest(ctx, 3); err != nil {
			t.Fatal(err)
		}
		c, err := dataset.Builtin()
		if err != nil {
			t.Fatal(err)
		}
		// Agreements have columns version 3 did not, and funds came with
		// version 16; they are not the point here.
		c.Agreements, c.Funds = nil, nil
		if err := db.ImportCatalog(ctx, c); err != nil {
			t.Fatal(err)
		}
		// Figures as version 3 kept them (its rollups are not the point here).
		for _, q := range []string{
			`INSERT INTO mobility (home_id, partner_id, year, direction, category, programme, count, created_at)
			SELECT home_id, id, 2020, 'outbound', 'faculty', 'exchange', 7, CURRENT_TIMESTAMP FROM partners`,
			`INSERT INTO mobility (home_id, partner_id, year, direction, category, programme, count, created_at)
			SELECT home_id, id, 2021, 'inbound', 'graduate', 'visit', 5, CURRENT_TIMESTAMP FROM partners`,
			`INSERT INTO mobility (home_id, partner_id, year, direction, category, programme, count, created_at, deleted_at)
			SELECT home_id, id, 2022, 'inbound', 'graduate', 'visit', 100, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP FROM partners`,
		} {
			if err := db.ExecForTest(ctx, q); err != nil {
				t.Fatal(err)
			}
		}
		if err := db.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		problems, err := db.CheckMobilityRollups(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range problems {
			if strings.HasPrefix(p, "mobility_by_programme") {
				t.Error(p)
			}
		}
		rows, err := db.Stats(ctx, partnerhub.StatsQuery{Home: mobHome, GroupBy: []string{partnerhub.DimProgramme}})
		if err != nil {
			t.Fatal(err)
		}
		n := len(c.Partners)
		if got, want := fmt.Sprint(rows), fmt.Sprint([]partnerhub.StatsRow{
			{Keys: []string{"exchange"}, Total: int64(7 * n)}, {Keys: []string{"visit"}, Total: int64(5 * n)}}); got != want {
			t.Fatalf("by programme %s, want %s", got, want)
		}
	})
}
