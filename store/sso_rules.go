package store

// The administrators' rules of who single sign-on admits: pre-authorised
// identities and role rules, each change audited.

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
	"time"

	"partnerhub"
)

const preAuthCols = `SELECT p.id, p.provider, p.subject, p.role, COALESCE(p.created_by, 0), p.creator, p.created_at, p.used_at, COALESCE(p.user_id, 0)
	FROM sso_preauthorisations p `

func scanPreAuth(row rowScanner) (*partnerhub.PreAuthorisation, error) {
	p := &partnerhub.PreAuthorisation{}
	var role string
	var used sql.NullTime
	if err := row.Scan(&p.ID, &p.Provider, &p.Subject, &role, &p.CreatedBy, &p.Creator, &p.CreatedAt, &used, &p.UserID); err != nil {
		return nil, err
	}
	p.Role, p.CreatedAt = partnerhub.Role(role), p.CreatedAt.UTC()
	if used.Valid {
		t := used.Time.UTC()
		p.UsedAt = &t
	}
	return p, nil
}

func preAuthKey(p *partnerhub.PreAuthorisation) string {
	return p.Subject + "@" + p.Provider + "#" + strconv.FormatInt(p.ID, 10)
}

// preAuthAudit is a pre-authorisation as the audit log shows it.
type preAuthAudit struct {
	Provider string          `json:"provider"`
	Subject  string          `json:"subject"`
	Role     partnerhub.Role `json:"role"`
	Used     bool            `json:"used,omitempty"`
	UserID   int64           `json:"user_id,omitempty"`
}

func preAuthAuditOf(p *partnerhub.PreAuthorisation) any {
	return preAuthAudit{Provider: p.Provider, Subject: p.Subject, Role: p.Role, Used: p.UsedAt != nil, UserID: p.UserID}
}

// PreAuthorisations lists the pre-authorisations of home, newest first.
func (db *DB) PreAuthorisations(ctx context.Context, actor *partnerhub.User, home string) ([]partnerhub.PreAuthorisation, error) {
	if err := authorizeSSOAdmin(actor, home); err != nil {
		return nil, err
	}
	rows, err := db.read.QueryContext(ctx, db.q(preAuthCols+`JOIN home_institutions h ON h.id = p.home_id WHERE h.slug = ? ORDER BY p.id DESC`), home)
	if err != nil {
		return nil, wrap("list pre-authorisations", err)
	}
	defer rows.Close()
	out := []partnerhub.PreAuthorisation{}
	for rows.Next() {
		p, err := scanPreAuth(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *p)
	}
	return out, rows.Err()
}

// AddPreAuthorisation lets the identity (p.Provider, p.Subject) have an
// account with p.Role at its first sign-in. Bad input is an EInvalid
// error at its field; an identity pre-authorised already, at "subject".
func (db *DB) AddPreAuthorisation(ctx context.Context, actor *partnerhub.User, home string, p partnerhub.PreAuthorisation, now time.Time) (*partnerhub.PreAuthorisation, error) {
	if err := authorizeSSOAdmin(actor, home); err != nil {
		return nil, err
	}
	p.Provider, p.Subject = strings.TrimSpace(p.Provider), strings.TrimSpace(p.Subject)
	if err := p.Validate(); err != nil {
		return nil, err
	}
	now = dbTime(now)
	p.CreatedBy, p.Creator, p.CreatedAt, p.UsedAt, p.UserID = actor.ID, cmpOr(actor.Name, actor.Email), now, nil, 0
	err := db.tx(ctx, func(tx *sql.Tx) error {
		homeID, err := db.homeID(ctx, tx, home)
		if err != nil {
			return err
		}
		var by any
		if actor.ID != 0 {
			by = actor.ID
		}
		err = tx.QueryRowContext(ctx, db.q(`INSERT INTO sso_preauthorisations (home_id, provider, subject, role, created_by, creator, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`), homeID, p.Provider, p.Subject, string(p.Role), by, p.Creator, now).Scan(&p.ID)
		if db.dialect.isUnique(err) {
			return fieldError("subject", "sso_preauth_exists")
		}
		if err != nil {
			return err
		}
		return db.auditSSO(ctx, tx, homeID, actor, "", partnerhub.ActionCreate, partnerhub.EntityPreAuthorisation, preAuthKey(&p), nil, preAuthAuditOf(&p), now)
	})
	if err != nil {
		return nil, err
	}
	return &p, nil
}

// RemovePreAuthorisation removes a pre-authorisation; an account it made
// stays.
func (db *DB) RemovePreAuthorisation(ctx context.Context, actor *partnerhub.User, home string, id int64, now time.Time) error {
	if err := authorizeSSOAdmin(actor, home); err != nil {
		return err
	}
	return db.tx(ctx, func(tx *sql.Tx) error {
		homeID, err := db.homeID(ctx, tx, home)
		if err != nil {
			return err
		}
		p, err := scanPreAuth(tx.QueryRowContext(ctx, db.q(preAuthCols+`WHERE p.home_id = ? AND p.id = ?`), homeID, id))
		if err == sql.ErrNoRows {
			return partnerhub.Errorf(partnerhub.ENotFound, "error.sso_preauth_not_found")
		}
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, db.q(`DELETE FROM sso_preauthorisations WHERE id = ?`), id); err != nil {
			return err
		}
		return db.auditSSO(ctx, tx, homeID, actor, "", partnerhub.ActionDelete, partnerhub.EntityPreAuthorisation, preAuthKey(p), preAuthAuditOf(p), nil, now)
	})
}

