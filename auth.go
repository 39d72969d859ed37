package partnerhub

import (
	"net/mail"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Codes of authorization errors.
const (
	EUnauthorized = "unauthorized" // nobody is signed in
	EForbidden    = "forbidden"    // the signed-in user may not do this
)

// Role is what a user may do.
type Role string

const (
	RoleAdmin       Role = "admin"       // everything, user management included
	RoleCoordinator Role = "coordinator" // the teams, agreements and activities of their units' partners
	RoleViewer      Role = "viewer"      // reads what the public does not see (drafts)
	// RoleGuest is a person from outside the office (a partner
	// university's staff, an applicant, a reviewer), who joins by
	// invitation. In the home they see only what the public sees, and
	// their own account; what else they may do (a fund's role) is granted
	// elsewhere, to their user id.
	RoleGuest Role = "guest"
)

var Roles = []Role{RoleAdmin, RoleCoordinator, RoleViewer, RoleGuest}

// User is a person who signs in. A user belongs to one home institution;
// a coordinator is granted units of it.
type User struct {
	ID       int64    `json:"id"`
	Home     string   `json:"home"`
	Email    string   `json:"email"`
	Name     string   `json:"name"`
	Role     Role     `json:"role"`
	Units    []string `json:"units"` // unit codes, for coordinators
	Disabled bool     `json:"disabled"`
	// MustChangePassword: the password was set by the programme office
	// (generated), and its holder may do nothing but change it.
	MustChangePassword bool `json:"must_change_password"`
	// NetworkAdmin may change the records every home shares (institutions
	// that more than one home uses), whatever the role in their own home.
	NetworkAdmin bool `json:"network_admin"`
	// NetworkEditor reviews and publishes the network's good-practice
	// notes and organises its events.
	NetworkEditor bool `json:"network_editor"`
	// SessionMFA is set on the holder of a session whose identity provider
	// vouched a multi-factor sign-in (SessionSpec.MFA): it stands for the
	// second factor they must have.
	SessionMFA bool      `json:"-"`
	CreatedAt  time.Time `json:"created_at"`
	Version    int       `json:"version"`
}

// NormalizeEmail lower-cases and trims an address, so sign-in ignores case.
func NormalizeEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

func (u *User) Validate() error {
	errs := FieldErrors{}
	if a, err := mail.ParseAddress(u.Email); err != nil || a.Address != u.Email || len(u.Email) > 254 {
		errs.Add("email", "bad_email")
	}
	if strings.TrimSpace(u.Name) == "" {
		errs.Add("name", "required")
	} else if utf8.RuneCountInString(u.Name) > 200 {
		errs.Add("name", "too_long_chars", 200)
	}
	validateEnum(errs, "role", u.Role, Roles, true)
	switch {
	case u.Role == RoleCoordinator && len(u.Units) == 0:
		errs.Add("units", "coordinator_units")
	case u.Role != RoleCoordinator && len(u.Units) > 0:
		errs.Add("units", "units_only_coordinator")
	}
	if u.Role == RoleGuest && u.NetworkAdmin {
		errs.Add("network_admin", "guest_network_admin")
	}
	return errs.Err()
}

// MinPasswordLen is the shortest password accepted, in characters.
const MinPasswordLen = 12

// ValidatePassword checks a new password.
func ValidatePassword(pw string) error {
	errs := FieldErrors{}
	switch n := utf8.RuneCountInString(pw); {
	case !utf8.ValidString(pw):
		errs.Add("password", "bad_utf8")
	case n < MinPasswordLen:
		errs.Add("password", "password_short", MinPasswordLen)
	case len(pw) > 1024:
		errs.Add("password", "too_long", 1024)
	}
	return errs.Err()
}

// Action is a kind of write.
type Action string

const (
	ActionCreate  Action = "create"
	ActionUpdate  Action = "update"
	ActionDelete  Action = "delete"
	ActionRestore Action = "restore"
	// ActionTransition moves a workflow's record by a verb.
	ActionTransition Action = "transition"
)

// Facts are what Authorize needs to know about a write besides who makes
// it: the store gathers them inside the write's transaction.
type Facts struct {
	// Partners are the partners the record concerns, before and after the
	// change.
	Partners []string
	// Team returns the unit codes of a partner's team in the current phase.
	Team func(partner string) []string
	// SharedWith are the other home institutions that use the record (an
	// institution of the shared registry that their records refer to),
	// besides the acting one; empty for a record only the acting home uses.
	SharedWith []string
	// Fund is what the actor holds in the fund a fund record belongs to,
	// and Proposal the proposal written (0 for the fund's own records).
	Fund     *FundAccess
	Proposal int64
	// Note is the good-practice note written, for EntityNote; Member the
	// member changed, for EntityMember.
	Note   *NoteFacts
	Member *MemberFacts
}

// Authorize answers who may do what. It is the one place where roles are
// enforced: the store calls it for every write, inside the write's
// transaction, with the facts it needs.
//
// A record that other homes use is shared: only a network administrator
// may change it, since one home's admin must not rename or delete what
// other programmes rely on.
func Authorize(u *User, action Action, entity Entity, f Facts) error {
	if u == nil {
		return Errorf(EUnauthorized, "error.unauthorized")
	}
	if u.Disabled {
		return Errorf(EUnauthorized, "error.unauthorized")
	}
	if entity == EntityInstitution && u.NetworkAdmin {
		return nil
	}
	if entity.InNetwork() {
		return authorizeNetwork(u, entity, f)
	}
	if entity.InFund() {
		// In a fund, a person's roles there decide, not their role in the
		// home: a partner's professor chairs a committee with none.
		return authorizeFund(f.Fund, action, entity, f.Proposal)
	}
	if err := authorizeRole(u, entity, f); err != nil {
		return err
	}
	if len(f.SharedWith) > 0 {
		return errShared(f.SharedWith)
	}
	return nil
}

// authorizeRole answers what the user's role in their own home allows.
func authorizeRole(u *User, entity Entity, f Facts) error {
	switch u.Role {
	case RoleAdmin:
		return nil
	case RoleCoordinator:
		if entity != EntityActivity && entity != EntityAgreement && entity != EntityTeam {
			return Errorf(EForbidden, "error.forbidden_entity")
		}
		if len(f.Partners) == 0 {
			return Errorf(EForbidden, "error.forbidden_programme")
		}
		for _, p := range f.Partners {
			if !slices.ContainsFunc(f.Team(p), func(code string) bool { return slices.Contains(u.Units, code) }) {
				return Errorf(EForbidden, "error.forbidden_partner", p)
			}
		}
		return nil
	}
	return Errorf(EForbidden, "error.forbidden_role")
}

// errShared refuses a change to a record other homes use; the form shows it
// by the record's key too.
func errShared(homes []string) error {
	list := strings.Join(homes, ", ")
	return &Error{Code: EForbidden, Message: "error.shared_record", Args: []any{list},
		Fields: FieldErrors{"slug": {Key: "shared_record", Args: []any{list}}}}
}

// AuthorizeMobility answers whether u may record a mobility figure: admins
// any; coordinators only figures of one of their units, for a partner whose
// team includes that unit; nobody else.
func AuthorizeMobility(u *User, m *Mobility, team func(partner string) []string) error {
	if u == nil || u.Disabled {
		return Errorf(EUnauthorized, "error.unauthorized")
	}
	switch u.Role {
	case RoleAdmin:
		return nil
	case RoleCoordinator:
		if m.Unit == "" || !slices.Contains(u.Units, m.Unit) {
			return Errorf(EForbidden, "error.forbidden_mobility_unit", m.Unit)
		}
		if !slices.Contains(team(m.Partner), m.Unit) {
			return Errorf(EForbidden, "error.forbidden_partner", m.Partner)
		}
		return nil
	}
	return Errorf(EForbidden, "error.forbidden_role")
}

// AuthorizeHome refuses a user of another home institution. The web
// server of a home signs in only that home's users; the store checks
// again, whatever the caller.
func AuthorizeHome(u *User, home string) error {
	if u == nil || u.Disabled {
		return Errorf(EUnauthorized, "error.unauthorized")
	}
	if u.Home != home {
		return Errorf(EForbidden, "error.forbidden_home", home)
	}
	return nil
}

// CanReadDrafts reports whether a user sees unpublished records: the
// office's own people, not a guest from outside it.
func CanReadDrafts(u *User) bool { return u != nil && !u.Disabled && u.Role != RoleGuest }

// AuditEvent is one write, as the audit log keeps it.
type AuditEvent struct {
	ID      int64     `json:"id"`
	At      time.Time `json:"at"`
	UserID  int64     `json:"user_id"` // 0 for the system (built-in data, imports)
	Actor   string    `json:"actor"`
	Action  Action    `json:"action"`
	Entity  Entity    `json:"entity"`
	Key     string    `json:"key"`
	Version int       `json:"version"` // of the record after the write
	Before  []byte    `json:"before"`  // JSON of the record, nil on create
	After   []byte    `json:"after"`   // JSON of the record, nil on delete
	// Verb and Comment are a transition's, empty for other actions.
	Verb    Verb   `json:"verb,omitempty"`
	Comment string `json:"comment,omitempty"`
}

// AuditFilter selects audit events; zero fields select all.
type AuditFilter struct {
	Entity       Entity
	Key, Actor   string
	Action       Action
	Since, Until time.Time
	Limit        int
	Before       int64 // events with a smaller ID, for paging
}

// TeamDoc is a partner's team and tier in one phase, edited as one record.
// Its key is "partner/phase"; its version is the partner's.
type TeamDoc struct {
	Partner string   `json:"partner"`
	Phase   int      `json:"phase"`
	Tier    Tier     `json:"tier"` // "" for none
	Units   []string `json:"units"`
	Lead    string   `json:"lead"` // a unit of Units, or ""
	Version int      `json:"version"`
}

func (t *TeamDoc) Validate() error {
	errs := FieldErrors{}
	validateSlug(errs, "partner", t.Partner)
	if t.Phase < 1 {
		errs.Add("phase", "positive")
	}
	validateEnum(errs, "tier", t.Tier, Tiers, false)
	seen := map[string]bool{}
	for i, u := range t.Units {
		if seen[u] {
			errs.Add(indexed("units", i), "duplicate", u)
		}
		seen[u] = true
	}
	if t.Lead != "" && !seen[t.Lead] {
		errs.Add("lead", "lead_not_in_team", t.Lead)
	}
	return errs.Err()
}
