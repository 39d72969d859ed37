package store

// The SAML service provider's replay cache (sso.ReplayStore): the ID of
// every assertion accepted, until it expires, in the database that every
// node shares, so that an assertion captured and posted again is refused
// wherever it is posted.

import (
	"context"
	"time"
)

// ConsumeSAMLAssertion records an assertion ID as used until expires, and
// reports false when it was already recorded (and has not expired). The
// IDs of assertions that have expired are removed on the way.
func (db *DB) ConsumeSAMLAssertion(ctx context.Context, id string, expires, now time.Time) (bool, error) {
	if _, err := db.write.ExecContext(ctx, db.q(`DELETE FROM saml_assertions WHERE expires_at <= ?`), dbTime(now)); err != nil {
		return false, err
	}
	_, err := db.write.ExecContext(ctx, db.q(`INSERT INTO saml_assertions (assertion_id, expires_at) VALUES (?, ?)`), id, dbTime(expires))
	if err != nil {
		if db.dialect.isUnique(err) {
			return false, nil
		}
		return false, err
	}
	return true, nil
}