const roleRuleCols = `SELECT r.id, r.provider, r.affiliation, r.role, COALESCE(r.created_by, 0), r.creator, r.created_at FROM sso_role_rules r `

func scanRoleRule(row rowScanner) (*partnerhub.RoleRule, error) {
	r := &partnerhub.RoleRule{}
	var role string
	if err := row.Scan(&r.ID, &r.Provider, &r.Affiliation, &role, &r.CreatedBy, &r.Creator, &r.CreatedAt); err != nil {
		return nil, err
	}
	r.Role, r.CreatedAt = partnerhub.Role(role), r.CreatedAt.UTC()
	return r, nil
}

func roleRuleKey(r *partnerhub.RoleRule) string {
	return r.Affiliation + "@" + r.Provider + "#" + strconv.FormatInt(r.ID, 10)
}

type roleRuleAudit struct {
	Provider    string          `json:"provider"`
	Affiliation string          `json:"affiliation"`
	Role        partnerhub.Role `json:"role"`
}

func roleRuleAuditOf(r *partnerhub.RoleRule) any {
	return roleRuleAudit{Provider: r.Provider, Affiliation: r.Affiliation, Role: r.Role}
}

// roleRules reads the rules of a home, by provider and affiliation.
func (db *DB) roleRules(ctx context.Context, q querier, homeID int64) ([]partnerhub.RoleRule, error) {
	rows, err := q.QueryContext(ctx, db.q(roleRuleCols+`WHERE r.home_id = ? ORDER BY r.provider, r.affiliation, r.id`), homeID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []partnerhub.RoleRule{}
	for rows.Next() {
		r, err := scanRoleRule(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *r)
	}
	return out, rows.Err()
}

// RoleRules lists the role rules of home, by provider and affiliation.
func (db *DB) RoleRules(ctx context.Context, actor *partnerhub.User, home string) ([]partnerhub.RoleRule, error) {
	if err := authorizeSSOAdmin(actor, home); err != nil {
		return nil, err
	}
	homeID, err := db.homeID(ctx, db.read, home)
	if err != nil {
		return nil, err
	}
	out, err := db.roleRules(ctx, db.read, homeID)
	return out, wrap("list role rules", err)
}

// AddRoleRule adds a role rule. Bad input is an EInvalid error at its
// field; a rule of the same provider and affiliation, at "affiliation".
func (db *DB) AddRoleRule(ctx context.Context, actor *partnerhub.User, home string, r partnerhub.RoleRule, now time.Time) (*partnerhub.RoleRule, error) {
	if err := authorizeSSOAdmin(actor, home); err != nil {
		return nil, err
	}
	r.Provider, r.Affiliation = strings.TrimSpace(r.Provider), strings.ToLower(strings.TrimSpace(r.Affiliation))
	if err := r.Validate(); err != nil {
		return nil, err
	}
	now = dbTime(now)
	r.CreatedBy, r.Creator, r.CreatedAt = actor.ID, cmpOr(actor.Name, actor.Email), now
	err := db.tx(ctx, func(tx *sql.Tx) error {
		homeID, err := db.homeID(ctx, tx, home)
		if err != nil {
			return err
		}
		var by any
		if actor.ID != 0 {
			by = actor.ID
		}
		err = tx.QueryRowContext(ctx, db.q(`INSERT INTO sso_role_rules (home_id, provider, affiliation, role, created_by, creator, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`), homeID, r.Provider, r.Affiliation, string(r.Role), by, r.Creator, now).Scan(&r.ID)
		if db.dialect.isUnique(err) {
			return fieldError("affiliation", "sso_rule_exists")
		}
		if err != nil {
			return err
		}
		return db.auditSSO(ctx, tx, homeID, actor, "", partnerhub.ActionCreate, partnerhub.EntityRoleRule, roleRuleKey(&r), nil, roleRuleAuditOf(&r), now)
	})
	if err != nil {
		return nil, err
	}
	return &r, nil
}

// RemoveRoleRule removes a role rule; the accounts it made keep their
// role.
func (db *DB) RemoveRoleRule(ctx context.Context, actor *partnerhub.User, home string, id int64, now time.Time) error {
	if err := authorizeSSOAdmin(actor, home); err != nil {
		return err
	}
	return db.tx(ctx, func(tx *sql.Tx) error {
		homeID, err := db.homeID(ctx, tx, home)
		if err != nil {
			return err
		}
		r, err := scanRoleRule(tx.QueryRowContext(ctx, db.q(roleRuleCols+`WHERE r.home_id = ? AND r.id = ?`), homeID, id))
		if err == sql.ErrNoRows {
			return partnerhub.Errorf(partnerhub.ENotFound, "error.sso_rule_not_found")
		}
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, db.q(`DELETE FROM sso_role_rules WHERE id = ?`), id); err != nil {
			return err
		}
		return db.auditSSO(ctx, tx, homeID, actor, "", partnerhub.ActionDelete, partnerhub.EntityRoleRule, roleRuleKey(r), roleRuleAuditOf(r), nil, now)
	})
}
