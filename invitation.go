package partnerhub

import (
	"context"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"
)

// Invitations bring people from outside the office in: a single-use,
// expiring link by mail, where they choose their name and password, then
// enrol a second factor. The invitation is generic; a feature that needs
// more (a fund's role) keeps Grants on it, for a hook the store runs when
// the invitation is accepted.

// Invitation lifetimes: the default, and the longest allowed.
const (
	DefaultInvitationLifetime = 7 * 24 * time.Hour
	MaxInvitationLifetime     = 30 * 24 * time.Hour
	// MaxInvitationNoteChars bounds each language of an invitation's note.
	MaxInvitationNoteChars = 2000
)

// InvitationRoles are the roles an invitation may give a new account:
// people from outside (guests) and readers of drafts (viewers). An
// administrator or a coordinator is made from the command line, where who
// makes them is known; a mailed link should not carry such rights. The
// one exception is a network administrator inviting a member's first
// administrators (MemberAdminInvitation).
var InvitationRoles = []Role{RoleGuest, RoleViewer}

// InvitationState is where an invitation is in its life.
type InvitationState string

const (
	InvitationPending  InvitationState = "pending"
	InvitationAccepted InvitationState = "accepted"
	InvitationExpired  InvitationState = "expired"
	InvitationRevoked  InvitationState = "revoked"
)

var InvitationStates = []InvitationState{InvitationPending, InvitationAccepted, InvitationExpired, InvitationRevoked}

// InvitationSpec is what an inviter says of the person invited.
type InvitationSpec struct {
	Email string
	Name  string // as the inviter knows it; the invitee may change it
	Lang  Lang   // of the mail and the link: ja or en
	Role  Role   // one of InvitationRoles; default RoleGuest
	// Note says why they are invited ("to review proposals of the joint
	// fund"); shown in the mail and on the page of the link.
	Note Text
	// ExpiresIn is how long the link works; zero for
	// DefaultInvitationLifetime, at most MaxInvitationLifetime.
	ExpiresIn time.Duration
	// Grants is opaque to the invitation: the feature that invites keeps
	// here what to grant on acceptance (JSON, for instance), and its
	// AcceptHook reads it back.
	Grants []byte
}

// MemberAdminInvitation reports whether actor, inviting with spec, makes a
// member's administrator: only a network administrator may, for any member
// (the members' page of the network invites each new member's office).
func MemberAdminInvitation(actor *User, spec *InvitationSpec) bool {
	return spec != nil && spec.Role == RoleAdmin && IsNetworkAdmin(actor)
}

// Validate checks a spec, with the defaults already filled in.
func (s *InvitationSpec) Validate() error { return s.ValidateFor(nil) }

// ValidateFor checks a spec as actor sends it: a network administrator
// may also invite an administrator (MemberAdminInvitation).
func (s *InvitationSpec) ValidateFor(actor *User) error {
	roles := InvitationRoles
	if MemberAdminInvitation(actor, s) {
		roles = []Role{RoleAdmin}
	}
	errs := FieldErrors{}
	if a, err := mail.ParseAddress(s.Email); err != nil || a.Address != s.Email || len(s.Email) > 254 {
		errs.Add("email", "bad_email")
	}
	if strings.TrimSpace(s.Name) == "" {
		errs.Add("name", "required")
	} else if utf8.RuneCountInString(s.Name) > 200 {
		errs.Add("name", "too_long_chars", 200)
	}
	validateEnum(errs, "lang", s.Lang, Langs, true)
	validateEnum(errs, "role", s.Role, roles, true)
	for _, n := range []struct{ field, s string }{{"note.ja", s.Note.Ja}, {"note.en", s.Note.En}} {
		if !utf8.ValidString(n.s) {
			errs.Add(n.field, "bad_utf8")
		} else if utf8.RuneCountInString(n.s) > MaxInvitationNoteChars {
			errs.Add(n.field, "too_long_chars", MaxInvitationNoteChars)
		}
	}
	if s.ExpiresIn < time.Hour || s.ExpiresIn > MaxInvitationLifetime {
		errs.Add("expires_in", "invitation_lifetime", int(MaxInvitationLifetime/(24*time.Hour)))
	}
	return errs.Err()
}

// Invitation is an invitation as its inviter and the office see it. The
// token it was sent with is never kept, only its hash.
type Invitation struct {
	ID    int64  `json:"id"`
	Home  string `json:"home"`
	Email string `json:"email"`
	Name  string `json:"name"`
	Lang  Lang   `json:"lang"`
	Role  Role   `json:"role"`
	Note  Text   `json:"note"`
	// Grants are the inviting feature's (InvitationSpec.Grants).
	Grants []byte `json:"-"`
	// InvitedBy is the inviter's user id; Inviter their name, as the
	// invitee reads it.
	InvitedBy int64     `json:"invited_by"`
	Inviter   string    `json:"inviter"`
	CreatedAt time.Time `json:"created_at"`
	// SentAt is when the link was last sent; Sends how often (a resend
	// voids the link before).
	SentAt    time.Time `json:"sent_at"`
	Sends     int       `json:"sends"`
	ExpiresAt time.Time `json:"expires_at"`
	// AcceptedAt and UserID are set once the invitation is accepted: by
	// the invitee, or at once when the address already had an account
	// (ExistingAccount), which the invitation then leaves as it was.
	AcceptedAt      *time.Time `json:"accepted_at"`
	UserID          int64      `json:"user_id"`
	ExistingAccount bool       `json:"existing_account"`
	RevokedAt       *time.Time `json:"revoked_at"`
	Version         int        `json:"version"`
	// Token is the raw token of the link, set only in what Invite and
	// ResendInvitation return (the store keeps its hash): for a caller
	// that delivers the link itself, and for tests.
	Token string `json:"-"`
}

// State is the invitation's state at now.
func (i *Invitation) State(now time.Time) InvitationState {
	switch {
	case i.RevokedAt != nil:
		return InvitationRevoked
	case i.AcceptedAt != nil:
		return InvitationAccepted
	case !now.Before(i.ExpiresAt):
		return InvitationExpired
	}
	return InvitationPending
}

// Acceptance is what an invitee gives to accept: their name as they want
// it shown, and a new password (checked like any other).
type Acceptance struct {
	Name     string
	Password string
	// IP is the invitee's address, for throttling guesses at tokens.
	IP string
}

// InvitationService keeps invitations. The store implements it.
type InvitationService interface {
	// Invite makes an invitation and writes its mail in the same
	// transaction; see store.DB.Invite.
	Invite(ctx context.Context, actor *User, home string, spec InvitationSpec, now time.Time) (*Invitation, error)
	Invitations(ctx context.Context, actor *User, home string) ([]Invitation, error)
	ResendInvitation(ctx context.Context, actor *User, home string, id int64, now time.Time) (*Invitation, error)
	RevokeInvitation(ctx context.Context, actor *User, home string, id int64, now time.Time) error
	// OpenInvitation returns the pending invitation of a token: ENotFound
	// for an unknown token, EGone for one expired, used or revoked, and
	// ETooMany when ip guessed too many tokens.
	OpenInvitation(ctx context.Context, home, token, ip string, now time.Time) (*Invitation, error)
	// AcceptInvitation makes the invitee's account and returns it.
	AcceptInvitation(ctx context.Context, home, token string, a Acceptance, now time.Time) (*User, error)
}
