package store

// Keeping the search index current. Every write of a record the index
// holds appends an audit event in its transaction; the index catches up
// from the audit log (refreshSearch, at the start of every search, so that
// a search on any node sees every committed write). Writes without events
// (a catalog import) mark their part stale; a database without an index
// state (new, or just imported) is built whole.

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
	"time"

	"partnerhub"
	"partnerhub/search"
)

// searchBatch is how many documents one INSERT writes.
const searchBatch = 100

// gapLifetime is how long an audit event id missing below the last one
// indexed is looked for: a transaction open longer than that when the
// index moved on is not expected (PostgreSQL takes ids from a sequence
// before commit, so an id may become visible after a higher one).
const gapLifetime = 2 * time.Minute

// maxGaps bounds the ids remembered as missing at each catch-up (a
// sequence that jumped leaves many that never come).
const maxGaps = 1000

// insertDocs writes documents (their old versions deleted already).
func (db *DB) insertDocs(ctx context.Context, tx *sql.Tx, docs []*searchDoc) error {
	pg := db.dialect.name == "postgres"
	var next int64
	if !pg {
		// SQLite's one writer: the ids of the FTS rows are chosen here.
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(max(id), 0) FROM search_docs`).Scan(&next); err != nil {
			return err
		}
	}
	for len(docs) > 0 {
		n := min(len(docs), searchBatch)
		batch := docs[:n]
		docs = docs[n:]
		var vals, ftsVals []string
		var args, ftsArgs []any
		for _, d := range batch {
			doc := d.doc()
			names := strings.Join(doc.NameKeys(), "\n")
			row := []any{string(d.kind), d.recordID, d.homeID, d.key, d.year, d.public, d.title.Ja, d.title.En,
				strings.Join(d.bodyJa, " · "), strings.Join(d.bodyEn, " · "), names}
			toks := d.tokens()
			if pg {
				vals = append(vals, "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?::tsvector)")
				args = append(append(args, row...), search.TSVector(toks))
				continue
			}
			next++
			vals = append(vals, "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
			args = append(append(args, next), row...)
			ftsVals = append(ftsVals, "(?, ?)")
			ftsArgs = append(ftsArgs, next, strings.Join(toks, " "))
		}
		cols := "kind, record_id, home_id, record_key, year, public, title_ja, title_en, body_ja, body_en, names"
		if pg {
			cols += ", tokens"
		} else {
			cols = "id, " + cols
		}
		if _, err := tx.ExecContext(ctx, db.q(`INSERT INTO search_docs (`+cols+`) VALUES `+strings.Join(vals, ", ")), args...); err != nil {
			return err
		}
		if !pg {
			if _, err := tx.ExecContext(ctx, `INSERT INTO search_fts (rowid, tokens) VALUES `+strings.Join(ftsVals, ", "), ftsArgs...); err != nil {
				return err
			}
		}
	}
	return nil
}

// deleteDocs deletes the documents of a kind that sel picks.
func (db *DB) deleteDocs(ctx context.Context, tx *sql.Tx, kind partnerhub.SearchKind, sel selector) error {
	w, args := sel.where("record_id", "home_id")
	args = append([]any{string(kind)}, args...)
	if db.dialect.name != "postgres" {
		if _, err := tx.ExecContext(ctx, db.q(`DELETE FROM search_fts WHERE rowid IN (SELECT id FROM search_docs WHERE kind = ? AND `+w+`)`), args...); err != nil {
			return err
		}
	}
	_, err := tx.ExecContext(ctx, db.q(`DELETE FROM search_docs WHERE kind = ? AND `+w), args...)
	return err
}

// reindex writes again the documents of a kind that sel picks.
func (db *DB) reindex(ctx context.Context, tx *sql.Tx, src docSource, sel selector) (int, error) {
	if sel.by == "id" && len(sel.vals) == 0 {
		return 0, nil
	}
	if err := db.deleteDocs(ctx, tx, src.kind, sel); err != nil {
		return 0, err
	}
	docs, err := src.read(ctx, db, tx, sel)
	if err != nil {
		return 0, err
	}
	return len(docs), db.insertDocs(ctx, tx, docs)
}

// reindexHome writes again every document of a home (not the registry's).
func (db *DB) reindexHome(ctx context.Context, tx *sql.Tx, homeID int64) (int, error) {
	total := 0
	for _, src := range docSources {
		if src.kind == partnerhub.SearchInstitution {
			continue
		}
		n, err := db.reindex(ctx, tx, src, selector{by: "home", vals: []int64{homeID}})
		if err != nil {
			return total, err
		}
		total += n
	}
	return total, nil
}

// RebuildSearch builds the whole search index again from the records, in
// one transaction, and returns how many documents it holds.
func (db *DB) RebuildSearch(ctx context.Context) (int, error) {
	total := 0
	if db.dialect.name == "postgres" {
		// Statistics first: a database just loaded (bench/gen, an import)
		// may have none, and the per-home joins below would scan whole
		// link tables.
		if _, err := db.write.ExecContext(ctx, `ANALYZE partners, partner_members, team_memberships, units, activities, activity_partners, agreements, institutions`); err != nil {
			return 0, wrap("rebuild search", err)
		}
	}
	err := db.dialect.bulkTx(ctx, db, func(tx *sql.Tx) error {
		total = 0
		var last int64
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(max(id), 0) FROM audit_events`).Scan(&last); err != nil {
			return err
		}
		if db.dialect.name == "postgres" {
			if _, err := tx.ExecContext(ctx, `TRUNCATE search_docs`); err != nil {
				return err
			}
		} else {
			for _, q := range []string{`DELETE FROM search_docs`, `INSERT INTO search_fts (search_fts) VALUES ('delete-all')`} {
				if _, err := tx.ExecContext(ctx, q); err != nil {
					return err
				}
			}
		}
		for _, q := range []string{`DELETE FROM search_stale`, `DELETE FROM search_gaps`, `DELETE FROM search_state`} {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return err
			}
		}
		var homes []int64
		err := eachRow(ctx, db, tx, `SELECT id FROM home_institutions ORDER BY id`, nil, func(rows *sql.Rows) error {
			var id int64
			err := rows.Scan(&id)
			homes = append(homes, id)
			return err
		})
		if err != nil {
			return err
		}
		for _, h := range homes {
			n, err := db.reindexHome(ctx, tx, h)
			if err != nil {
				return err
			}
			total += n
		}
		n, err := db.reindex(ctx, tx, docSources[1], selector{})
		if err != nil {
			return err
		}
		total += n
		_, err = tx.ExecContext(ctx, db.q(`INSERT INTO search_state (id, last_event, built_at) VALUES (1, ?, ?)`), last, dbTime(time.Now()))
		return err
	})
	if err == nil && db.dialect.name == "postgres" {
		_, err = db.write.ExecContext(ctx, `ANALYZE search_docs`)
	}
	if err == nil && db.dialect.name == "postgres" {
		// Merge what the bulk insert left in the pending list, which
		// every search would otherwise read through.
		_, err = db.write.ExecContext(ctx, `SELECT gin_clean_pending_list('search_docs_tokens')`)
	}
	return total, wrap("rebuild search", err)
}

