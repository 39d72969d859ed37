package partnerhub

// Single sign-on's rules, whatever the protocol: who a person an identity
// provider vouches for is here, and with what role. Nobody gets a role
// merely by signing in at their university. An account is made at a first
// federated sign-in only by an invitation, an administrator's
// pre-authorisation of that very identity, or a role rule the office
// configured; an existing account is linked only by an invitation or by
// its holder proving both (signed in here, recently, then at the provider).

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"
)

// Entities of the audit log.
const (
	EntityFederatedIdentity Entity = "federated_identity"
	EntityPreAuthorisation  Entity = "sso_preauthorisation"
	EntityRoleRule          Entity = "sso_role_rule"
)

// FederatedRoles are the roles a pre-authorisation or a role rule may give
// an account: as with invitations, an administrator or a coordinator is
// made from the command line.
var FederatedRoles = InvitationRoles

// FederatedClaim is what the store needs of a signed-in identity (the web
// maps sso.Identity to it): who it is, what the account would be made of,
// and what the rules read.
type FederatedClaim struct {
	Protocol, Provider, Subject string
	Email                       string // "" when the provider sent none
	Name                        string
	Affiliations                []string // unscoped: "faculty"
	ScopedAffiliations          []string // "faculty@u-tokyo.ac.jp"
	// Snapshot is what the provider said, as JSON, kept for the office
	// to read; nothing decides by it later.
	Snapshot []byte
	Lang     Lang // of the account made, for its mail
}

// FederatedIdentity is a person at an identity provider, linked to an
// account.
type FederatedIdentity struct {
	ID          int64     `json:"id"`
	UserID      int64     `json:"user_id"`
	Protocol    string    `json:"protocol"`
	Provider    string    `json:"provider"`
	Subject     string    `json:"subject"`
	Attributes  string    `json:"attributes"` // the snapshot, JSON
	FirstSeenAt time.Time `json:"first_seen_at"`
	LastSeenAt  time.Time `json:"last_seen_at"`
}

// PreAuthorisation is an administrator's word that one identity may have an
// account, with Role. Its first sign-in makes the account (UsedAt,
// UserID).
type PreAuthorisation struct {
	ID        int64      `json:"id"`
	Provider  string     `json:"provider"`
	Subject   string     `json:"subject"`
	Role      Role       `json:"role"`
	CreatedBy int64      `json:"created_by"`
	Creator   string     `json:"creator"`
	CreatedAt time.Time  `json:"created_at"`
	UsedAt    *time.Time `json:"used_at"`
	UserID    int64      `json:"user_id"`
}

// RoleRule gives the people of Provider with Affiliation an account with
// Role at their first sign-in. Affiliation is an eduPersonAffiliation
// value ("faculty") or a scoped one ("faculty@u-tokyo.ac.jp"), which
// matches the scoped attribute only.
type RoleRule struct {
	ID          int64     `json:"id"`
	Provider    string    `json:"provider"`
	Affiliation string    `json:"affiliation"`
	Role        Role      `json:"role"`
	CreatedBy   int64     `json:"created_by"`
	Creator     string    `json:"creator"`
	CreatedAt   time.Time `json:"created_at"`
}

// Affiliations are eduPerson's values of eduPersonAffiliation, which GakuNin
// and eduGAIN send.
var Affiliations = []string{"faculty", "student", "staff", "alum", "member", "affiliate", "employee", "library-walk-in"}

// maxProviderLen and maxSubjectLen bound what an administrator types.
const (
	maxProviderLen = 1024
	maxSubjectLen  = 512
)

func validateProvider(errs FieldErrors, s string) {
	switch {
	case s == "":
		errs.Add("provider", "required")
	case utf8.RuneCountInString(s) > maxProviderLen:
		errs.Add("provider", "too_long_chars", maxProviderLen)
	case strings.IndexFunc(s, func(r rune) bool { return r <= ' ' || r == 0x7f }) >= 0:
		errs.Add("provider", "sso_provider")
	}
}

// Validate checks a pre-authorisation as an administrator types it, its
// fields trimmed.
func (p *PreAuthorisation) Validate() error {
	errs := FieldErrors{}
	validateProvider(errs, p.Provider)
	switch {
	case p.Subject == "":
		errs.Add("subject", "required")
	case utf8.RuneCountInString(p.Subject) > maxSubjectLen:
		errs.Add("subject", "too_long_chars", maxSubjectLen)
	case !utf8.ValidString(p.Subject) || strings.IndexFunc(p.Subject, func(r rune) bool { return r < ' ' || r == 0x7f }) >= 0:
		errs.Add("subject", "bad_utf8")
	}
	validateEnum(errs, "role", p.Role, FederatedRoles, true)
	return errs.Err()
}

