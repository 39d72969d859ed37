package store

// Onboarding a member from a workbook (transfer.Onboarding): its phases,
// units, partners (with their institutions in the shared registry) and
// teams, written in one transaction through the Editor's own path, so that
// each record is validated and audited as if it had been entered by hand.
// Any problem rolls everything back; a second import of the same workbook
// finds every record as the first left it and changes nothing.

import (
	"context"
	"database/sql"
	"errors"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"partnerhub"
	"partnerhub/transfer"
)

// entityPhase names a phase in the audit log: phases have no edit form of
// their own, but a workbook that writes one says so.
const entityPhase partnerhub.Entity = "phase"

// OnboardResult counts what an import did, by sheet: records created,
// updated and found as they were; and the institutions it added to the
// registry or found there.
type OnboardResult struct {
	Created, Updated, Unchanged map[string]int
	InstitutionsCreated         []string
	InstitutionsMatched         []string
}

// Changed reports whether the import wrote anything.
func (r *OnboardResult) Changed() bool {
	for _, m := range []map[string]int{r.Created, r.Updated} {
		for _, n := range m {
			if n > 0 {
				return true
			}
		}
	}
	return len(r.InstitutionsCreated) > 0
}

// Onboard writes a workbook into home, all or nothing. by is a network
// administrator, or nil for the command line; either acts as the member's
// administrator for the import. The problems are every row the store
// refused, by sheet, row and column; with any, nothing is written and err
// is nil. An institution the registry holds (by ROR, else by slug) is used
// as it is: an import never renames one, which other members may use.
func (db *DB) Onboard(ctx context.Context, by *partnerhub.User, home string, o *transfer.Onboarding) (*OnboardResult, []transfer.SheetError, error) {
	actor := &partnerhub.User{Email: "system", Role: partnerhub.RoleAdmin, Home: home}
	if by != nil {
		if err := partnerhub.Authorize(by, partnerhub.ActionUpdate, partnerhub.EntityMember, partnerhub.Facts{}); err != nil {
			return nil, nil, err
		}
		// The network's administrator sets the member up as its office
		// would; the audit log names them.
		actor = &partnerhub.User{ID: by.ID, Email: by.Email, Name: by.Name, Role: partnerhub.RoleAdmin, Home: home, NetworkAdmin: true}
	}
	res := &OnboardResult{Created: map[string]int{}, Updated: map[string]int{}, Unchanged: map[string]int{}}
	var problems []transfer.SheetError
	errRefused := errors.New("onboarding refused")
	err := db.tx(ctx, func(tx *sql.Tx) error {
		e := &editTx{db: db, tx: tx, ctx: ctx, now: time.Now().UTC()}
		if err := e.home(home); err != nil {
			return err
		}
		w := &onboardTx{e: e, actor: actor, home: home, o: o, res: res}
		for _, step := range []func() error{w.phases, w.units, w.partners, w.teams} {
			if err := step(); err != nil {
				return err
			}
		}
		problems = w.problems
		if len(problems) > 0 {
			return errRefused
		}
		return nil
	})
	if errors.Is(err, errRefused) {
		order := func(s string) int { return slices.Index(transfer.OnboardSheets, s) }
		slices.SortStableFunc(problems, func(a, b transfer.SheetError) int {
			if c := order(a.Sheet) - order(b.Sheet); c != 0 {
				return c
			}
			return a.Row - b.Row
		})
		return nil, problems, nil
	}
	if err != nil {
		return nil, nil, wrap("onboard", err)
	}
	return res, nil, nil
}

type onboardTx struct {
	e        *editTx
	actor    *partnerhub.User
	home     string
	o        *transfer.Onboarding
	res      *OnboardResult
	problems []transfer.SheetError
}

// refused records an error of the Editor as the row's problems, one per
// field, in the column the field comes from; anything but a refusal (a
// database failure) is returned.
func (w *onboardTx) refused(sheet string, row int, err error) error {
	var pe *partnerhub.Error
	if !errors.As(err, &pe) || pe.Code == partnerhub.EInternal || pe.Code == partnerhub.EUnavailable {
		return err
	}
	if len(pe.Fields) == 0 {
		w.problems = append(w.problems, transfer.SheetError{Sheet: sheet, Row: row, Key: pe.Message, Args: pe.Args})
		return nil
	}
	for _, f := range slices.Sorted(maps.Keys(pe.Fields)) {
		fe := pe.Fields[f]
		w.problems = append(w.problems, transfer.SheetError{Sheet: sheet, Row: row, Column: w.column(sheet, f), Key: "field." + fe.Key, Args: fe.Args})
	}
	return nil
}

