package store

// Single sign-on's half in the database (partnerhub.FederationService):
// federated identities linked to accounts, the administrators'
// pre-authorisations and role rules, and the accounts they make. Every
// change is audited. An account made here has no password (its hash is
// ""), which no password matches: its holder signs in at their
// university, unless the office sets a password from the command line.

import (
	"context"
	"database/sql"
	"encoding/json"
	"net/mail"
	"strings"
	"time"

	"partnerhub"
)

func errIdentityTaken() error {
	return partnerhub.Errorf(partnerhub.EConflict, "error.sso_identity_taken")
}

// authorizeSSOAdmin lets an administrator of home, and nobody else, see
// and change who single sign-on admits.
func authorizeSSOAdmin(actor *partnerhub.User, home string) error {
	if err := partnerhub.AuthorizeHome(actor, home); err != nil {
		return err
	}
	if actor.Role != partnerhub.RoleAdmin {
		return partnerhub.Errorf(partnerhub.EForbidden, "error.admins_only")
	}
	return nil
}

// auditSSO records a change of single sign-on's records; actor nil is the
// person signing in, named by who (the identity).
func (db *DB) auditSSO(ctx context.Context, tx *sql.Tx, homeID int64, actor *partnerhub.User, who string, action partnerhub.Action,
	entity partnerhub.Entity, key string, before, after any, now time.Time) error {
	enc := func(v any) any {
		if v == nil {
			return nil
		}
		b, _ := json.Marshal(v)
		return string(b)
	}
	var userID any
	if actor != nil {
		who = actor.Email
		if actor.ID != 0 {
			userID = actor.ID
		}
	}
	_, err := tx.ExecContext(ctx, db.q(`INSERT INTO audit_events (home_id, at, user_id, actor, action, entity, entity_key, version, before_json, after_json, verb, comment)
		VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?, '', '')`), homeID, dbTime(now), userID, who, action, entity, key, enc(before), enc(after))
	return err
}

// identityKey names an identity in the audit log.
func identityKey(protocol, provider, subject string) string {
	return protocol + ":" + subject + "@" + provider
}

// identityAudit is a link as the audit log shows it.
type identityAudit struct {
	Protocol string `json:"protocol"`
	Provider string `json:"provider"`
	Subject  string `json:"subject"`
	UserID   int64  `json:"user_id"`
	Email    string `json:"email,omitempty"` // the account's
	Via      string `json:"via"`             // how: an Admission, or "account" (its holder linked it)
}

func snapshotOf(c *partnerhub.FederatedClaim) string {
	if len(c.Snapshot) == 0 || !json.Valid(c.Snapshot) {
		return "{}"
	}
	return string(c.Snapshot)
}

func claimOK(c *partnerhub.FederatedClaim) error {
	if c.Protocol == "" || c.Provider == "" || c.Subject == "" {
		return partnerhub.Errorf(partnerhub.EInvalid, "error.invalid")
	}
	return nil
}

// linkIdentity links c to the account userID in tx, and audits it.
func (db *DB) linkIdentity(ctx context.Context, tx *sql.Tx, homeID int64, actor *partnerhub.User, u *partnerhub.User,
	c *partnerhub.FederatedClaim, via string, now time.Time) error {
	_, err := tx.ExecContext(ctx, db.q(`INSERT INTO federated_identities (home_id, user_id, protocol, provider, subject, attributes, first_seen_at, last_seen_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`), homeID, u.ID, c.Protocol, c.Provider, c.Subject, snapshotOf(c), now, now)
	if db.dialect.isUnique(err) {
		return errIdentityTaken()
	}
	if err != nil {
		return err
	}
	return db.auditSSO(ctx, tx, homeID, actor, identityKey(c.Protocol, c.Provider, c.Subject), partnerhub.ActionCreate,
		partnerhub.EntityFederatedIdentity, identityKey(c.Protocol, c.Provider, c.Subject), nil,
		identityAudit{Protocol: c.Protocol, Provider: c.Provider, Subject: c.Subject, UserID: u.ID, Email: u.Email, Via: via}, now)
}

