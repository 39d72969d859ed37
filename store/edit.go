package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"partnerhub"
)

// Apply makes one change in one transaction: it loads the record as it is,
// asks partnerhub.Authorize, validates, checks the version (a stale one is a
// conflict that carries the current record), writes, and appends the audit
// event. It returns the record's new version.
func (db *DB) Apply(ctx context.Context, c partnerhub.Change) (int, error) {
	h, ok := entities[c.Entity]
	if !ok {
		return 0, partnerhub.Errorf(partnerhub.ENotFound, "error.not_found")
	}
	var version int
	err := db.tx(ctx, func(tx *sql.Tx) error {
		e := &editTx{db: db, tx: tx, ctx: ctx, now: time.Now().UTC()}
		if err := e.home(c.Home); err != nil {
			return err
		}
		if err := partnerhub.AuthorizeHome(c.Actor, c.Home); err != nil {
			return err
		}
		var err error
		version, err = e.apply(h, c)
		return err
	})
	return version, wrap("apply "+string(c.Action)+" "+c.Entity, err)
}

// editTx is a write transaction of one home institution.
type editTx struct {
	db     *DB
	tx     *sql.Tx
	ctx    context.Context
	now    time.Time
	homeID int64
	phase  int // current phase
}

func (e *editTx) home(slug string) error {
	err := e.tx.QueryRowContext(e.ctx, e.db.q(`SELECT h.id, COALESCE((SELECT max(number) FROM phases WHERE home_id = h.id), 0)
		FROM home_institutions h WHERE h.slug = ?`), slug).Scan(&e.homeID, &e.phase)
	if err == sql.ErrNoRows {
		return notFound("error.home_not_found", slug)
	}
	return err
}

func (e *editTx) exec(q string, args ...any) (sql.Result, error) {
	return e.tx.ExecContext(e.ctx, e.db.q(q), args...)
}

func (e *editTx) row(q string, args ...any) *sql.Row {
	return e.tx.QueryRowContext(e.ctx, e.db.q(q), args...)
}