// column is the header of the column a record's field comes from.
func (w *onboardTx) column(sheet, field string) string {
	f := field
	if i := strings.IndexByte(f, '['); i >= 0 {
		f = f[:i]
	}
	f = strings.ReplaceAll(f, ".", "_")
	switch {
	case sheet == transfer.OnboardPartners && (f == "members" || strings.HasPrefix(f, "institution")):
		f = "institution"
	case sheet == transfer.OnboardPhases && strings.HasPrefix(f, "partner_count"):
		f = "partners"
	case sheet == transfer.OnboardPhases && strings.HasPrefix(f, "aims"):
		f = "aims_ja"
	case sheet == transfer.OnboardTeams && f == "units":
		f = "unit"
	case f == "name" || f == "abbr" || f == "summary" || f == "city":
		f += "_en"
	}
	for _, c := range transfer.OnboardColumns[sheet] {
		if c.Key == f {
			return w.o.Column(sheet, f)
		}
	}
	return ""
}

func (w *onboardTx) problem(sheet string, row int, field, key string, args ...any) {
	w.problems = append(w.problems, transfer.SheetError{Sheet: sheet, Row: row, Column: w.o.Column(sheet, field), Key: key, Args: args})
}

// put creates rec, or updates the record of its key when it differs; a
// record in the bin is the row's problem (restore it first). same reports
// whether the stored record is rec's, and readies rec to update it (its
// version, what a workbook does not set).
func (w *onboardTx) put(sheet string, row int, rec partnerhub.Record, same func(cur partnerhub.Record) bool) error {
	k := kinds[rec.Entity()]
	cur, deleted, err := k.record(w.e, rec.Key())
	if err != nil {
		return err
	}
	switch {
	case cur != nil && deleted:
		w.problems = append(w.problems, transfer.SheetError{Sheet: sheet, Row: row, Key: "onboard.in_bin", Args: []any{rec.Key()}})
		return nil
	case cur != nil && same(cur):
		w.res.Unchanged[sheet]++
		return nil
	case cur != nil:
		if _, err := k.apply(w.e, partnerhub.Update(w.actor, w.home, rec)); err != nil {
			return w.refused(sheet, row, err)
		}
		w.res.Updated[sheet]++
		return nil
	}
	if _, err := k.apply(w.e, partnerhub.Create(w.actor, w.home, rec)); err != nil {
		return w.refused(sheet, row, err)
	}
	w.res.Created[sheet]++
	return nil
}

// phases writes the phases: they have no Editor's kind, so they are
// validated, written and audited here.
func (w *onboardTx) phases() error {
	e := w.e
	for _, r := range w.o.Phases {
		ph := r.Record
		if err := ph.Validate(); err != nil {
			if err := w.refused(transfer.OnboardPhases, r.Row, err); err != nil {
				return err
			}
			continue
		}
		cur, err := w.loadPhase(ph.Number)
		if err != nil {
			return err
		}
		if cur != nil && reflect.DeepEqual(cur, &ph) {
			w.res.Unchanged[transfer.OnboardPhases]++
			continue
		}
		action := partnerhub.ActionCreate
		if cur == nil {
			if _, err := e.exec(`INSERT INTO phases (home_id, number, start_year, end_year, total_partners) VALUES (?, ?, ?, ?, ?)`,
				e.homeID, ph.Number, ph.StartYear, ph.EndYear, ph.Declared.Total); err != nil {
				return err
			}
			w.res.Created[transfer.OnboardPhases]++
		} else {
			action = partnerhub.ActionUpdate
			if _, err := e.exec(`UPDATE phases SET start_year = ?, end_year = ?, total_partners = ? WHERE home_id = ? AND number = ?`,
				ph.StartYear, ph.EndYear, ph.Declared.Total, e.homeID, ph.Number); err != nil {
				return err
			}
			w.res.Updated[transfer.OnboardPhases]++
		}
		if _, err := e.exec(`DELETE FROM phase_aims WHERE home_id = ? AND phase = ?`, e.homeID, ph.Number); err != nil {
			return err
		}
		for i, a := range ph.Aims {
			if _, err := e.exec(`INSERT INTO phase_aims (home_id, phase, position, text_ja, text_en) VALUES (?, ?, ?, ?, ?)`,
				e.homeID, ph.Number, i, a.Ja, a.En); err != nil {
				return err
			}
		}
		var before any
		if cur != nil {
			before = cur
		}
		c := partnerhub.Change{Actor: w.actor, Home: w.home, Entity: entityPhase, Action: action}
		if err := e.auditIn(e.homeID, c, strconv.Itoa(ph.Number), 1, before, &ph); err != nil {
			return err
		}
		e.phase = max(e.phase, ph.Number)
	}
	return nil
}