// searchMigration is the schema version that made the search index.
const searchMigration = 23

// markSearchStale records, in a transaction that writes records without
// audit events, the part of the index to build again.
func (db *DB) markSearchStale(ctx context.Context, tx *sql.Tx, parts ...string) error {
	for _, p := range parts {
		if _, err := tx.ExecContext(ctx, db.q(`DELETE FROM search_stale WHERE part = ?`), p); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, db.q(`INSERT INTO search_stale (part) VALUES (?)`), p); err != nil {
			return err
		}
	}
	return nil
}

// refreshSearch brings the index up to date: cheap (one query) when
// nothing was written since the last time.
func (db *DB) refreshSearch(ctx context.Context) error {
	var last sql.NullInt64
	var newest int64
	var pending int
	err := db.read.QueryRowContext(ctx, `SELECT (SELECT last_event FROM search_state WHERE id = 1),
		(SELECT COALESCE(max(id), 0) FROM audit_events),
		(SELECT count(*) FROM search_gaps) + (SELECT count(*) FROM search_stale)`).Scan(&last, &newest, &pending)
	if err != nil {
		return wrap("search state", err)
	}
	if !last.Valid {
		_, err := db.RebuildSearch(ctx)
		return err
	}
	if last.Int64 >= newest && pending == 0 {
		return nil
	}
	return wrap("search catch-up", db.tx(ctx, func(tx *sql.Tx) error { return db.catchUp(ctx, tx) }))
}

// searchEvent is an audit event as the index reads it.
type searchEvent struct {
	id     int64
	home   int64
	entity partnerhub.Entity
	key    string
}