// Validate checks a role rule, its fields trimmed and the affiliation
// lower-cased.
func (r *RoleRule) Validate() error {
	errs := FieldErrors{}
	validateProvider(errs, r.Provider)
	if r.Affiliation == "" {
		errs.Add("affiliation", "required")
	} else {
		value, scope, scoped := strings.Cut(r.Affiliation, "@")
		ok := false
		for _, a := range Affiliations {
			ok = ok || a == value
		}
		if scoped && !validScope(scope) {
			ok = false
		}
		if !ok {
			errs.Add("affiliation", "sso_affiliation")
		}
	}
	validateEnum(errs, "role", r.Role, FederatedRoles, true)
	return errs.Err()
}

// validScope reports a DNS domain: the scope of a scoped affiliation.
func validScope(s string) bool {
	if len(s) == 0 || len(s) > 253 || !strings.Contains(s, ".") {
		return false
	}
	for label := range strings.SplitSeq(s, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, c := range label {
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}

// Matches reports whether c meets the rule: the same provider and the
// affiliation among c's (scoped among the scoped ones), compared without
// regard to case.
func (r *RoleRule) Matches(c *FederatedClaim) bool {
	if c.Provider != r.Provider {
		return false
	}
	list := c.Affiliations
	if strings.Contains(r.Affiliation, "@") {
		list = c.ScopedAffiliations
	}
	for _, a := range list {
		if strings.EqualFold(strings.TrimSpace(a), r.Affiliation) {
			return true
		}
	}
	return false
}

// StrongerRole reports whether a gives more than b (Roles lists the
// strongest first).
func StrongerRole(a, b Role) bool {
	rank := func(r Role) int {
		for i, x := range Roles {
			if x == r {
				return i
			}
		}
		return len(Roles)
	}
	return rank(a) < rank(b)
}

// Admission says how a federated sign-in was let in.
type Admission string

const (
	AdmittedLinked     Admission = "linked"     // an identity linked before
	AdmittedInvitation Admission = "invitation" // an invitation accepted by it
	AdmittedPreAuth    Admission = "preauthorisation"
	AdmittedRoleRule   Admission = "role_rule"
)

// FederationService keeps federated identities and the rules that admit
// them. The store implements it.
type FederationService interface {
	// FederatedUser returns the account c is linked to in home and notes
	// the sign-in (last seen, the snapshot); ENotFound when none, and
	// EUnauthorized for a disabled account.
	FederatedUser(ctx context.Context, home string, c FederatedClaim, now time.Time) (*User, error)
	// AcceptInvitationFederated accepts the pending invitation of token
	// for c: the account is made with the invitation's address and role
	// and c linked to it (errors as AcceptInvitation's).
	AcceptInvitationFederated(ctx context.Context, home, token string, c FederatedClaim, ip string, now time.Time) (*User, error)
	// AdmitFederated makes an account for c by its pre-authorisation,
	// else by the strongest role rule it meets, and links c to it;
	// ENotFound when neither admits it, EConflict (with a field "email")
	// when its address is another account's or missing.
	AdmitFederated(ctx context.Context, home string, c FederatedClaim, now time.Time) (*User, Admission, error)
	// LinkIdentity links c to user's own account (who proved both);
	// EConflict when c is another account's already.
	LinkIdentity(ctx context.Context, user *User, c FederatedClaim, now time.Time) error
	// UnlinkIdentity removes one of user's identities; an account without
	// a password keeps its last one (EConflict).
	UnlinkIdentity(ctx context.Context, user *User, id int64, now time.Time) error
	FederatedIdentities(ctx context.Context, userID int64) ([]FederatedIdentity, error)
	// HasPassword reports whether a user can sign in with a password.
	HasPassword(ctx context.Context, userID int64) (bool, error)

	// The administrators' rules, audited.
	PreAuthorisations(ctx context.Context, actor *User, home string) ([]PreAuthorisation, error)
	AddPreAuthorisation(ctx context.Context, actor *User, home string, p PreAuthorisation, now time.Time) (*PreAuthorisation, error)
	RemovePreAuthorisation(ctx context.Context, actor *User, home string, id int64, now time.Time) error
	RoleRules(ctx context.Context, actor *User, home string) ([]RoleRule, error)
	AddRoleRule(ctx context.Context, actor *User, home string, r RoleRule, now time.Time) (*RoleRule, error)
	RemoveRoleRule(ctx context.Context, actor *User, home string, id int64, now time.Time) error
}