func (e *editTx) strings(q string, args ...any) ([]string, error) {
	rows, err := e.tx.QueryContext(e.ctx, e.db.q(q), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// id looks up the id of a live record by key; 0 when there is none.
func (e *editTx) id(table, keyCol, key string, homeScoped bool) (int64, error) {
	q := `SELECT id FROM ` + table + ` WHERE ` + keyCol + ` = ? AND deleted_at IS NULL`
	args := []any{key}
	if homeScoped {
		q += ` AND home_id = ?`
		args = append(args, e.homeID)
	}
	var id int64
	err := e.row(q, args...).Scan(&id)
	if err == sql.ErrNoRows {
		return 0, nil
	}
	return id, err
}

// team returns the unit codes of a partner's team in the current phase.
func (e *editTx) team(partner string) ([]string, error) {
	return e.strings(`SELECT u.code FROM team_memberships t JOIN partners p ON p.id = t.partner_id JOIN units u ON u.id = t.unit_id
		WHERE p.home_id = ? AND p.slug = ? AND t.phase = ? AND u.deleted_at IS NULL`, e.homeID, partner, e.phase)
}

// teams reads the teams of partners before partnerhub.Authorize asks for
// them: its team function cannot fail, and a team that could not be read
// must be a database error, not an empty team that makes the actor
// forbidden.
func (e *editTx) teams(partners ...string) (func(partner string) []string, error) {
	byPartner := make(map[string][]string, len(partners))
	for _, p := range partners {
		codes, err := e.team(p)
		if err != nil {
			return nil, fmt.Errorf("team of %s: %w", p, err)
		}
		byPartner[p] = codes
	}
	return func(p string) []string { return byPartner[p] }, nil
}

// state is a record as stored: the record, its version, and whether it is
// in the bin.
type state struct {
	rec     any
	version int
	deleted bool
}

// entity is how one kind of record is stored.
type entity struct {
	table  string // "" when the record has no row of its own (a team)
	keyCol string
	home   bool // the table has a home_id
	// load returns the record with key, or nil when there is none.
	load func(e *editTx, key string) (*state, error)
	// key is the key of a record.
	key func(rec any) string
	// partners are the partners a record concerns, for authorization.
	partners func(rec any) []string
	// save writes a record (create or update) and returns field errors for
	// references that do not resolve.
	save func(e *editTx, rec any, create bool, version int) (partnerhub.FieldErrors, error)
}

var entities = map[string]*entity{}

func (e *editTx) apply(h *entity, c partnerhub.Change) (int, error) {
	key := c.Key
	if c.Action == partnerhub.ActionCreate {
		if c.Record == nil {
			return 0, partnerhub.Errorf(partnerhub.EInvalid, "error.invalid")
		}
		key = h.key(c.Record)
	}
	cur, err := h.load(e, key)
	if err != nil {
		return 0, err
	}
	var before any
	if cur != nil {
		before = cur.rec
	}
	partners := []string{}
	if before != nil {
		partners = append(partners, h.partners(before)...)
	}
	if c.Record != nil {
		partners = append(partners, h.partners(c.Record)...)
	}
	slices.Sort(partners)
	partners = slices.Compact(partners)
	team, err := e.teams(partners...)
	if err != nil {
		return 0, err
	}
	if err := partnerhub.Authorize(c.Actor, c.Action, c.Entity, partners, team); err != nil {
		return 0, err
	}

	version := 0
	switch c.Action {
	case partnerhub.ActionCreate:
		if cur != nil && c.Entity != partnerhub.EntityTeam {
			key := "error.exists"
			if cur.deleted {
				key = "error.exists_in_bin"
			}
			return 0, &partnerhub.Error{Code: partnerhub.EConflict, Message: key, Args: []any{h.key(c.Record)}, Current: cur.rec}
		}
		if err := validate(c.Record); err != nil {
			return 0, err
		}
		version = 1
		if cur != nil { // a team "created" for a phase updates its partner
			version = cur.version + 1
		}
		fields, err := h.save(e, c.Record, true, version)
		if err != nil {
			return 0, err
		}
		if err := fields.Err(); err != nil {
			return 0, err
		}
	case partnerhub.ActionUpdate:
		if cur == nil || cur.deleted {
			return 0, partnerhub.Errorf(partnerhub.ENotFound, "error.record_not_found", key)
		}
		if cur.version != c.Version {
			return 0, &partnerhub.Error{Code: partnerhub.EConflict, Message: "error.stale", Args: []any{c.Version, cur.version}, Current: cur.rec}
		}
		if h.key(c.Record) != key {
			return 0, (partnerhub.FieldErrors{keyField(c.Entity): {Key: "cannot_change"}}).Err()
		}
		if err := validate(c.Record); err != nil {
			return 0, err
		}
		version = cur.version + 1
		fields, err := h.save(e, c.Record, false, version)
		if err != nil {
			return 0, err
		}
		if err := fields.Err(); err != nil {
			return 0, err
		}
	case partnerhub.ActionDelete, partnerhub.ActionRestore:
		if h.table == "" {
			return 0, partnerhub.Errorf(partnerhub.EInvalid, "error.not_deletable")
		}
		if cur == nil || cur.deleted == (c.Action == partnerhub.ActionDelete) {
			return 0, partnerhub.Errorf(partnerhub.ENotFound, "error.record_not_found", key)
		}
		if c.Action == partnerhub.ActionDelete && cur.version != c.Version {
			return 0, &partnerhub.Error{Code: partnerhub.EConflict, Message: "error.stale", Args: []any{c.Version, cur.version}, Current: cur.rec}
		}
		if c.Action == partnerhub.ActionDelete {
			if err := e.checkUnused(c.Entity, key); err != nil {
				return 0, err
			}
		}
		if c.Action == partnerhub.ActionRestore && c.Entity == partnerhub.EntityUnit {
			// A unit's mark must stay unique among live units.
			var clash string
			u := cur.rec.(*partnerhub.Unit)
			err := e.row(`SELECT code FROM units WHERE home_id = ? AND abbr_ja = ? AND code <> ? AND deleted_at IS NULL`, e.homeID, u.Abbr.Ja, u.Code).Scan(&clash)
			if err == nil {
				return 0, partnerhub.Errorf(partnerhub.EConflict, "error.restore_mark_taken", u.Abbr.Ja, clash)
			} else if err != sql.ErrNoRows {
				return 0, err
			}
		}
		version = cur.version + 1
		var deletedAt any
		if c.Action == partnerhub.ActionDelete {
			deletedAt = e.now
		}
		q := `UPDATE ` + h.table + ` SET deleted_at = ?, version = ? WHERE ` + h.keyCol + ` = ? AND version = ?`
		args := []any{deletedAt, version, key, cur.version}
		if h.home {
			q += ` AND home_id = ?`
			args = append(args, e.homeID)
		}
		if err := e.mustChangeOne(q, args...); err != nil {
			return 0, err
		}
	default:
		return 0, partnerhub.Errorf(partnerhub.EInvalid, "error.invalid")
	}

	after, err := h.load(e, key)
	if err != nil {
		return 0, err
	}
	var afterRec any
	if after != nil && !after.deleted {
		afterRec = after.rec
	}
	var beforeRec any
	if cur != nil && !cur.deleted {
		beforeRec = cur.rec
	}
	if err := e.audit(c, key, version, beforeRec, afterRec); err != nil {
		return 0, err
	}
	return version, nil
}

func validate(rec any) error {
	if v, ok := rec.(interface{ Validate() error }); ok {
		return v.Validate()
	}
	return nil
}

func keyField(entity string) string {
	if entity == partnerhub.EntityUnit {
		return "code"
	}
	return "slug"
}

// mustChangeOne runs an update that must change exactly one row; none means
// a concurrent writer got there first.
func (e *editTx) mustChangeOne(q string, args ...any) error {
	res, err := e.exec(q, args...)
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n != 1 {
		return partnerhub.Errorf(partnerhub.EConflict, "error.stale_concurrent")
	}
	return nil
}

// checkUnused refuses to delete what live records still need.
func (e *editTx) checkUnused(entity, key string) error {
	var n int
	var err error
	switch entity {
	case partnerhub.EntityInstitution:
		err = e.row(`SELECT count(*) FROM partner_members m JOIN partners p ON p.id = m.partner_id JOIN institutions i ON i.id = m.institution_id
			WHERE i.slug = ? AND p.deleted_at IS NULL`, key).Scan(&n)
		if err == nil && n > 0 {
			return partnerhub.Errorf(partnerhub.EConflict, "error.institution_in_use", key, n)
		}
	case partnerhub.EntityUnit:
		err = e.row(`SELECT count(*) FROM user_units uu JOIN units u ON u.id = uu.unit_id JOIN users us ON us.id = uu.user_id
			WHERE u.home_id = ? AND u.code = ? AND NOT us.disabled`, e.homeID, key).Scan(&n)
		if err == nil && n > 0 {
			return partnerhub.Errorf(partnerhub.EConflict, "error.unit_in_use", key, n)
		}
	}
	return err
}

func (e *editTx) audit(c partnerhub.Change, key string, version int, before, after any) error {
	enc := func(v any) (any, error) {
		if v == nil {
			return nil, nil
		}
		b, err := json.Marshal(v)
		return string(b), err
	}
	b, err := enc(before)
	if err != nil {
		return err
	}
	a, err := enc(after)
	if err != nil {
		return err
	}
	var userID any
	actor := "system"
	if c.Actor != nil {
		actor = c.Actor.Email
		if c.Actor.ID != 0 { // the command line acts as an administrator with no account
			userID = c.Actor.ID
		}
	}
	_, err = e.exec(`INSERT INTO audit_events (home_id, at, user_id, actor, action, entity, entity_key, version, before_json, after_json)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, e.homeID, e.now, userID, actor, c.Action, c.Entity, key, version, b, a)
	return err
}

// resolve turns keys into ids of live records, adding a field error for
// each that does not resolve.
func (e *editTx) resolve(errs partnerhub.FieldErrors, field, table, keyCol string, homeScoped bool, keys []string, fieldKey string) ([]int64, error) {
	ids := make([]int64, 0, len(keys))
	for i, k := range keys {
		id, err := e.id(table, keyCol, k, homeScoped)
		if err != nil {
			return nil, err
		}
		if id == 0 {
			errs.Add(field+"["+strconv.Itoa(i)+"]", fieldKey, k)
			continue
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// replaceLinks rewrites the rows of a link table that belong to owner.
func (e *editTx) replaceLinks(table, ownerCol string, owner int64, otherCol string, ids []int64) error {
	if _, err := e.exec(`DELETE FROM `+table+` WHERE `+ownerCol+` = ?`, owner); err != nil {
		return err
	}
	for i, id := range ids {
		if _, err := e.exec(`INSERT INTO `+table+` (`+ownerCol+`, `+otherCol+`, position) VALUES (?, ?, ?)`, owner, id, i); err != nil {
			return err
		}
	}
	return nil
}

// upsert inserts a row or updates it at the expected version.
func (e *editTx) upsert(create bool, table, keyCol, key string, homeScoped bool, cols []string, vals []any, version int) (int64, error) {
	if create {
		names := append([]string{}, cols...)
		args := append([]any{}, vals...)
		names = append(names, "version")
		args = append(args, version)
		if homeScoped {
			names = append(names, "home_id")
			args = append(args, e.homeID)
		}
		var id int64
		q := `INSERT INTO ` + table + ` (` + strings.Join(names, ", ") + `) VALUES (` + strings.TrimSuffix(strings.Repeat("?, ", len(names)), ", ") + `) RETURNING id`
		err := e.row(q, args...).Scan(&id)
		return id, err
	}
	sets := make([]string, len(cols))
	for i, c := range cols {
		sets[i] = c + " = ?"
	}
	args := append(append([]any{}, vals...), version, key, version-1)
	q := `UPDATE ` + table + ` SET ` + strings.Join(sets, ", ") + `, version = ? WHERE ` + keyCol + ` = ? AND version = ? AND deleted_at IS NULL`
	if homeScoped {
		q += ` AND home_id = ?`
		args = append(args, e.homeID)
	}
	if err := e.mustChangeOne(q, args...); err != nil {
		return 0, err
	}
	var id int64
	q = `SELECT id FROM ` + table + ` WHERE ` + keyCol + ` = ?`
	args = []any{key}
	if homeScoped {
		q += ` AND home_id = ?`
		args = append(args, e.homeID)
	}
	err := e.row(q, args...).Scan(&id)
	return id, err
}

func init() {
	entities[partnerhub.EntityInstitution] = &entity{
		table: "institutions", keyCol: "slug",
		key:      func(r any) string { return r.(*partnerhub.Institution).Slug },
		partners: func(any) []string { return nil },
		load: func(e *editTx, key string) (*state, error) {
			var in partnerhub.Institution
			var deleted sql.NullTime
			err := e.row(`SELECT slug, name_ja, name_en, acronym, country, city_ja, city_en, lat, lng, website, ror, established, version, deleted_at
				FROM institutions WHERE slug = ?`, key).Scan(&in.Slug, &in.Name.Ja, &in.Name.En, &in.Acronym, &in.Country, &in.City.Ja, &in.City.En,
				&in.Lat, &in.Lng, &in.Website, &in.ROR, &in.Established, &in.Version, &deleted)
			if err == sql.ErrNoRows {
				return nil, nil
			}
			return &state{&in, in.Version, deleted.Valid}, err
		},
		save: func(e *editTx, r any, create bool, version int) (partnerhub.FieldErrors, error) {
			in := r.(*partnerhub.Institution)
			_, err := e.upsert(create, "institutions", "slug", in.Slug, false,
				[]string{"slug", "name_ja", "name_en", "acronym", "country", "city_ja", "city_en", "lat", "lng", "website", "ror", "established"},
				[]any{in.Slug, in.Name.Ja, in.Name.En, in.Acronym, in.Country, in.City.Ja, in.City.En, in.Lat, in.Lng, in.Website, in.ROR, in.Established}, version)
			return nil, err
		},
	}
	entities[partnerhub.EntityUnit] = &entity{
		table: "units", keyCol: "code", home: true,
		key:      func(r any) string { return r.(*partnerhub.Unit).Code },
		partners: func(any) []string { return nil },
		load: func(e *editTx, key string) (*state, error) {
			var u partnerhub.Unit
			var deleted sql.NullTime
			err := e.row(`SELECT code, name_ja, name_en, abbr_ja, abbr_en, kind, version, deleted_at FROM units WHERE home_id = ? AND code = ?`, e.homeID, key).
				Scan(&u.Code, &u.Name.Ja, &u.Name.En, &u.Abbr.Ja, &u.Abbr.En, &u.Kind, &u.Version, &deleted)
			if err == sql.ErrNoRows {
				return nil, nil
			}
			return &state{&u, u.Version, deleted.Valid}, err
		},
		save: func(e *editTx, r any, create bool, version int) (partnerhub.FieldErrors, error) {
			u := r.(*partnerhub.Unit)
			errs := partnerhub.FieldErrors{}
			var clash string
			err := e.row(`SELECT code FROM units WHERE home_id = ? AND abbr_ja = ? AND code <> ? AND deleted_at IS NULL`, e.homeID, u.Abbr.Ja, u.Code).Scan(&clash)
			if err == nil {
				errs.Add("abbr.ja", "duplicate_mark", u.Abbr.Ja, clash)
				return errs, nil
			} else if err != sql.ErrNoRows {
				return nil, err
			}
			cols := []string{"code", "name_ja", "name_en", "abbr_ja", "abbr_en", "kind"}
			vals := []any{u.Code, u.Name.Ja, u.Name.En, u.Abbr.Ja, u.Abbr.En, u.Kind}
			if create {
				var pos int
				if err := e.row(`SELECT COALESCE(max(position), -1) + 1 FROM units WHERE home_id = ?`, e.homeID).Scan(&pos); err != nil {
					return nil, err
				}
				cols, vals = append(cols, "position"), append(vals, pos)
			}
			_, err = e.upsert(create, "units", "code", u.Code, true, cols, vals, version)
			return errs, err
		},
	}
	entities[partnerhub.EntityPartner] = &entity{
		table: "partners", keyCol: "slug", home: true,
		key:      func(r any) string { return r.(*partnerhub.Partner).Slug },
		partners: func(r any) []string { return []string{r.(*partnerhub.Partner).Slug} },
		load: func(e *editTx, key string) (*state, error) {
			var p partnerhub.Partner
			var deleted sql.NullTime
			var id int64
			err := e.row(`SELECT id, slug, name_ja, name_en, short_name, kind, summary_ja, summary_en, note_ja, note_en, version, deleted_at
				FROM partners WHERE home_id = ? AND slug = ?`, e.homeID, key).Scan(&id, &p.Slug, &p.Name.Ja, &p.Name.En, &p.ShortName, &p.Kind,
				&p.Summary.Ja, &p.Summary.En, &p.Note.Ja, &p.Note.En, &p.Version, &deleted)
			if err == sql.ErrNoRows {
				return nil, nil
			}
			if err != nil {
				return nil, err
			}
			if p.Members, err = e.strings(`SELECT i.slug FROM partner_members m JOIN institutions i ON i.id = m.institution_id
				WHERE m.partner_id = ? ORDER BY m.position`, id); err != nil {
				return nil, err
			}
			return &state{&p, p.Version, deleted.Valid}, nil
		},
		save: func(e *editTx, r any, create bool, version int) (partnerhub.FieldErrors, error) {
			p := r.(*partnerhub.Partner)
			errs := partnerhub.FieldErrors{}
			members, err := e.resolve(errs, "members", "institutions", "slug", false, p.Members, "unknown_institution")
			if err != nil || len(errs) > 0 {
				return errs, err
			}
			cols := []string{"slug", "name_ja", "name_en", "short_name", "kind", "summary_ja", "summary_en", "note_ja", "note_en"}
			vals := []any{p.Slug, p.Name.Ja, p.Name.En, p.ShortName, p.Kind, p.Summary.Ja, p.Summary.En, p.Note.Ja, p.Note.En}
			if create {
				var pos int
				if err := e.row(`SELECT COALESCE(max(position), -1) + 1 FROM partners WHERE home_id = ?`, e.homeID).Scan(&pos); err != nil {
					return nil, err
				}
				cols, vals = append(cols, "position"), append(vals, pos)
			}
			id, err := e.upsert(create, "partners", "slug", p.Slug, true, cols, vals, version)
			if err != nil {
				return nil, err
			}
			return errs, e.replaceLinks("partner_members", "partner_id", id, "institution_id", members)
		},
	}
	entities[partnerhub.EntityTeam] = &entity{
		keyCol: "",
		key: func(r any) string {
			t := r.(*partnerhub.TeamDoc)
			return t.Partner + "/" + strconv.Itoa(t.Phase)
		},
		partners: func(r any) []string { return []string{r.(*partnerhub.TeamDoc).Partner} },
		load:     loadTeam,
		save:     saveTeam,
	}
	entities[partnerhub.EntityAgreement] = &entity{
		table: "agreements", keyCol: "slug", home: true,
		key:      func(r any) string { return r.(*partnerhub.Agreement).Slug },
		partners: func(r any) []string { return []string{r.(*partnerhub.Agreement).Partner} },
		load:     loadAgreement,
		save:     saveAgreement,
	}
	entities[partnerhub.EntityActivity] = &entity{
		table: "activities", keyCol: "slug", home: true,
		key:      func(r any) string { return r.(*partnerhub.Activity).Slug },
		partners: func(r any) []string { return r.(*partnerhub.Activity).Partners },
		load:     loadActivity,
		save:     saveActivity,
	}
}

func splitTeamKey(key string) (string, int, bool) {
	p, ph, ok := strings.Cut(key, "/")
	n, err := strconv.Atoi(ph)
	return p, n, ok && err == nil
}

// A team's record exists while its partner does; its version is the partner's.
func loadTeam(e *editTx, key string) (*state, error) {
	slug, phase, ok := splitTeamKey(key)
	if !ok {
		return nil, nil
	}
	var id int64
	var version int
	var deleted sql.NullTime
	err := e.row(`SELECT id, version, deleted_at FROM partners WHERE home_id = ? AND slug = ?`, e.homeID, slug).Scan(&id, &version, &deleted)
	if err == sql.ErrNoRows {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	t := &partnerhub.TeamDoc{Partner: slug, Phase: phase, Version: version}
	var tier sql.NullString
	if err := e.row(`SELECT tier FROM standings WHERE partner_id = ? AND phase = ?`, id, phase).Scan(&tier); err != nil && err != sql.ErrNoRows {
		return nil, err
	}
	t.Tier = partnerhub.Tier(tier.String)
	rows, err := e.tx.QueryContext(e.ctx, e.db.q(`SELECT u.code, t.lead FROM team_memberships t JOIN units u ON u.id = t.unit_id
		WHERE t.partner_id = ? AND t.phase = ? AND u.deleted_at IS NULL ORDER BY t.position`), id, phase)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	t.Units = []string{}
	for rows.Next() {
		var code string
		var lead bool
		if err := rows.Scan(&code, &lead); err != nil {
			return nil, err
		}
		t.Units = append(t.Units, code)
		if lead {
			t.Lead = code
		}
	}
	return &state{t, version, deleted.Valid}, rows.Err()
}

func saveTeam(e *editTx, r any, create bool, version int) (partnerhub.FieldErrors, error) {
	t := r.(*partnerhub.TeamDoc)
	errs := partnerhub.FieldErrors{}
	var n int
	if err := e.row(`SELECT count(*) FROM phases WHERE home_id = ? AND number = ?`, e.homeID, t.Phase).Scan(&n); err != nil {
		return nil, err
	}
	if n == 0 {
		errs.Add("phase", "unknown_phase", t.Phase)
	}
	partnerID, err := e.id("partners", "slug", t.Partner, true)
	if err != nil {
		return nil, err
	}
	if partnerID == 0 {
		errs.Add("partner", "unknown_partner", t.Partner)
	}
	units, err := e.resolve(errs, "units", "units", "code", true, t.Units, "unknown_unit")
	if err != nil || len(errs) > 0 {
		return errs, err
	}
	// The team's version is its partner's: bump it, at the version read.
	if err := e.mustChangeOne(`UPDATE partners SET version = ? WHERE id = ? AND version = ?`, version, partnerID, version-1); err != nil {
		return nil, err
	}
	if _, err := e.exec(`DELETE FROM standings WHERE partner_id = ? AND phase = ?`, partnerID, t.Phase); err != nil {
		return nil, err
	}
	if t.Tier != "" {
		if _, err := e.exec(`INSERT INTO standings (home_id, partner_id, phase, tier) VALUES (?, ?, ?, ?)`, e.homeID, partnerID, t.Phase, t.Tier); err != nil {
			return nil, err
		}
	}
	if _, err := e.exec(`DELETE FROM team_memberships WHERE partner_id = ? AND phase = ?`, partnerID, t.Phase); err != nil {
		return nil, err
	}
	for i, u := range units {
		if _, err := e.exec(`INSERT INTO team_memberships (home_id, partner_id, unit_id, phase, lead, position) VALUES (?, ?, ?, ?, ?, ?)`,
			e.homeID, partnerID, u, t.Phase, t.Units[i] == t.Lead, i); err != nil {
			return nil, err
		}
	}
	return errs, nil
}

func loadAgreement(e *editTx, key string) (*state, error) {
	var a partnerhub.Agreement
	var deleted sql.NullTime
	var id int64
	var signed, expires string
	err := e.row(`SELECT a.id, a.slug, p.slug, COALESCE(i.slug, ''), a.kind, a.level, a.title_ja, a.title_en, a.signed, a.expires, a.status,
			a.note_ja, a.note_en, a.published, a.version, a.deleted_at
		FROM agreements a JOIN partners p ON p.id = a.partner_id LEFT JOIN institutions i ON i.id = a.institution_id
		WHERE a.home_id = ? AND a.slug = ?`, e.homeID, key).Scan(&id, &a.Slug, &a.Partner, &a.Institution, &a.Kind, &a.Level, &a.Title.Ja, &a.Title.En,
		&signed, &expires, &a.Status, &a.Note.Ja, &a.Note.En, &a.Published, &a.Version, &deleted)
	if err == sql.ErrNoRows {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if err := date(signed, &a.Signed); err != nil {
		return nil, err
	}
	if err := date(expires, &a.Expires); err != nil {
		return nil, err
	}
	if a.Units, err = e.strings(`SELECT u.code FROM agreement_units x JOIN units u ON u.id = x.unit_id WHERE x.agreement_id = ? ORDER BY x.position`, id); err != nil {
		return nil, err
	}
	return &state{&a, a.Version, deleted.Valid}, nil
}

func saveAgreement(e *editTx, r any, create bool, version int) (partnerhub.FieldErrors, error) {
	a := r.(*partnerhub.Agreement)
	errs := partnerhub.FieldErrors{}
	partnerID, err := e.id("partners", "slug", a.Partner, true)
	if err != nil {
		return nil, err
	}
	if partnerID == 0 {
		errs.Add("partner", "unknown_partner", a.Partner)
	}
	var instID any
	if a.Institution != "" {
		id, err := e.id("institutions", "slug", a.Institution, false)
		if err != nil {
			return nil, err
		}
		if id == 0 {
			errs.Add("institution", "unknown_institution", a.Institution)
		}
		instID = id
	}
	units, err := e.resolve(errs, "units", "units", "code", true, a.Units, "unknown_unit")
	if err != nil || len(errs) > 0 {
		return errs, err
	}
	id, err := e.upsert(create, "agreements", "slug", a.Slug, true,
		[]string{"slug", "partner_id", "institution_id", "kind", "level", "title_ja", "title_en", "signed", "expires", "status", "note_ja", "note_en", "published"},
		[]any{a.Slug, partnerID, instID, a.Kind, a.Level, a.Title.Ja, a.Title.En, a.Signed.String(), a.Expires.String(), a.Status, a.Note.Ja, a.Note.En, a.Published}, version)
	if err != nil {
		return nil, err
	}
	return errs, e.replaceLinks("agreement_units", "agreement_id", id, "unit_id", units)
}

func loadActivity(e *editTx, key string) (*state, error) {
	var a partnerhub.Activity
	var deleted sql.NullTime
	var id int64
	var start, end string
	var count sql.NullInt64
	var qual sql.NullString
	err := e.row(`SELECT a.id, a.slug, a.kind, a.title_ja, a.title_en, a.summary_ja, a.summary_en, a.start_date, a.end_date, a.fiscal_year, a.phase,
			a.format, COALESCE(i.slug, ''), a.venue_ja, a.venue_en, a.participants, a.participants_qualifier, COALESCE(s.slug, ''), a.edition,
			a.published, a.version, a.deleted_at
		FROM activities a LEFT JOIN institutions i ON i.id = a.host_id LEFT JOIN series s ON s.id = a.series_id
		WHERE a.home_id = ? AND a.slug = ?`, e.homeID, key).Scan(&id, &a.Slug, &a.Kind, &a.Title.Ja, &a.Title.En, &a.Summary.Ja, &a.Summary.En,
		&start, &end, &a.FiscalYear, &a.Phase, &a.Format, &a.Host, &a.Venue.Ja, &a.Venue.En, &count, &qual, &a.Series, &a.Edition,
		&a.Published, &a.Version, &deleted)
	if err == sql.ErrNoRows {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if err := date(start, &a.Start); err != nil {
		return nil, err
	}
	if err := date(end, &a.End); err != nil {
		return nil, err
	}
	if count.Valid {
		a.Participants = &partnerhub.Count{Value: int(count.Int64), Qualifier: partnerhub.Qualifier(qual.String)}
	}
	if a.Partners, err = e.strings(`SELECT p.slug FROM activity_partners x JOIN partners p ON p.id = x.partner_id WHERE x.activity_id = ? ORDER BY x.position`, id); err != nil {
		return nil, err
	}
	if a.Units, err = e.strings(`SELECT u.code FROM activity_units x JOIN units u ON u.id = x.unit_id WHERE x.activity_id = ? ORDER BY x.position`, id); err != nil {
		return nil, err
	}
	if a.Institutions, err = e.strings(`SELECT i.slug FROM activity_institutions x JOIN institutions i ON i.id = x.institution_id WHERE x.activity_id = ? ORDER BY x.position`, id); err != nil {
		return nil, err
	}
	return &state{&a, a.Version, deleted.Valid}, nil
}

func saveActivity(e *editTx, r any, create bool, version int) (partnerhub.FieldErrors, error) {
	a := r.(*partnerhub.Activity)
	errs := partnerhub.FieldErrors{}
	partners, err := e.resolve(errs, "partners", "partners", "slug", true, a.Partners, "unknown_partner")
	if err != nil {
		return nil, err
	}
	units, err := e.resolve(errs, "units", "units", "code", true, a.Units, "unknown_unit")
	if err != nil {
		return nil, err
	}
	insts, err := e.resolve(errs, "institutions", "institutions", "slug", false, a.Institutions, "unknown_institution")
	if err != nil {
		return nil, err
	}
	var hostID, seriesID any
	if a.Host != "" {
		id, err := e.id("institutions", "slug", a.Host, false)
		if err != nil {
			return nil, err
		}
		if id == 0 {
			errs.Add("host", "unknown_institution", a.Host)
		}
		hostID = id
	}
	if a.Series != "" {
		var id int64
		err := e.row(`SELECT id FROM series WHERE home_id = ? AND slug = ?`, e.homeID, a.Series).Scan(&id)
		if err == sql.ErrNoRows {
			errs.Add("series", "unknown_series", a.Series)
		} else if err != nil {
			return nil, err
		}
		seriesID = id
	}
	if len(errs) > 0 {
		return errs, nil
	}
	var count, qual any
	if a.Participants != nil {
		count, qual = a.Participants.Value, string(a.Participants.Qualifier)
	}
	id, err := e.upsert(create, "activities", "slug", a.Slug, true,
		[]string{"slug", "kind", "title_ja", "title_en", "summary_ja", "summary_en", "start_date", "end_date", "fiscal_year", "phase", "format",
			"host_id", "venue_ja", "venue_en", "participants", "participants_qualifier", "series_id", "edition", "published"},
		[]any{a.Slug, a.Kind, a.Title.Ja, a.Title.En, a.Summary.Ja, a.Summary.En, a.Start.String(), a.End.String(), a.FiscalYear, a.Phase, a.Format,
			hostID, a.Venue.Ja, a.Venue.En, count, qual, seriesID, a.Edition, a.Published}, version)
	if err != nil {
		return nil, err
	}
	if err := e.replaceLinks("activity_partners", "activity_id", id, "partner_id", partners); err != nil {
		return nil, err
	}
	if err := e.replaceLinks("activity_units", "activity_id", id, "unit_id", units); err != nil {
		return nil, err
	}
	return errs, e.replaceLinks("activity_institutions", "activity_id", id, "institution_id", insts)
}

// Record returns one record as stored, with its version, for an edit form
// or an API read of a record that may be a draft or in the bin.
func (db *DB) Record(ctx context.Context, home, entityName, key string) (rec any, version int, deleted bool, err error) {
	h, ok := entities[entityName]
	if !ok {
		return nil, 0, false, partnerhub.Errorf(partnerhub.ENotFound, "error.not_found")
	}
	err = db.readTx(ctx, func(tx *sql.Tx) error {
		e := &editTx{db: db, tx: tx, ctx: ctx}
		if err := e.home(home); err != nil {
			return err
		}
		s, err := h.load(e, key)
		if err != nil {
			return err
		}
		if s == nil {
			return partnerhub.Errorf(partnerhub.ENotFound, "error.record_not_found", key)
		}
		rec, version, deleted = s.rec, s.version, s.deleted
		return nil
	})
	return rec, version, deleted, wrap("read "+entityName, err)
}

// Bin lists the deleted records of a home institution, newest first.
func (db *DB) Bin(ctx context.Context, home string) ([]partnerhub.BinItem, error) {
	var out []partnerhub.BinItem
	err := db.readTx(ctx, func(tx *sql.Tx) error {
		e := &editTx{db: db, tx: tx, ctx: ctx}
		if err := e.home(home); err != nil {
			return err
		}
		for _, q := range []struct{ entity, sql string }{
			{partnerhub.EntityPartner, `SELECT slug, name_ja, name_en, deleted_at, version FROM partners WHERE home_id = ? AND deleted_at IS NOT NULL`},
			{partnerhub.EntityActivity, `SELECT slug, title_ja, title_en, deleted_at, version FROM activities WHERE home_id = ? AND deleted_at IS NOT NULL`},
			{partnerhub.EntityAgreement, `SELECT slug, title_ja, title_en, deleted_at, version FROM agreements WHERE home_id = ? AND deleted_at IS NOT NULL`},
			{partnerhub.EntityUnit, `SELECT code, name_ja, name_en, deleted_at, version FROM units WHERE home_id = ? AND deleted_at IS NOT NULL`},
			// The institution registry is shared: list the deleted ones this home's audit log shows it deleting.
			{partnerhub.EntityInstitution, `SELECT slug, name_ja, name_en, deleted_at, version FROM institutions WHERE deleted_at IS NOT NULL
				AND slug IN (SELECT entity_key FROM audit_events WHERE home_id = ? AND entity = 'institution')`},
		} {
			rows, err := tx.QueryContext(ctx, db.q(q.sql), e.homeID)
			if err != nil {
				return err
			}
			for rows.Next() {
				it := partnerhub.BinItem{Entity: q.entity}
				if err := rows.Scan(&it.Key, &it.Name.Ja, &it.Name.En, &it.DeletedAt, &it.Version); err != nil {
					rows.Close()
					return err
				}
				out = append(out, it)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, wrap("list bin", err)
	}
	slices.SortFunc(out, func(a, b partnerhub.BinItem) int { return b.DeletedAt.Compare(a.DeletedAt) })
	return out, nil
}

// Audit lists audit events of a home institution, newest first.
func (db *DB) Audit(ctx context.Context, home string, f partnerhub.AuditFilter) ([]partnerhub.AuditEvent, error) {
	var out []partnerhub.AuditEvent
	err := db.readTx(ctx, func(tx *sql.Tx) error {
		e := &editTx{db: db, tx: tx, ctx: ctx}
		if err := e.home(home); err != nil {
			return err
		}
		q := `SELECT id, at, COALESCE(user_id, 0), actor, action, entity, entity_key, version, before_json, after_json FROM audit_events WHERE home_id = ?`
		args := []any{e.homeID}
		add := func(cond string, v any) {
			q += " AND " + cond
			args = append(args, v)
		}
		if f.Entity != "" {
			add("entity = ?", f.Entity)
		}
		if f.Key != "" {
			add("entity_key = ?", f.Key)
		}
		if f.Actor != "" {
			add("actor = ?", f.Actor)
		}
		if f.Action != "" {
			add("action = ?", f.Action)
		}
		if !f.Since.IsZero() {
			add("at >= ?", f.Since.UTC())
		}
		if !f.Until.IsZero() {
			add("at < ?", f.Until.UTC())
		}
		if f.Before > 0 {
			add("id < ?", f.Before)
		}
		limit := f.Limit
		if limit <= 0 || limit > 1000 {
			limit = 200
		}
		q += ` ORDER BY id DESC LIMIT ` + strconv.Itoa(limit)
		rows, err := tx.QueryContext(ctx, db.q(q), args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var ev partnerhub.AuditEvent
			var before, after sql.NullString
			if err := rows.Scan(&ev.ID, &ev.At, &ev.UserID, &ev.Actor, &ev.Action, &ev.Entity, &ev.Key, &ev.Version, &before, &after); err != nil {
				return err
			}
			ev.At = ev.At.UTC()
			if before.Valid {
				ev.Before = []byte(before.String)
			}
			if after.Valid {
				ev.After = []byte(after.String)
			}
			out = append(out, ev)
		}
		return rows.Err()
	})
	return out, wrap("list audit events", err)
}

// DataVersion changes whenever a home institution's data does: app nodes
// poll it to know when to reload their in-memory copy.
func (db *DB) DataVersion(ctx context.Context, home string) (int64, error) {
	var v sql.NullInt64
	err := db.read.QueryRowContext(ctx, db.q(`SELECT max(a.id) FROM audit_events a JOIN home_institutions h ON h.id = a.home_id WHERE h.slug = ?`), home).Scan(&v)
	return v.Int64, wrap("data version", err)
}

// DB is the application's Editor.
var _ partnerhub.Editor = (*DB)(nil)
