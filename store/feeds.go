package store

import (
	"context"
	"database/sql"
	"time"

	"partnerhub"
)

// LatestWrites is when each record of entity in home was last written, by
// key, as its audit log says: the Atom feeds' `updated`. A record the log
// has never seen (the built-in data, imported without history) is absent.
//
// The newest event per key is found by its id and its time read as a
// column, not as max(at), whose type SQLite forgets.
func (db *DB) LatestWrites(ctx context.Context, home string, entity partnerhub.Entity) (map[string]time.Time, error) {
	out := map[string]time.Time{}
	err := db.readTx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, db.q(`SELECT entity_key, at FROM audit_events WHERE id IN (
			SELECT max(a.id) FROM audit_events a JOIN home_institutions h ON h.id = a.home_id
			WHERE h.slug = ? AND a.entity = ? GROUP BY a.entity_key)`), home, entity)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var key string
			var at time.Time
			if err := rows.Scan(&key, &at); err != nil {
				return err
			}
			out[key] = at.UTC()
		}
		return rows.Err()
	})
	return out, wrap("read latest writes", err)
}
