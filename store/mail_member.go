package store

import (
	"context"
	"net/url"
	"strings"

	"partnerhub/mail"
)

// Mail of a network's members: each member's people are sent links to
// their member's portal, as the Deployment serves it (web/deployment.go):
// the first member at the site's root, a member with a host at that host,
// every other at /{slug}.

// SetMailRoot names the member served at the site's root ("" for the
// oldest, the Deployment's default), so that its mail links to the root.
func (db *DB) SetMailRoot(slug string) { db.mailRoot = slug }

// mailFor is the composer of mail to the people of the home homeID: db's,
// with the BaseURL of the member's portal; nil without a composer
// (SetMail).
func (db *DB) mailFor(ctx context.Context, q queryRower, homeID int64) (*mail.Composer, error) {
	if db.mail == nil {
		return nil, nil
	}
	var slug, host string
	var first int64
	err := q.QueryRowContext(ctx, db.q(`SELECT slug, host, (SELECT min(id) FROM home_institutions) FROM home_institutions WHERE id = ?`), homeID).
		Scan(&slug, &host, &first)
	if err != nil {
		return nil, wrap("mail of a member", err)
	}
	c := *db.mail
	base := strings.TrimRight(c.BaseURL, "/")
	root := homeID == first
	if db.mailRoot != "" {
		root = slug == db.mailRoot
	}
	switch {
	case host != "":
		scheme := "http"
		if u, err := url.Parse(base); err == nil && u.Scheme != "" {
			scheme = u.Scheme
		}
		c.BaseURL = scheme + "://" + host
	case root:
		c.BaseURL = base
	default:
		c.BaseURL = base + "/" + slug
	}
	return &c, nil
}

// mailForUser is mailFor the home of user userID.
func (db *DB) mailForUser(ctx context.Context, q queryRower, userID int64) (*mail.Composer, error) {
	if db.mail == nil {
		return nil, nil
	}
	var homeID int64
	if err := q.QueryRowContext(ctx, db.q(`SELECT home_id FROM users WHERE id = ?`), userID).Scan(&homeID); err != nil {
		return nil, wrap("mail of a member", err)
	}
	return db.mailFor(ctx, q, homeID)
}

// mailForProposal is mailFor the home of proposal id's fund.
func (db *DB) mailForProposal(ctx context.Context, q queryRower, id int64) (*mail.Composer, error) {
	if db.mail == nil {
		return nil, nil
	}
	var homeID int64
	if err := q.QueryRowContext(ctx, db.q(`SELECT f.home_id FROM proposals p JOIN calls c ON c.id = p.call_id
		JOIN funds f ON f.id = c.fund_id WHERE p.id = ?`), id).Scan(&homeID); err != nil {
		return nil, wrap("mail of a member", err)
	}
	return db.mailFor(ctx, q, homeID)
}
