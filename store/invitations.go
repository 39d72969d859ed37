package store

// Invitations (partnerhub.Invitation): a single-use, expiring link by mail
// that makes an account. Only the SHA-256 of the link's token is kept, as
// for sessions. Every change is audited, and its mail written to the
// outbox in the same transaction.

import (
	"context"
	"database/sql"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"partnerhub"
	"partnerhub/authn"
)

// invitationPrefix starts every invitation token, so that one is told from
// a session's or an API token's in a leaked log.
const invitationPrefix = "phi_"

// invitationThrottleKey is the "account" that failed look-ups of tokens
// are counted against, by address, with the sign-in's throttle: no real
// address looks like it (it has no @).
const invitationThrottleKey = "invitation-token"

// AcceptHook runs inside the transaction that accepts an invitation (or
// that invites an address which already has an account): userID is the
// account, grants the InvitationSpec.Grants the invitation was made with
// (empty when none). An error rolls the acceptance back. A feature that
// grants its own roles (a fund's) registers one with AddAcceptHook; it
// ignores grants that are not its own.
type AcceptHook func(ctx context.Context, tx *sql.Tx, userID int64, grants []byte) error

// AddAcceptHook registers h, run on every acceptance after those added
// before. Call it before the store serves requests.
func (db *DB) AddAcceptHook(h AcceptHook) { db.acceptHooks = append(db.acceptHooks, h) }

func (db *DB) runAcceptHooks(ctx context.Context, tx *sql.Tx, userID int64, grants []byte) error {
	for _, h := range db.acceptHooks {
		if err := h(ctx, tx, userID, grants); err != nil {
			return err
		}
	}
	return nil
}

func errInvitationNotFound() error {
	return partnerhub.Errorf(partnerhub.ENotFound, "error.invitation_not_found")
}

// errInvitationState says why an invitation in state st no longer serves.
func errInvitationState(code string, st partnerhub.InvitationState) error {
	key := "error.invitation_expired"
	switch st {
	case partnerhub.InvitationAccepted:
		key = "error.invitation_accepted"
	case partnerhub.InvitationRevoked:
		key = "error.invitation_revoked"
	}
	return partnerhub.Errorf(code, key)
}

// authorizeInvite answers whether actor may invite to home. An
// administrator may invite anyone. Any other user of the home may invite a
// guest only, and only with Grants: through a feature that invites for its
// own purpose (a fund's applicant inviting a co-applicant from the partner
// university, a committee chair inviting a reviewer), which has checked
// that the actor may give what the grants say. Without grants, an
// invitation would give the guest nothing but an account.
func authorizeInvite(actor *partnerhub.User, home string, spec *partnerhub.InvitationSpec) error {
	if err := partnerhub.AuthorizeHome(actor, home); err != nil {
		return err
	}
	if actor.Role == partnerhub.RoleAdmin {
		return nil
	}
	if spec != nil && len(spec.Grants) > 0 && spec.Role == partnerhub.RoleGuest {
		return nil
	}
	return partnerhub.Errorf(partnerhub.EForbidden, "error.admins_only")
}

// authorizeInvitation answers whether actor may see, resend or revoke inv:
// an administrator, or whoever made it.
func authorizeInvitation(actor *partnerhub.User, home string, inv *partnerhub.Invitation) error {
	if err := partnerhub.AuthorizeHome(actor, home); err != nil {
		return err
	}
	if actor.Role == partnerhub.RoleAdmin || (inv != nil && inv.InvitedBy != 0 && inv.InvitedBy == actor.ID) {
		return nil
	}
	return partnerhub.Errorf(partnerhub.EForbidden, "error.admins_only")
}

// Invite invites a person by e-mail to home, as actor, and writes the mail
// with the link ({BaseURL}/{lang}/invitations/{token}) to the outbox in the
// same transaction, in spec.Lang. The returned invitation carries the raw
// token in Token, which is never stored; spec's zero Role is a guest, zero
// ExpiresIn seven days. Who may invite: see authorizeInvite.
//
// An address that already has an account of home makes no second one: the
// invitation is accepted at once for that account (ExistingAccount, UserID),
// the AcceptHooks run for it in this transaction, and the mail asks its
// holder to sign in as usual. The account keeps its role. An address of
// another home's account, or of a disabled one, is refused at "email".
// An address with a pending invitation gets a second one: whichever link
// is used, every pending invitation of the address is accepted for the
// account it makes, each with its own grants.
func (db *DB) Invite(ctx context.Context, actor *partnerhub.User, home string, spec partnerhub.InvitationSpec, now time.Time) (*partnerhub.Invitation, error) {
	var inv *partnerhub.Invitation
	err := db.tx(ctx, func(tx *sql.Tx) error {
		var err error
		inv, err = db.invite(ctx, tx, actor, home, spec, now)
		return err
	})
	if err != nil {
		return nil, err
	}
	return inv, nil
}