// loadPhase is a phase as stored (its split of tiers aside, which a
// workbook does not set), or nil.
func (w *onboardTx) loadPhase(n int) (*partnerhub.Phase, error) {
	e := w.e
	ph := &partnerhub.Phase{Number: n}
	err := e.row(`SELECT start_year, end_year, total_partners FROM phases WHERE home_id = ? AND number = ?`, e.homeID, n).
		Scan(&ph.StartYear, &ph.EndYear, &ph.Declared.Total)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	rows, err := e.tx.QueryContext(e.ctx, e.db.q(`SELECT text_ja, text_en FROM phase_aims WHERE home_id = ? AND phase = ? ORDER BY position`), e.homeID, n)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var t partnerhub.Text
		if err := rows.Scan(&t.Ja, &t.En); err != nil {
			return nil, err
		}
		ph.Aims = append(ph.Aims, t)
	}
	return ph, rows.Err()
}

func (w *onboardTx) units() error {
	for _, r := range w.o.Units {
		u := r.Record
		same := func(cur partnerhub.Record) bool {
			c := *cur.(*partnerhub.Unit)
			u.Version = c.Version
			return c == u
		}
		if err := w.put(transfer.OnboardUnits, r.Row, &u, same); err != nil {
			return err
		}
	}
	return nil
}

// partners writes the partners, and first the institution of each partner
// of one that the registry does not hold yet.
func (w *onboardTx) partners() error {
	// Every row's institution first, so that a group may name one that a
	// later row brings to the registry.
	skip := make([]bool, len(w.o.Partners))
	members := make([][]string, len(w.o.Partners))
	for i, r := range w.o.Partners {
		members[i] = r.Partner.Members
		if r.Partner.Kind == partnerhub.PartnerInstitution && len(r.Partner.Members) == 1 {
			slug, err := w.institution(r)
			if err != nil {
				return err
			}
			skip[i] = slug == "" // its problem is recorded
			members[i] = []string{slug}
		}
	}
	for i, r := range w.o.Partners {
		if skip[i] {
			continue
		}
		p := r.Partner
		p.Members = members[i]
		rec := normPartner(p)
		same := func(cur partnerhub.Record) bool {
			c := *cur.(*partnerhub.Partner)
			// The note is the office's: a workbook does not set it, and
			// an update keeps it.
			rec.Note, rec.Version = c.Note, c.Version
			return reflect.DeepEqual(c, rec)
		}
		if err := w.put(transfer.OnboardPartners, r.Row, &rec, same); err != nil {
			return err
		}
	}
	return nil
}

// normPartner is p as loadPartner reads it back (empty lists, not nil).
func normPartner(p partnerhub.Partner) partnerhub.Partner {
	if p.Members == nil {
		p.Members = []string{}
	}
	return p
}

