package store

// The shared registry: institutions are one table that every home
// institution's records refer to. Which homes use an institution decides who
// may change it (partnerhub.Authorize) and whose audit logs record the change.

import (
	"context"
	"database/sql"
	"strings"

	"partnerhub"
)

// institutionRef is a column that refers to institutions(id), and how to
// reach the home institution of its row. A test compares this list with the
// foreign keys of the schema, so a new reference cannot be forgotten.
type institutionRef struct {
	table, column string
	// homeOf selects the home_id of the rows whose column is the
	// institution; ? stands for the institution's id.
	homeOf string
}

var institutionRefs = []institutionRef{
	{"home_institutions", "institution_id", `SELECT id FROM home_institutions WHERE institution_id = ?`},
	{"partner_members", "institution_id", `SELECT p.home_id FROM partner_members m JOIN partners p ON p.id = m.partner_id WHERE m.institution_id = ?`},
	{"agreements", "institution_id", `SELECT home_id FROM agreements WHERE institution_id = ?`},
	{"activities", "host_id", `SELECT home_id FROM activities WHERE host_id = ?`},
	{"activity_institutions", "institution_id", `SELECT a.home_id FROM activity_institutions ai JOIN activities a ON a.id = ai.activity_id WHERE ai.institution_id = ?`},
	{"mobility", "institution_id", `SELECT home_id FROM mobility WHERE institution_id = ?`},
}

// sharingHome is a home institution that uses a shared record.
type sharingHome struct {
	id   int64
	slug string
}

// institutionUsers returns the homes other than the acting one whose
// records refer to the institution with slug, records in the bin included
// (a restore would bring the reference back), by slug.
func (e *editTx) institutionUsers(slug string) ([]sharingHome, error) {
	parts := make([]string, len(institutionRefs))
	args := []any{}
	for i, r := range institutionRefs {
		parts[i] = strings.Replace(r.homeOf, "?", "(SELECT id FROM institutions WHERE slug = ?)", 1)
		args = append(args, slug)
	}
	args = append(args, e.homeID)
	rows, err := e.tx.QueryContext(e.ctx, e.db.q(`SELECT id, slug FROM home_institutions WHERE id IN (`+
		strings.Join(parts, " UNION ")+`) AND id <> ? ORDER BY slug`), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var homes []sharingHome
	for rows.Next() {
		var h sharingHome
		if err := rows.Scan(&h.id, &h.slug); err != nil {
			return nil, err
		}
		homes = append(homes, h)
	}
	return homes, rows.Err()
}

// sharers returns the other homes that use a record, for Authorize and the
// audit log: only institutions are shared; every other record belongs to
// one home.
func (e *editTx) sharers(entity partnerhub.Entity, key string) ([]sharingHome, error) {
	if entity != partnerhub.EntityInstitution {
		return nil, nil
	}
	if e.db.dialect.name == "postgres" {
		// Another home's write that is starting to refer to the institution
		// holds a key-share lock on its row until it commits: waiting for it
		// here means the homes read below include it. SQLite has one writer
		// at a time, so nothing is in flight there.
		if _, err := e.exec(`SELECT id FROM institutions WHERE slug = ? FOR UPDATE`, key); err != nil {
			return nil, err
		}
	}
	return e.institutionUsers(key)
}

// SharedWith returns the home institutions other than home that use a
// record (an institution of the shared registry), so that a form can say
// before anyone types that only a network administrator may change it.
func (db *DB) SharedWith(ctx context.Context, home string, entity partnerhub.Entity, key string) ([]string, error) {
	if entity != partnerhub.EntityInstitution {
		return nil, nil
	}
	var out []string
	err := db.readTx(ctx, func(tx *sql.Tx) error {
		e := &editTx{db: db, tx: tx, ctx: ctx}
		if err := e.home(home); err != nil {
			return err
		}
		homes, err := e.institutionUsers(key)
		for _, h := range homes {
			out = append(out, h.slug)
		}
		return err
	})
	return out, wrap("shared with", err)
}

func homeIDs(homes []sharingHome) []int64 {
	ids := make([]int64, len(homes))
	for i, h := range homes {
		ids[i] = h.id
	}
	return ids
}