// invite is Invite in the caller's transaction, for a feature that
// invites the people a record of its names (a proposal's co-lead), so
// that the record and its invitations are written together or not at all.
func (db *DB) invite(ctx context.Context, tx *sql.Tx, actor *partnerhub.User, home string, spec partnerhub.InvitationSpec, now time.Time) (*partnerhub.Invitation, error) {
	spec.Email = partnerhub.NormalizeEmail(spec.Email)
	spec.Name = strings.TrimSpace(spec.Name)
	spec.Note.Ja, spec.Note.En = strings.TrimSpace(spec.Note.Ja), strings.TrimSpace(spec.Note.En)
	if spec.Role == "" {
		spec.Role = partnerhub.RoleGuest
	}
	if spec.ExpiresIn == 0 {
		spec.ExpiresIn = partnerhub.DefaultInvitationLifetime
	}
	if partnerhub.MemberAdminInvitation(actor, &spec) {
		// A network administrator invites a member's administrator, in
		// whichever member: the account is made there, not in theirs.
	} else if err := authorizeInvite(actor, home, &spec); err != nil {
		return nil, err
	}
	if err := spec.ValidateFor(actor); err != nil {
		return nil, err
	}
	now = dbTime(now)
	raw, hash := authn.NewSecret(invitationPrefix)
	inv := &partnerhub.Invitation{Home: home, Email: spec.Email, Name: spec.Name, Lang: spec.Lang, Role: spec.Role,
		Note: spec.Note, Grants: spec.Grants, InvitedBy: actor.ID, Inviter: cmpOr(actor.Name, actor.Email),
		CreatedAt: now, SentAt: now, Sends: 1, ExpiresAt: dbTime(now.Add(spec.ExpiresIn)), Version: 1}
	err := func() error {
		homeID, err := db.homeID(ctx, tx, home)
		if err != nil {
			return err
		}
		var userID int64
		var userHome int64
		var disabled bool
		err = tx.QueryRowContext(ctx, db.q(`SELECT id, home_id, disabled FROM users WHERE email = ?`), spec.Email).Scan(&userID, &userHome, &disabled)
		switch {
		case err == sql.ErrNoRows:
			userID = 0
		case err != nil:
			return err
		case userHome != homeID:
			return invitationEmailError("invitation_other_home")
		case disabled:
			return invitationEmailError("invitation_account_disabled")
		default:
			inv.ExistingAccount, inv.UserID, inv.AcceptedAt = true, userID, &now
		}
		var invitedBy any
		if actor.ID != 0 {
			invitedBy = actor.ID
		}
		var accepted, user any
		if inv.ExistingAccount {
			accepted, user = now, userID
		}
		err = tx.QueryRowContext(ctx, db.q(`INSERT INTO invitations (home_id, email, name, language, role, note_ja, note_en, grants,
			token_hash, invited_by, inviter, created_at, sent_at, sends, lifetime_seconds, expires_at, accepted_at, user_id, existing_account, version)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?, 1) RETURNING id`),
			homeID, inv.Email, inv.Name, string(inv.Lang), string(inv.Role), inv.Note.Ja, inv.Note.En, string(inv.Grants),
			hash, invitedBy, inv.Inviter, now, now, int64(spec.ExpiresIn/time.Second), inv.ExpiresAt, accepted, user, inv.ExistingAccount).Scan(&inv.ID)
		if err != nil {
			return err
		}
		if inv.ExistingAccount {
			if err := db.runAcceptHooks(ctx, tx, userID, inv.Grants); err != nil {
				return err
			}
		}
		if err := db.invitationMail(ctx, tx, inv, raw, now); err != nil {
			return err
		}
		return db.auditInvitation(ctx, tx, homeID, actor, partnerhub.ActionCreate, "", inv, nil, inv, now)
	}()
	if err != nil {
		return nil, err
	}
	if !inv.ExistingAccount {
		inv.Token = raw
	}
	return inv, nil
}

func cmpOr(a, b string) string {
	if strings.TrimSpace(a) != "" {
		return a
	}
	return b
}