// institution finds the institution of a partner's row in the registry
// (by its ROR, else its slug) or creates it, and returns its slug; "" when
// the row cannot have one (its problem is recorded).
func (w *onboardTx) institution(r transfer.OnboardPartner) (string, error) {
	e := w.e
	in := r.Institution
	var slug string
	if in.ROR != "" {
		err := e.row(`SELECT slug FROM institutions WHERE ror = ? AND deleted_at IS NULL ORDER BY id LIMIT 1`, in.ROR).Scan(&slug)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return "", err
		}
	}
	if slug == "" {
		var deleted sql.NullTime
		err := e.row(`SELECT slug, deleted_at FROM institutions WHERE slug = ?`, in.Slug).Scan(&slug, &deleted)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			slug = ""
		case err != nil:
			return "", err
		case deleted.Valid:
			w.problem(transfer.OnboardPartners, r.Row, "institution", "onboard.institution_in_bin", in.Slug)
			return "", nil
		}
	}
	if slug != "" {
		if !slices.Contains(w.res.InstitutionsMatched, slug) && !slices.Contains(w.res.InstitutionsCreated, slug) {
			w.res.InstitutionsMatched = append(w.res.InstitutionsMatched, slug)
		}
		return slug, nil
	}
	if in.Country == "" {
		w.problem(transfer.OnboardPartners, r.Row, "country", "onboard.country_for_new", in.Slug)
		return "", nil
	}
	if _, err := kinds[partnerhub.EntityInstitution].apply(e, partnerhub.Create(w.actor, w.home, &in)); err != nil {
		return "", w.refused(transfer.OnboardPartners, r.Row, err)
	}
	w.res.InstitutionsCreated = append(w.res.InstitutionsCreated, in.Slug)
	return in.Slug, nil
}

// teams writes each partner's team of each phase: the units of its rows
// in their order, its lead and its tier.
func (w *onboardTx) teams() error {
	type key struct {
		partner string
		phase   int
	}
	var order []key
	docs := map[key]*partnerhub.TeamDoc{}
	rows := map[key][]int{}
	for _, t := range w.o.Teams {
		k := key{t.Partner, t.Phase}
		d, ok := docs[k]
		if !ok {
			d = &partnerhub.TeamDoc{Partner: t.Partner, Phase: t.Phase, Units: []string{}}
			docs[k] = d
			order = append(order, k)
		}
		d.Units = append(d.Units, t.Unit)
		rows[k] = append(rows[k], t.Row)
		if t.Lead {
			d.Lead = t.Unit
		}
		if t.Tier != "" {
			d.Tier = t.Tier
		}
	}
	for _, k := range order {
		d := docs[k]
		same := func(cur partnerhub.Record) bool {
			c := *cur.(*partnerhub.TeamDoc)
			return c.Tier == d.Tier && c.Lead == d.Lead && slices.Equal(c.Units, d.Units)
		}
		// A team is "created" for its phase: that updates its partner.
		kd := kinds[partnerhub.EntityTeam]
		cur, _, err := kd.record(w.e, d.Key())
		if err != nil {
			return err
		}
		if cur != nil && same(cur) {
			w.res.Unchanged[transfer.OnboardTeams]++
			continue
		}
		if _, err := kd.apply(w.e, partnerhub.Create(w.actor, w.home, d)); err != nil {
			if err := w.teamRefused(rows[k], err); err != nil {
				return err
			}
			continue
		}
		if cur != nil && len(cur.(*partnerhub.TeamDoc).Units) > 0 {
			w.res.Updated[transfer.OnboardTeams]++
		} else {
			w.res.Created[transfer.OnboardTeams]++
		}
	}
	return nil
}

// teamRefused records a team's refusal on the row of the unit at fault,
// or on its first row.
func (w *onboardTx) teamRefused(rows []int, err error) error {
	var pe *partnerhub.Error
	if !errors.As(err, &pe) || pe.Code == partnerhub.EInternal || pe.Code == partnerhub.EUnavailable || len(pe.Fields) == 0 {
		return w.refused(transfer.OnboardTeams, rows[0], err)
	}
	for _, f := range slices.Sorted(maps.Keys(pe.Fields)) {
		row := rows[0]
		if i, ok := strings.CutPrefix(f, "units["); ok {
			if n, err := strconv.Atoi(strings.TrimSuffix(i, "]")); err == nil && n < len(rows) {
				row = rows[n]
			}
		}
		fe := pe.Fields[f]
		w.problems = append(w.problems, transfer.SheetError{Sheet: transfer.OnboardTeams, Row: row, Column: w.column(transfer.OnboardTeams, f), Key: "field." + fe.Key, Args: fe.Args})
	}
	return nil
}
