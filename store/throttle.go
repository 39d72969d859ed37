package store

import (
	"context"
	"database/sql"
	"time"

	"partnerhub/authn"
)

// Failed sign-ins are kept as rows (login_failures), not in memory, so that
// every app node behind a load balancer throttles alike.

// FailureStats counts the failures that throttle an attempt (authn's
// policy): of the account from the address, of the account from anywhere,
// and the accounts the address failed for.
func (db *DB) FailureStats(ctx context.Context, q authn.FailureQuery) (authn.FailureStats, error) {
	var st authn.FailureStats
	// The latest times are read as rows rather than max(at), whose type
	// SQLite forgets.
	last := func(where string, args ...any) (time.Time, error) {
		var t time.Time
		err := db.read.QueryRowContext(ctx, db.q(`SELECT at FROM login_failures WHERE `+where+` ORDER BY at DESC LIMIT 1`), args...).Scan(&t)
		if err == sql.ErrNoRows {
			return time.Time{}, nil
		}
		return t, err
	}
	err := db.read.QueryRowContext(ctx, db.q(`SELECT
		(SELECT count(*) FROM login_failures WHERE email = ? AND ip = ? AND at > ?),
		(SELECT count(*) FROM login_failures WHERE email = ? AND at > ?),
		(SELECT count(DISTINCT email) FROM login_failures WHERE ip = ? AND at > ?)`),
		q.Email, q.IP, dbTime(q.PairSince), q.Email, dbTime(q.AccountSince), q.IP, dbTime(q.AddressSince)).
		Scan(&st.Pair, &st.Account, &st.AddressAccounts)
	if err == nil && st.Pair > 0 {
		st.PairLast, err = last(`email = ? AND ip = ?`, q.Email, q.IP)
	}
	if err == nil && st.AddressAccounts > 0 {
		st.AddressLast, err = last(`ip = ?`, q.IP)
	}
	if q.IP == "" {
		// An unknown address is no one address: it says nothing of spraying.
		st.AddressAccounts, st.AddressLast = 0, time.Time{}
	}
	return st, wrap("count sign-in failures", err)
}

// RecordFailure keeps a failed sign-in, and forgets the failures before
// forgetBefore.
func (db *DB) RecordFailure(ctx context.Context, email, ip string, at, forgetBefore time.Time) error {
	return wrap("record sign-in failure", db.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, db.q(`INSERT INTO login_failures (email, ip, at) VALUES (?, ?, ?)`), email, ip, dbTime(at)); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, db.q(`DELETE FROM login_failures WHERE at < ?`), dbTime(forgetBefore))
		return err
	}))
}

// ClearFailures forgets the failed sign-ins of an account from one address,
// after the right password came from it. Its failures from elsewhere stay:
// they are someone else's guesses.
func (db *DB) ClearFailures(ctx context.Context, email, ip string) error {
	_, err := db.write.ExecContext(ctx, db.q(`DELETE FROM login_failures WHERE email = ? AND ip = ?`), email, ip)
	return wrap("clear sign-in failures", err)
}

// CountFailures counts the failures recorded under a key (an address, or a
// user's second step) and from an IP address since a time.
func (db *DB) CountFailures(ctx context.Context, key, ip string, since time.Time) (byKey, byIP int, err error) {
	since = dbTime(since)
	err = db.read.QueryRowContext(ctx, db.q(`SELECT
		(SELECT count(*) FROM login_failures WHERE email = ? AND at > ?),
		(SELECT count(*) FROM login_failures WHERE ip = ? AND at > ?)`), key, since, ip, since).Scan(&byKey, &byIP)
	return byKey, byIP, wrap("count failures", err)
}