func invitationEmailError(key string) error {
	return &partnerhub.Error{Code: partnerhub.EInvalid, Message: "error.invalid",
		Fields: partnerhub.FieldErrors{"email": {Key: key}}}
}

// invitationMail writes the mail of inv (with the raw token of its link)
// to the outbox, in tx; nothing without a composer (SetMail).
func (db *DB) invitationMail(ctx context.Context, tx *sql.Tx, inv *partnerhub.Invitation, raw string, now time.Time) error {
	if db.mail == nil {
		return nil
	}
	homeID, err := db.homeID(ctx, tx, inv.Home)
	if err != nil {
		return err
	}
	c, err := db.mailFor(ctx, tx, homeID)
	if err != nil {
		return err
	}
	m, err := c.Invitation(inv, raw)
	if err != nil {
		return err
	}
	return db.EnqueueMail(ctx, tx, m, now)
}

// invitationAudit is an invitation as the audit log shows it: never its
// token, nor the feature's grants.
type invitationAudit struct {
	Email    string                     `json:"email"`
	Name     string                     `json:"name"`
	Role     partnerhub.Role            `json:"role"`
	Lang     partnerhub.Lang            `json:"lang"`
	State    partnerhub.InvitationState `json:"state"`
	Expires  time.Time                  `json:"expires_at"`
	Sends    int                        `json:"sends"`
	UserID   int64                      `json:"user_id,omitempty"`
	Existing bool                       `json:"existing_account,omitempty"`
	Grants   bool                       `json:"grants,omitempty"`
}

func auditOf(inv *partnerhub.Invitation, now time.Time) any {
	if inv == nil {
		return nil
	}
	return invitationAudit{Email: inv.Email, Name: inv.Name, Role: inv.Role, Lang: inv.Lang, State: inv.State(now),
		Expires: inv.ExpiresAt, Sends: inv.Sends, UserID: inv.UserID, Existing: inv.ExistingAccount, Grants: len(inv.Grants) > 0}
}

// auditInvitation records a change of an invitation; actor nil is the
// invitee (who accepts, with no account yet), named by the address.
func (db *DB) auditInvitation(ctx context.Context, tx *sql.Tx, homeID int64, actor *partnerhub.User, action partnerhub.Action,
	verb partnerhub.Verb, inv, before, after *partnerhub.Invitation, now time.Time) error {
	enc := func(v any) any {
		if v == nil {
			return nil
		}
		b, _ := json.Marshal(v)
		return string(b)
	}
	var userID any
	name := inv.Email
	if actor != nil {
		name = actor.Email
		if actor.ID != 0 {
			userID = actor.ID
		}
	}
	var b, a any
	if before != nil {
		b = enc(auditOf(before, now))
	}
	if after != nil {
		a = enc(auditOf(after, now))
	}
	_, err := tx.ExecContext(ctx, db.q(`INSERT INTO audit_events (home_id, at, user_id, actor, action, entity, entity_key, version, before_json, after_json, verb, comment)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '')`), homeID, dbTime(now), userID, name, action, partnerhub.EntityInvitation,
		invitationKey(inv), inv.Version, b, a, verb)
	return err
}