// FederatedUser returns the account c is linked to in home, noting the
// sign-in: ENotFound when none, EUnauthorized when the account is
// disabled.
func (db *DB) FederatedUser(ctx context.Context, home string, c partnerhub.FederatedClaim, now time.Time) (*partnerhub.User, error) {
	if err := claimOK(&c); err != nil {
		return nil, err
	}
	now = dbTime(now)
	var fid int64
	u, err := scanUser(db.read.QueryRowContext(ctx, db.q(userCols+`, f.id`+userFrom+`
		JOIN federated_identities f ON f.user_id = u.id
		WHERE h.slug = ? AND f.home_id = h.id AND f.protocol = ? AND f.provider = ? AND f.subject = ?`), home, c.Protocol, c.Provider, c.Subject), &fid)
	if err == sql.ErrNoRows {
		return nil, partnerhub.Errorf(partnerhub.ENotFound, "error.not_found")
	}
	if err != nil {
		return nil, wrap("read federated identity", err)
	}
	if u.Disabled {
		return nil, errUnauthorized()
	}
	if _, err := db.write.ExecContext(ctx, db.q(`UPDATE federated_identities SET last_seen_at = ?, attributes = ? WHERE id = ?`),
		now, snapshotOf(&c), fid); err != nil {
		return nil, err
	}
	return u, db.withUnits(ctx, u)
}