// catchUp indexes again what the audit events since the last one indexed
// (and the gaps) name, and the stale parts. Two nodes may run it at once:
// the state row is locked first (SQLite: the write transaction is), and
// what it writes is the same whoever writes it.
func (db *DB) catchUp(ctx context.Context, tx *sql.Tx) error {
	lock := ""
	if db.dialect.name == "postgres" {
		lock = " FOR UPDATE"
	}
	var last int64
	err := tx.QueryRowContext(ctx, `SELECT last_event FROM search_state WHERE id = 1`+lock).Scan(&last)
	if err == sql.ErrNoRows {
		return nil // being built again: the builder's snapshot has it all
	}
	if err != nil {
		return err
	}
	// Stale parts first: whole homes, or the registry.
	var stale []string
	if err := eachRow(ctx, db, tx, `SELECT part FROM search_stale ORDER BY part`, nil, func(rows *sql.Rows) error {
		var p string
		err := rows.Scan(&p)
		stale = append(stale, p)
		return err
	}); err != nil {
		return err
	}
	for _, p := range stale {
		if p == "institutions" {
			if _, err := db.reindex(ctx, tx, docSources[1], selector{}); err != nil {
				return err
			}
		} else if id, err := strconv.ParseInt(strings.TrimPrefix(p, "home:"), 10, 64); err == nil {
			if _, err := db.reindexHome(ctx, tx, id); err != nil {
				return err
			}
		}
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM search_stale`); err != nil {
		return err
	}
	now := dbTime(time.Now())
	if _, err := tx.ExecContext(ctx, db.q(`DELETE FROM search_gaps WHERE seen_at < ?`), now.Add(-gapLifetime)); err != nil {
		return err
	}
	const cols = `SELECT id, home_id, entity, entity_key FROM audit_events`
	var events []searchEvent
	scan := func(rows *sql.Rows) error {
		var e searchEvent
		err := rows.Scan(&e.id, &e.home, &e.entity, &e.key)
		events = append(events, e)
		return err
	}
	// Gaps that have come since.
	if err := eachRow(ctx, db, tx, cols+` WHERE id IN (SELECT event_id FROM search_gaps) ORDER BY id`, nil, scan); err != nil {
		return err
	}
	found := len(events)
	if err := eachRow(ctx, db, tx, cols+` WHERE id > ? ORDER BY id`, []any{last}, scan); err != nil {
		return err
	}
	for _, e := range events[:found] {
		if _, err := tx.ExecContext(ctx, db.q(`DELETE FROM search_gaps WHERE event_id = ?`), e.id); err != nil {
			return err
		}
	}
	next := last
	gaps := 0
	for _, e := range events[found:] {
		for id := next + 1; id < e.id && gaps < maxGaps; id++ {
			if _, err := tx.ExecContext(ctx, db.q(`INSERT INTO search_gaps (event_id, seen_at) VALUES (?, ?)`), id, now); err != nil {
				return err
			}
			gaps++
		}
		next = e.id
	}
	dirty := map[partnerhub.SearchKind]map[int64]bool{}
	mark := func(k partnerhub.SearchKind, ids []int64) {
		if dirty[k] == nil {
			dirty[k] = map[int64]bool{}
		}
		for _, id := range ids {
			dirty[k][id] = true
		}
	}
	homes := map[int64]bool{}
	for _, e := range events {
		if err := db.eventDirty(ctx, tx, e, mark, homes); err != nil {
			return err
		}
	}
	for h := range homes {
		if _, err := db.reindexHome(ctx, tx, h); err != nil {
			return err
		}
	}
	for _, src := range docSources {
		ids := make([]int64, 0, len(dirty[src.kind]))
		for id := range dirty[src.kind] {
			ids = append(ids, id)
		}
		for len(ids) > 0 {
			n := min(len(ids), 500)
			if _, err := db.reindex(ctx, tx, src, selector{by: "id", vals: ids[:n]}); err != nil {
				return err
			}
			ids = ids[n:]
		}
	}
	if next > last {
		_, err = tx.ExecContext(ctx, db.q(`UPDATE search_state SET last_event = ? WHERE id = 1`), next)
	}
	return err
}

// eventDirty marks the documents an audit event changes: the record's
// own, and those that show its name (a partner's activities and
// agreements, an institution's or a unit's partners).
func (db *DB) eventDirty(ctx context.Context, tx *sql.Tx, e searchEvent, mark func(partnerhub.SearchKind, []int64), homes map[int64]bool) error {
	ids := func(query string, args ...any) ([]int64, error) {
		var out []int64
		err := eachRow(ctx, db, tx, query, args, func(rows *sql.Rows) error {
			var id int64
			err := rows.Scan(&id)
			out = append(out, id)
			return err
		})
		return out, err
	}
	num, _ := strconv.ParseInt(strings.SplitN(e.key, "/", 2)[0], 10, 64)
	var err error
	switch e.entity {
	case partnerhub.EntityInstitution:
		var in, ps []int64
		if in, err = ids(`SELECT id FROM institutions WHERE slug = ?`, e.key); err == nil && len(in) > 0 {
			mark(partnerhub.SearchInstitution, in)
			ps, err = ids(`SELECT partner_id FROM partner_members WHERE institution_id = ?`, in[0])
			mark(partnerhub.SearchPartner, ps)
		}
	case partnerhub.EntityUnit:
		var us, ps []int64
		if us, err = ids(`SELECT id FROM units WHERE home_id = ? AND code = ?`, e.home, e.key); err == nil && len(us) > 0 {
			mark(partnerhub.SearchUnit, us)
			ps, err = ids(`SELECT DISTINCT partner_id FROM team_memberships WHERE unit_id = ?`, us[0])
			mark(partnerhub.SearchPartner, ps)
		}
	case partnerhub.EntityPartner, partnerhub.EntityTeam:
		slug := strings.SplitN(e.key, "/", 2)[0]
		var ps, more []int64
		if ps, err = ids(`SELECT id FROM partners WHERE home_id = ? AND slug = ?`, e.home, slug); err == nil && len(ps) > 0 {
			mark(partnerhub.SearchPartner, ps)
			if e.entity == partnerhub.EntityPartner {
				if more, err = ids(`SELECT activity_id FROM activity_partners WHERE partner_id = ?`, ps[0]); err == nil {
					mark(partnerhub.SearchActivity, more)
					more, err = ids(`SELECT id FROM agreements WHERE partner_id = ?`, ps[0])
					mark(partnerhub.SearchAgreement, more)
				}
			}
		}
	case partnerhub.EntityAgreement:
		var as []int64
		as, err = ids(`SELECT id FROM agreements WHERE home_id = ? AND slug = ?`, e.home, e.key)
		mark(partnerhub.SearchAgreement, as)
	case partnerhub.EntityActivity:
		var as []int64
		as, err = ids(`SELECT id FROM activities WHERE home_id = ? AND slug = ?`, e.home, e.key)
		mark(partnerhub.SearchActivity, as)
	case partnerhub.EntityFund, partnerhub.EntityCall:
		fund, number := e.key, -1
		if e.entity == partnerhub.EntityCall {
			f, n, _ := strings.Cut(e.key, "/")
			fund = f
			if number, err = strconv.Atoi(n); err != nil {
				return nil
			}
		}
		var cs, ps []int64
		if cs, err = ids(`SELECT c.id FROM calls c JOIN funds f ON f.id = c.fund_id WHERE f.home_id = ? AND f.slug = ? AND (c.number = ? OR ? < 0)`,
			e.home, fund, number, number); err == nil {
			mark(partnerhub.SearchCall, cs)
			ps, err = ids(`SELECT p.id FROM proposals p JOIN calls c ON c.id = p.call_id JOIN funds f ON f.id = c.fund_id
				WHERE f.home_id = ? AND f.slug = ? AND (c.number = ? OR ? < 0)`, e.home, fund, number, number)
			mark(partnerhub.SearchProject, ps)
		}
	case partnerhub.EntityProposal, partnerhub.EntityDecision:
		var ps []int64
		ps, err = ids(`SELECT p.id FROM proposals p JOIN calls c ON c.id = p.call_id JOIN funds f ON f.id = c.fund_id
			WHERE p.id = ? AND f.home_id = ?`, num, e.home)
		mark(partnerhub.SearchProject, ps)
	case partnerhub.EntityNote:
		mark(partnerhub.SearchNote, []int64{num})
	case partnerhub.EntityMember:
		// A member added, enabled, disabled or renamed: its part again (its
		// published notes appear or go), and its own institution.
		homes[e.home] = true
		var in []int64
		in, err = ids(`SELECT institution_id FROM home_institutions WHERE id = ?`, e.home)
		mark(partnerhub.SearchInstitution, in)
	}
	return err
}

// searchTable reports whether a table is the search index's: derived from
// the records, so exports leave it out and an import builds it again.
func searchTable(name string) bool { return strings.HasPrefix(name, "search_") }

// forgetSearch drops the index's state in a transaction that wrote
// records without audit events (a whole-database import): the next
// search, or partnerhub search reindex, builds it whole.
func (db *DB) forgetSearch(ctx context.Context, tx *sql.Tx) error {
	_, err := tx.ExecContext(ctx, `DELETE FROM search_state`)
	return err
}