// invitationKey names an invitation in the audit log: its id and address.
func invitationKey(inv *partnerhub.Invitation) string {
	return inv.Email + "#" + itoa(inv.ID)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

const invitationCols = `SELECT i.id, h.slug, i.email, i.name, i.language, i.role, i.note_ja, i.note_en, i.grants,
	COALESCE(i.invited_by, 0), i.inviter, i.created_at, i.sent_at, i.sends, i.expires_at, i.accepted_at,
	COALESCE(i.user_id, 0), i.existing_account, i.revoked_at, i.version
	FROM invitations i JOIN home_institutions h ON h.id = i.home_id `

func scanInvitation(row rowScanner) (*partnerhub.Invitation, error) {
	inv := &partnerhub.Invitation{}
	var lang, role, grants string
	var accepted, revoked sql.NullTime
	if err := row.Scan(&inv.ID, &inv.Home, &inv.Email, &inv.Name, &lang, &role, &inv.Note.Ja, &inv.Note.En, &grants,
		&inv.InvitedBy, &inv.Inviter, &inv.CreatedAt, &inv.SentAt, &inv.Sends, &inv.ExpiresAt, &accepted,
		&inv.UserID, &inv.ExistingAccount, &revoked, &inv.Version); err != nil {
		return nil, err
	}
	inv.Lang, inv.Role = partnerhub.Lang(lang), partnerhub.Role(role)
	if grants != "" {
		inv.Grants = []byte(grants)
	}
	inv.CreatedAt, inv.SentAt, inv.ExpiresAt = inv.CreatedAt.UTC(), inv.SentAt.UTC(), inv.ExpiresAt.UTC()
	if accepted.Valid {
		t := accepted.Time.UTC()
		inv.AcceptedAt = &t
	}
	if revoked.Valid {
		t := revoked.Time.UTC()
		inv.RevokedAt = &t
	}
	return inv, nil
}

// Invitations lists the invitations of home, newest first: all of them
// for an administrator, their own for anyone else.
func (db *DB) Invitations(ctx context.Context, actor *partnerhub.User, home string) ([]partnerhub.Invitation, error) {
	if err := partnerhub.AuthorizeHome(actor, home); err != nil {
		return nil, err
	}
	where, args := `WHERE h.slug = ?`, []any{home}
	if actor.Role != partnerhub.RoleAdmin {
		where, args = where+` AND i.invited_by = ?`, append(args, actor.ID)
	}
	rows, err := db.read.QueryContext(ctx, db.q(invitationCols+where+` ORDER BY i.id DESC`), args...)
	if err != nil {
		return nil, wrap("list invitations", err)
	}
	defer rows.Close()
	out := []partnerhub.Invitation{}
	for rows.Next() {
		inv, err := scanInvitation(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *inv)
	}
	return out, rows.Err()
}

// invitationByID reads an invitation of home in tx.
func (db *DB) invitationByID(ctx context.Context, tx *sql.Tx, home string, id int64) (*partnerhub.Invitation, error) {
	inv, err := scanInvitation(tx.QueryRowContext(ctx, db.q(invitationCols+`WHERE h.slug = ? AND i.id = ?`), home, id))
	if err == sql.ErrNoRows {
		return nil, errInvitationNotFound()
	}
	return inv, err
}

// ResendInvitation sends a pending or expired invitation again with a new
// token, which voids the one before, and a new expiry as long as the
// first. An accepted or revoked invitation is not sent again (EConflict).
func (db *DB) ResendInvitation(ctx context.Context, actor *partnerhub.User, home string, id int64, now time.Time) (*partnerhub.Invitation, error) {
	now = dbTime(now)
	raw, hash := authn.NewSecret(invitationPrefix)
	var out *partnerhub.Invitation
	err := db.tx(ctx, func(tx *sql.Tx) error {
		inv, err := db.invitationByID(ctx, tx, home, id)
		if err != nil {
			return err
		}
		if err := authorizeInvitation(actor, home, inv); err != nil {
			return err
		}
		if st := inv.State(now); st == partnerhub.InvitationAccepted || st == partnerhub.InvitationRevoked {
			return errInvitationState(partnerhub.EConflict, st)
		}
		var lifetime int64
		if err := tx.QueryRowContext(ctx, db.q(`SELECT lifetime_seconds FROM invitations WHERE id = ?`), id).Scan(&lifetime); err != nil {
			return err
		}
		before := *inv
		inv.SentAt, inv.Sends, inv.ExpiresAt, inv.Version = now, inv.Sends+1, dbTime(now.Add(time.Duration(lifetime)*time.Second)), inv.Version+1
		if _, err := tx.ExecContext(ctx, db.q(`UPDATE invitations SET token_hash = ?, sent_at = ?, sends = ?, expires_at = ?, version = ? WHERE id = ?`),
			hash, now, inv.Sends, inv.ExpiresAt, inv.Version, id); err != nil {
			return err
		}
		if err := db.invitationMail(ctx, tx, inv, raw, now); err != nil {
			return err
		}
		homeID, err := db.homeID(ctx, tx, home)
		if err != nil {
			return err
		}
		out = inv
		return db.auditInvitation(ctx, tx, homeID, actor, partnerhub.ActionUpdate, "resend", inv, &before, inv, now)
	})
	if err != nil {
		return nil, err
	}
	out.Token = raw
	return out, nil
}

// RevokeInvitation voids a pending or expired invitation: its link no
// longer works and it cannot be sent again. Revoking one accepted is a
// conflict (the account is the office's to disable); one revoked already
// is left as it is.
func (db *DB) RevokeInvitation(ctx context.Context, actor *partnerhub.User, home string, id int64, now time.Time) error {
	now = dbTime(now)
	return db.tx(ctx, func(tx *sql.Tx) error {
		inv, err := db.invitationByID(ctx, tx, home, id)
		if err != nil {
			return err
		}
		if err := authorizeInvitation(actor, home, inv); err != nil {
			return err
		}
		switch inv.State(now) {
		case partnerhub.InvitationRevoked:
			return nil
		case partnerhub.InvitationAccepted:
			return partnerhub.Errorf(partnerhub.EConflict, "error.invitation_accepted")
		}
		before := *inv
		inv.RevokedAt, inv.Version = &now, inv.Version+1
		if _, err := tx.ExecContext(ctx, db.q(`UPDATE invitations SET revoked_at = ?, version = ? WHERE id = ?`), now, inv.Version, id); err != nil {
			return err
		}
		homeID, err := db.homeID(ctx, tx, home)
		if err != nil {
			return err
		}
		return db.auditInvitation(ctx, tx, homeID, actor, partnerhub.ActionUpdate, "revoke", inv, &before, inv, now)
	})
}

// throttleInvitation refuses a look-up of a token from an address that
// has guessed too many, with the sign-in's rules (authn.Throttle).
func (db *DB) throttleInvitation(ctx context.Context, ip string, now time.Time) error {
	st, err := db.FailureStats(ctx, authn.FailureQuery{Email: invitationThrottleKey, IP: ip,
		PairSince: now.Add(-authn.PairWindow), AccountSince: now.Add(-authn.AccountWindow), AddressSince: now.Add(-authn.AddressWindow)})
	if err != nil {
		return err
	}
	return authn.Throttle(st, now)
}

// openInvitation finds the invitation of a token in q: ENotFound for none,
// EGone for one no longer pending.
func (db *DB) openInvitation(ctx context.Context, q queryRower, home, token string, now time.Time) (*partnerhub.Invitation, error) {
	var inv *partnerhub.Invitation
	err := sql.ErrNoRows
	if authn.PlausibleSecret(token, invitationPrefix) {
		inv, err = scanInvitation(q.QueryRowContext(ctx, db.q(invitationCols+`WHERE h.slug = ? AND i.token_hash = ?`), home, authn.SecretHash(token)))
	}
	if err == sql.ErrNoRows {
		return nil, errInvitationNotFound()
	}
	if err != nil {
		return nil, wrap("read invitation", err)
	}
	if st := inv.State(now); st != partnerhub.InvitationPending {
		return nil, errInvitationState(partnerhub.EGone, st)
	}
	return inv, nil
}

// OpenInvitation returns the pending invitation of a token, for the page
// of its link: ENotFound for an unknown token (which counts as a failed
// guess of ip), EGone for one expired, accepted or revoked, ETooMany (with
// an *authn.Wait) when ip must wait.
func (db *DB) OpenInvitation(ctx context.Context, home, token, ip string, now time.Time) (*partnerhub.Invitation, error) {
	if err := db.throttleInvitation(ctx, ip, now); err != nil {
		return nil, err
	}
	inv, err := db.openInvitation(ctx, db.read, home, token, now)
	return inv, db.countGuess(ctx, err, ip, now)
}

// countGuess counts a look-up of an unknown token as a failure of ip, and
// returns err.
func (db *DB) countGuess(ctx context.Context, err error, ip string, now time.Time) error {
	if partnerhub.ErrorCode(err) == partnerhub.ENotFound {
		if ferr := db.RecordFailure(ctx, invitationThrottleKey, ip, now, now.Add(-24*time.Hour)); ferr != nil {
			return ferr
		}
	}
	return err
}

// AcceptInvitation makes the account of a pending invitation: the
// invitee's name (a.Name) and password (checked like any other: long,
// not common, not made of their name or address), the invitation's role,
// and the language of its mail. Bad input is an EInvalid error with a
// message at "name" or "password", and nothing is written. In one
// transaction it marks the invitation (and any other pending one of the
// address) accepted, runs the AcceptHooks with each one's grants, and
// audits both. It returns the new user; the caller signs them in, and
// sends them to enrol a second factor.
func (db *DB) AcceptInvitation(ctx context.Context, home, token string, a partnerhub.Acceptance, now time.Time) (*partnerhub.User, error) {
	if err := db.throttleInvitation(ctx, a.IP, now); err != nil {
		return nil, err
	}
	inv, err := db.openInvitation(ctx, db.read, home, token, now)
	if err := db.countGuess(ctx, err, a.IP, now); err != nil {
		return nil, err
	}
	u := &partnerhub.User{Email: inv.Email, Name: strings.TrimSpace(a.Name), Role: inv.Role, Home: home, Units: []string{}, Version: 1}
	errs := partnerhub.FieldErrors{}
	if err := addFields(errs, u.Validate()); err != nil {
		return nil, err
	}
	pwCtx, err := db.passwordContext(ctx, home, u.Name, u.Email)
	if err != nil {
		return nil, err
	}
	if err := addFields(errs, authn.CheckPassword(a.Password, pwCtx)); err != nil {
		return nil, err
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	hash := authn.HashPassword(a.Password)
	now = dbTime(now)
	u.CreatedAt = now
	err = db.tx(ctx, func(tx *sql.Tx) error {
		_, _, err := db.makeInvitedAccount(ctx, tx, home, token, u, hash, now)
		return err
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}

// makeInvitedAccount makes, in tx, the account u (its password hash: ""
// for none) of the pending invitation of token, and accepts it with any
// other pending one of the address, running the AcceptHooks and auditing
// each. It returns the invitation and the home's id.
func (db *DB) makeInvitedAccount(ctx context.Context, tx *sql.Tx, home, token string, u *partnerhub.User, hash string, now time.Time) (*partnerhub.Invitation, int64, error) {
	// Again inside the transaction: two tabs may send the form at once.
	inv, err := db.openInvitation(ctx, tx, home, token, now)
	if err != nil {
		return nil, 0, err
	}
	homeID, err := db.homeID(ctx, tx, home)
	if err != nil {
		return nil, 0, err
	}
	var taken int
	if err := tx.QueryRowContext(ctx, db.q(`SELECT count(*) FROM users WHERE email = ?`), u.Email).Scan(&taken); err != nil {
		return nil, 0, err
	}
	if taken > 0 {
		// Made since the invitation (from the command line): it is
		// theirs to sign in with.
		return nil, 0, partnerhub.Errorf(partnerhub.EGone, "error.invitation_account_exists")
	}
	err = tx.QueryRowContext(ctx, db.q(`INSERT INTO users (home_id, email, name, password_hash, role, disabled, created_at, version, must_change_password, network_admin, language)
		VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?) RETURNING id`), homeID, u.Email, u.Name, hash, string(u.Role), false, now, false, false, string(inv.Lang)).Scan(&u.ID)
	if db.dialect.isUnique(err) {
		return nil, 0, partnerhub.Errorf(partnerhub.EGone, "error.invitation_account_exists")
	}
	if err != nil {
		return nil, 0, err
	}
	if err := db.auditUser(ctx, tx, homeID, partnerhub.ActionCreate, u.ID, nil, u); err != nil {
		return nil, 0, err
	}
	// This invitation first, then any other pending one of the address.
	others, err := db.pendingOf(ctx, tx, homeID, u.Email, inv.ID, now)
	if err != nil {
		return nil, 0, err
	}
	for _, o := range append([]*partnerhub.Invitation{inv}, others...) {
		before := *o
		o.AcceptedAt, o.UserID, o.Version = &now, u.ID, o.Version+1
		if _, err := tx.ExecContext(ctx, db.q(`UPDATE invitations SET accepted_at = ?, user_id = ?, version = ? WHERE id = ?`),
			now, u.ID, o.Version, o.ID); err != nil {
			return nil, 0, err
		}
		if err := db.runAcceptHooks(ctx, tx, u.ID, o.Grants); err != nil {
			return nil, 0, err
		}
		if err := db.auditInvitation(ctx, tx, homeID, nil, partnerhub.ActionUpdate, "accept", o, &before, o, now); err != nil {
			return nil, 0, err
		}
	}
	return inv, homeID, nil
}

// pendingOf returns the pending invitations of an address in a home but
// the one of id.
func (db *DB) pendingOf(ctx context.Context, tx *sql.Tx, homeID int64, email string, id int64, now time.Time) ([]*partnerhub.Invitation, error) {
	rows, err := tx.QueryContext(ctx, db.q(invitationCols+`WHERE i.home_id = ? AND i.email = ? AND i.id <> ?
		AND i.accepted_at IS NULL AND i.revoked_at IS NULL AND i.expires_at > ? ORDER BY i.id`), homeID, email, id, now)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*partnerhub.Invitation
	for rows.Next() {
		inv, err := scanInvitation(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, inv)
	}
	return out, rows.Err()
}