// AcceptInvitationFederated accepts the pending invitation of token for
// c, as AcceptInvitation does for a password: the account gets the
// invitation's address, role and language, the name the provider sent
// (else the inviter's), no password; c is linked to it.
func (db *DB) AcceptInvitationFederated(ctx context.Context, home, token string, c partnerhub.FederatedClaim, ip string, now time.Time) (*partnerhub.User, error) {
	if err := claimOK(&c); err != nil {
		return nil, err
	}
	if err := db.throttleInvitation(ctx, ip, now); err != nil {
		return nil, err
	}
	inv, err := db.openInvitation(ctx, db.read, home, token, now)
	if err := db.countGuess(ctx, err, ip, now); err != nil {
		return nil, err
	}
	name := strings.TrimSpace(c.Name)
	if name == "" {
		name = inv.Name
	}
	now = dbTime(now)
	u := &partnerhub.User{Email: inv.Email, Name: name, Role: inv.Role, Home: home, Units: []string{}, Version: 1, CreatedAt: now}
	if err := u.Validate(); err != nil {
		// A name the provider sent too long: the inviter's will do.
		u.Name = inv.Name
	}
	err = db.tx(ctx, func(tx *sql.Tx) error {
		_, homeID, err := db.makeInvitedAccount(ctx, tx, home, token, u, "", now)
		if err != nil {
			return err
		}
		return db.linkIdentity(ctx, tx, homeID, nil, u, &c, string(partnerhub.AdmittedInvitation), now)
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}

// AdmitFederated makes an account for c, unknown so far: by its unused
// pre-authorisation, else by the strongest role rule of its provider it
// meets. The account takes the address the provider sent, which must be
// nobody's yet: an existing account is linked only by invitation or by
// its holder.
func (db *DB) AdmitFederated(ctx context.Context, home string, c partnerhub.FederatedClaim, now time.Time) (*partnerhub.User, partnerhub.Admission, error) {
	if err := claimOK(&c); err != nil {
		return nil, "", err
	}
	now = dbTime(now)
	var u *partnerhub.User
	var how partnerhub.Admission
	err := db.tx(ctx, func(tx *sql.Tx) error {
		homeID, err := db.homeID(ctx, tx, home)
		if err != nil {
			return err
		}
		var role partnerhub.Role
		var preID int64
		var pre *partnerhub.PreAuthorisation
		p, err := scanPreAuth(tx.QueryRowContext(ctx, db.q(preAuthCols+`WHERE p.home_id = ? AND p.provider = ? AND p.subject = ? AND p.used_at IS NULL`),
			homeID, c.Provider, c.Subject))
		switch {
		case err == sql.ErrNoRows:
		case err != nil:
			return err
		default:
			pre, preID, role, how = p, p.ID, p.Role, partnerhub.AdmittedPreAuth
		}
		var rule *partnerhub.RoleRule
		if pre == nil {
			rules, err := db.roleRules(ctx, tx, homeID)
			if err != nil {
				return err
			}
			for i := range rules {
				if rules[i].Matches(&c) && (rule == nil || partnerhub.StrongerRole(rules[i].Role, rule.Role)) {
					rule = &rules[i]
				}
			}
			if rule == nil {
				return partnerhub.Errorf(partnerhub.ENotFound, "error.not_found")
			}
			role, how = rule.Role, partnerhub.AdmittedRoleRule
		}
		email := partnerhub.NormalizeEmail(c.Email)
		if a, err := mail.ParseAddress(email); email == "" || err != nil || a.Address != email {
			return &partnerhub.Error{Code: partnerhub.EConflict, Message: "error.sso_no_email",
				Fields: partnerhub.FieldErrors{"email": {Key: "sso_no_email"}}}
		}
		var taken int
		if err := tx.QueryRowContext(ctx, db.q(`SELECT count(*) FROM users WHERE email = ?`), email).Scan(&taken); err != nil {
			return err
		}
		if taken > 0 {
			return &partnerhub.Error{Code: partnerhub.EConflict, Message: "error.sso_email_taken",
				Fields: partnerhub.FieldErrors{"email": {Key: "sso_email_taken"}}}
		}
		name := strings.TrimSpace(c.Name)
		if name == "" {
			name = email
		}
		u = &partnerhub.User{Email: email, Name: name, Role: role, Home: home, Units: []string{}, Version: 1, CreatedAt: now}
		if err := u.Validate(); err != nil {
			u.Name = email
		}
		lang := c.Lang
		if _, ok := partnerhub.ParseLang(string(lang)); !ok {
			lang = ""
		}
		err = tx.QueryRowContext(ctx, db.q(`INSERT INTO users (home_id, email, name, password_hash, role, disabled, created_at, version, must_change_password, network_admin, language)
			VALUES (?, ?, ?, '', ?, ?, ?, 1, ?, ?, ?) RETURNING id`), homeID, u.Email, u.Name, string(u.Role), false, now, false, false, string(lang)).Scan(&u.ID)
		if db.dialect.isUnique(err) {
			return &partnerhub.Error{Code: partnerhub.EConflict, Message: "error.sso_email_taken",
				Fields: partnerhub.FieldErrors{"email": {Key: "sso_email_taken"}}}
		}
		if err != nil {
			return err
		}
		if err := db.auditUser(ctx, tx, homeID, partnerhub.ActionCreate, u.ID, nil, u); err != nil {
			return err
		}
		if pre != nil {
			before := *pre
			pre.UsedAt, pre.UserID = &now, u.ID
			if _, err := tx.ExecContext(ctx, db.q(`UPDATE sso_preauthorisations SET used_at = ?, user_id = ? WHERE id = ?`), now, u.ID, preID); err != nil {
				return err
			}
			if err := db.auditSSO(ctx, tx, homeID, nil, identityKey(c.Protocol, c.Provider, c.Subject), partnerhub.ActionUpdate,
				partnerhub.EntityPreAuthorisation, preAuthKey(pre), preAuthAuditOf(&before), preAuthAuditOf(pre), now); err != nil {
				return err
			}
		}
		via := string(how)
		if rule != nil {
			via += " " + rule.Provider + " " + rule.Affiliation + " " + string(rule.Role)
		}
		return db.linkIdentity(ctx, tx, homeID, nil, u, &c, via, now)
	})
	if err != nil {
		return nil, "", err
	}
	return u, how, nil
}

// LinkIdentity links c to user's own account; linking it again is no
// change. The caller has checked that the user proved both.
func (db *DB) LinkIdentity(ctx context.Context, user *partnerhub.User, c partnerhub.FederatedClaim, now time.Time) error {
	if err := claimOK(&c); err != nil {
		return err
	}
	now = dbTime(now)
	return db.tx(ctx, func(tx *sql.Tx) error {
		homeID, err := db.homeID(ctx, tx, user.Home)
		if err != nil {
			return err
		}
		var owner int64
		err = tx.QueryRowContext(ctx, db.q(`SELECT user_id FROM federated_identities WHERE home_id = ? AND protocol = ? AND provider = ? AND subject = ?`),
			homeID, c.Protocol, c.Provider, c.Subject).Scan(&owner)
		switch {
		case err == sql.ErrNoRows:
		case err != nil:
			return err
		case owner == user.ID:
			_, err := tx.ExecContext(ctx, db.q(`UPDATE federated_identities SET last_seen_at = ?, attributes = ? WHERE home_id = ? AND protocol = ? AND provider = ? AND subject = ?`),
				now, snapshotOf(&c), homeID, c.Protocol, c.Provider, c.Subject)
			return err
		default:
			return errIdentityTaken()
		}
		return db.linkIdentity(ctx, tx, homeID, user, user, &c, "account", now)
	})
}

// UnlinkIdentity removes one of user's identities. An account without a
// password keeps its last identity, its only way in (EConflict).
func (db *DB) UnlinkIdentity(ctx context.Context, user *partnerhub.User, id int64, now time.Time) error {
	now = dbTime(now)
	return db.tx(ctx, func(tx *sql.Tx) error {
		var f partnerhub.FederatedIdentity
		var homeID int64
		err := tx.QueryRowContext(ctx, db.q(`SELECT home_id, protocol, provider, subject FROM federated_identities WHERE id = ? AND user_id = ?`), id, user.ID).
			Scan(&homeID, &f.Protocol, &f.Provider, &f.Subject)
		if err == sql.ErrNoRows {
			return partnerhub.Errorf(partnerhub.ENotFound, "error.sso_identity_not_found")
		}
		if err != nil {
			return err
		}
		var hash string
		var n int
		if err := tx.QueryRowContext(ctx, db.q(`SELECT password_hash FROM users WHERE id = ?`), user.ID).Scan(&hash); err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, db.q(`SELECT count(*) FROM federated_identities WHERE user_id = ?`), user.ID).Scan(&n); err != nil {
			return err
		}
		if hash == "" && n <= 1 {
			return partnerhub.Errorf(partnerhub.EConflict, "error.sso_last_identity")
		}
		if _, err := tx.ExecContext(ctx, db.q(`DELETE FROM federated_identities WHERE id = ?`), id); err != nil {
			return err
		}
		key := identityKey(f.Protocol, f.Provider, f.Subject)
		return db.auditSSO(ctx, tx, homeID, user, "", partnerhub.ActionDelete, partnerhub.EntityFederatedIdentity, key,
			identityAudit{Protocol: f.Protocol, Provider: f.Provider, Subject: f.Subject, UserID: user.ID, Email: user.Email, Via: "account"}, nil, now)
	})
}

// FederatedIdentities lists a user's identities, oldest first.
func (db *DB) FederatedIdentities(ctx context.Context, userID int64) ([]partnerhub.FederatedIdentity, error) {
	rows, err := db.read.QueryContext(ctx, db.q(`SELECT id, user_id, protocol, provider, subject, attributes, first_seen_at, last_seen_at
		FROM federated_identities WHERE user_id = ? ORDER BY id`), userID)
	if err != nil {
		return nil, wrap("list federated identities", err)
	}
	defer rows.Close()
	out := []partnerhub.FederatedIdentity{}
	for rows.Next() {
		var f partnerhub.FederatedIdentity
		if err := rows.Scan(&f.ID, &f.UserID, &f.Protocol, &f.Provider, &f.Subject, &f.Attributes, &f.FirstSeenAt, &f.LastSeenAt); err != nil {
			return nil, err
		}
		f.FirstSeenAt, f.LastSeenAt = f.FirstSeenAt.UTC(), f.LastSeenAt.UTC()
		out = append(out, f)
	}
	return out, rows.Err()
}

// HasPassword reports whether a user has a password to sign in with.
func (db *DB) HasPassword(ctx context.Context, userID int64) (bool, error) {
	var hash string
	err := db.read.QueryRowContext(ctx, db.q(`SELECT password_hash FROM users WHERE id = ?`), userID).Scan(&hash)
	if err == sql.ErrNoRows {
		return false, errUserNotFound(userID)
	}
	if err != nil {
		return false, err
	}
	return hash != "", nil
}
